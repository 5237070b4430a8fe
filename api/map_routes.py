"""The latest plan's routes along the streets, for the console's map (issue 17, item 5).

The plan (``GET /v1/plan``) lists each courier's stops; drawn as straight lines from stop to
stop, thirty routes cross the city as spaghetti. Here each leg is the fastest street path for
the courier's vehicle at the load it carries on that leg, the same path ``/v1/jobs/{id}/path``
draws for one job. The legs are worked out once per plan (a few milliseconds each, about a
second for a busy day's 400) and kept until the next round, so the console fetches them after
drawing its lists and never waits for them.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import threading
import weakref
from collections import OrderedDict
from typing import Any, Literal

import numpy as np
from fastapi import APIRouter
from numpy.typing import NDArray
from pydantic import Field
from scipy.sparse.csgraph import dijkstra

from api.deps import Dispatcher, Svc
from api.errors import ApiError, answers, refusals, responses
from api.schemas import Out
from api.services import Services
from dispatch.lifecycle import ACTIVE_STATES, OPEN_STATES
from routing.matrix import RoutableGraph, routable_graph, seconds_matrix, snap

router = APIRouter(prefix="/v1", tags=["dispatchers"], responses=refusals())

PATHS_KEPT = 20_000  #: street paths kept per cooperative between plans (a busy day's routes hold ~400)
LOAD_STEP_KG = 5.0  #: a leg's path is the fastest at its load to the nearest 5 kg (it matters on hills only)
SIMPLIFY_M = 3.0  #: a leg's line leaves out the street nodes within 3 m of it (see _simplified)
EARTH_M = 6_371_008.8
LOADS_KEPT = 8  #: rounded loads whose seconds are kept per graph (each a CSR as large as the city's arcs)
#: per graph (a city's profile), its seconds per arc at the loads used last, as a CSR for Dijkstra
_SECONDS: weakref.WeakKeyDictionary[RoutableGraph, OrderedDict[float, Any]] = weakref.WeakKeyDictionary()
_SECONDS_LOCK = threading.Lock()


class StopRefOut(Out):
    job_id: str
    kind: Literal["pickup", "dropoff"]


class LegPropertiesOut(Out):
    courier_id: str
    start: StopRefOut = Field(description="The stop the leg leaves from")
    end: StopRefOut = Field(description="The stop the leg goes to")
    load_kg: float = Field(description="What the courier carries on the leg (the path is the fastest at that load)")
    seconds: float
    metres: float


class LegOut(Out):
    type: Literal["Feature"]
    geometry: dict[str, Any] = Field(description="A GeoJSON LineString along the streets")
    properties: LegPropertiesOut


class PlanStreetsOut(Out):
    """A GeoJSON FeatureCollection: one LineString per leg of each courier's planned route."""

    type: Literal["FeatureCollection"]
    planned_at: str = Field(description="The round the legs belong to (GET /v1/plan's planned_at)")
    features: list[LegOut]


@router.get("/plan/streets", **answers(PlanStreetsOut, also=responses(404)))
async def plan_streets(who: Dispatcher, svc: Svc) -> dict[str, Any]:
    """Each leg of the latest plan's routes along the streets, for the courier's vehicle."""
    plan = await svc.planner.current(who.cooperative_id)  # another worker's round, when newer
    if plan is None:
        raise ApiError(404, "no_plan_yet", "no_round_yet")
    key = f"plan_streets:{who.cooperative_id}"
    # one computation at a time per cooperative: consoles asking together wait for the first one's
    # answer, and the kept paths are never changed by two threads at once
    async with svc.cache.setdefault(f"plan_streets_lock:{who.cooperative_id}", asyncio.Lock()):
        kept = svc.cache.get(key)
        if kept is None or kept["planned_at"] != plan["planned_at"]:
            kept = svc.cache[key] = await svc.run(legs_of_plan, svc, who.cooperative_id, plan)
    return kept  # type: ignore[no-any-return]


def legs_of_plan(svc: Services, coop_id: str, plan: dict[str, Any]) -> dict[str, Any]:
    """The plan's legs as GeoJSON features, worked out in the API's threads."""
    jobs = {j.id: j.request for j in svc.store.jobs(coop_id, OPEN_STATES | ACTIVE_STATES)}
    profiles = {c.id: c.vehicle.kind.profile for c in svc.store.couriers(coop_id)}
    network = svc.city_of(coop_id).network  # the cooperative's own city
    paths = svc.cache.setdefault(f"plan_paths:{coop_id}", {})
    if len(paths) > PATHS_KEPT:
        for old in list(paths)[: len(paths) // 2]:  # the oldest half (a dict keeps insertion order)
            del paths[old]
    features = [
        leg
        for courier_id, stops in plan.get("routes", {}).items()
        if courier_id in profiles
        for leg in _route_legs(routable_graph(network, profiles[courier_id]), courier_id, stops, jobs, paths)
    ]
    return {"type": "FeatureCollection", "planned_at": plan["planned_at"], "features": features}


def _route_legs(
    graph: RoutableGraph,
    courier_id: str,
    stops: list[dict[str, Any]],
    jobs: dict[str, dict[str, Any]],
    paths: dict[tuple[Any, ...], dict[str, Any] | None],
) -> list[dict[str, Any]]:
    """One route's legs. A stop whose job has left the day (or lies off the streets) starts no
    leg and ends none: the map shows what it can, never a made-up line. ``paths`` keeps the
    paths of earlier plans: a new round mostly keeps the routes it had, and its legs cost nothing."""
    legs = []
    for start, end in itertools.pairwise(stops):
        a, b = jobs.get(start["job_id"]), jobs.get(end["job_id"])
        if a is None or b is None:
            continue
        origin, destination = a[start["kind"]], b[end["kind"]]
        load = float(start["load_kg_after"])
        key = (graph.profile.name, origin["lon"], origin["lat"], destination["lon"], destination["lat"], load)
        if key not in paths:
            try:
                paths[key] = _street_line(graph, origin, destination, load)
            except ValueError:  # off the streets (PointOffNetworkError), or no way between
                paths[key] = None
        line = paths[key]
        if line is not None:
            legs.append(_leg(courier_id, start, end, load, line))
    return legs


def _seconds_at(graph: RoutableGraph, load: float) -> Any:
    """The graph's seconds per arc at ``load``, kept for the last ``LOADS_KEPT`` loads used.

    Bounded because a cargo bike's loads span 0-250 kg (50 steps) and a large city's CSR is tens
    of MB: keeping every step would grow a worker by gigabytes over a day. Legs of several
    cooperatives of one city are drawn on threads at once, hence the lock around the order."""
    with _SECONDS_LOCK:
        kept = _SECONDS.setdefault(graph, OrderedDict())
        found = kept.get(load)
        if found is not None:
            kept.move_to_end(load)
            return found
    built = seconds_matrix(graph, graph.arc_time_s(load))
    with _SECONDS_LOCK:
        kept[load] = built
        while len(kept) > LOADS_KEPT:
            kept.popitem(last=False)
    return built


def _street_line(
    graph: RoutableGraph, origin: dict[str, Any], destination: dict[str, Any], load: float
) -> dict[str, Any]:
    """The fastest path between two places at about ``load``: its line (to the metre) and its figures.

    The load is rounded to ``LOAD_STEP_KG`` and the graph's seconds at that load are built once
    (:func:`routing.matrix.fastest_path` builds them on every call, which is most of its time):
    a busy day's 400 legs take one Dijkstra each, and the server stays free for the events."""
    load = round(load / LOAD_STEP_KG) * LOAD_STEP_KG
    seconds_csr = _seconds_at(graph, load)
    snapped = snap(graph, [(origin["lon"], origin["lat"]), (destination["lon"], destination["lat"])])
    a, b = int(snapped.node[0]), int(snapped.node[1])
    seconds, previous = dijkstra(seconds_csr, directed=True, indices=a, return_predecessors=True)
    if not math.isfinite(seconds[b]):
        raise ValueError("no path between these points")
    nodes = [b]
    while nodes[-1] != a:
        nodes.append(int(previous[nodes[-1]]))
    city = graph.nodes[np.array(nodes[::-1], dtype=np.int64)]
    lon, lat = graph.network.lon[city], graph.network.lat[city]
    x, y = _metric(lon, lat)
    kept_points = _simplified(x, y, SIMPLIFY_M)
    coordinates = [
        [round(float(p), 6), round(float(q), 6)] for p, q in zip(lon[kept_points], lat[kept_points], strict=True)
    ]
    if len(coordinates) == 1:
        coordinates.append(coordinates[0])  # a LineString needs two positions
    return {
        "geometry": {"type": "LineString", "coordinates": coordinates},
        "seconds": round(float(seconds[b]), 1),
        "metres": round(float(np.hypot(np.diff(x), np.diff(y)).sum()), 1),
    }


def _metric(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """A line's points in metres on a plane tangent to it (a town's extent: equirectangular)."""
    scale = math.cos(math.radians(float(lat.mean()))) if lat.size else 1.0
    return np.radians(lon) * scale * EARTH_M, np.radians(lat) * EARTH_M


def _simplified(x: NDArray[np.float64], y: NDArray[np.float64], tolerance_m: float) -> NDArray[np.bool_]:
    """Which points a map needs (Douglas-Peucker): a point less than ``tolerance_m`` off the
    line between its kept neighbours goes. Street nodes along a straight street draw nothing,
    and fewer points keep the console's map frames short."""
    keep = np.zeros(x.shape[0], dtype=bool)
    keep[[0, -1]] = True
    spans = [(0, x.shape[0] - 1)]
    while spans:
        i, j = spans.pop()
        if j <= i + 1:
            continue
        dx, dy = x[j] - x[i], y[j] - y[i]
        off = np.abs(dy * (x[i + 1 : j] - x[i]) - dx * (y[i + 1 : j] - y[i])) / max(math.hypot(dx, dy), 1e-9)
        k = int(np.argmax(off))
        if off[k] > tolerance_m:
            keep[i + 1 + k] = True
            spans += [(i, i + 1 + k), (i + 1 + k, j)]
    return keep


def _leg(
    courier_id: str, start: dict[str, Any], end: dict[str, Any], load: float, line: dict[str, Any]
) -> dict[str, Any]:
    """One leg: the path's line, and which stops of whose route it joins."""
    return {
        "type": "Feature",
        "geometry": line["geometry"],
        "properties": {
            "courier_id": courier_id,
            "start": {"job_id": start["job_id"], "kind": start["kind"]},
            "end": {"job_id": end["job_id"], "kind": end["kind"]},
            "load_kg": load,
            "seconds": line["seconds"],
            "metres": line["metres"],
        },
    }
