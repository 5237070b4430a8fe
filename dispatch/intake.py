"""A request's intake: what the cooperative refuses before a job exists, and what it costs.

One rule for every door a job comes in by (the API, the CLI, planning, replays): a request the
intake would refuse must not be planned, and one planning leaves out must not be accepted. The
rule of how far from a street a stop may be is per vehicle (:data:`SNAP_M`), because a cargo
bike is locked at the kerb and its rider walks the last stretch with the parcel; the API used to
refuse every point beyond 300 m while planning served cargo-bike jobs up to 450 m, so a replayed
day could hold jobs the API would have turned away (issue 19).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from dispatch.errors import InvalidInput, NotFound
from dispatch.model import Cooperative, Courier, JobRequest, Vehicle
from dispatch.pricing import Quote, Tariff, quote
from dispatch.store import Store
from routing.matrix import routable_graph, snap, street_distance_m
from routing.network import BikeNetwork
from routing.profiles import PROFILES

#: How far from a street a pickup or drop-off may be for each vehicle profile to serve it: cargo
#: bikes may stop a little farther from a door than bikes (they are locked at the kerb).
SNAP_M = {"bike": 300.0, "cargo_bike": 450.0, "e_cargo_bike": 450.0}
#: The reach of a profile :data:`SNAP_M` does not name.
DEFAULT_SNAP_M = 300.0
#: How far ahead a delivery may be asked for (a window in year 9999 is a mistake, not a plan).
MAX_AHEAD = timedelta(days=366)


def max_snap_m(profile: str) -> float:
    """How far from its streets a vehicle of ``profile`` may be asked to stop."""
    return SNAP_M.get(profile, DEFAULT_SNAP_M)


class Refused(InvalidInput):
    """A request the cooperative cannot serve, with its own ``code`` (``window_in_past``...),
    which is also the key of its words.

    Its text is the sentence alone, without the field in front, as clients have always read it.
    Picklable like every domain error: a replay on Dask sends its refusals between processes.
    """

    prefixed = False

    def __init__(self, code: str, field: str, /, **params: Any) -> None:
        super().__init__(field, code, **params)
        self.code = code


class StreetDistances:
    """The quote's street distances, remembered per process (the city does not change under it).

    Snapping a point and one Dijkstra cost about a millisecond of CPU per delivery, more than
    the rest of its checks; clients send the same pickups (their shops) over and over. Each
    point is snapped once per vehicle profile, each pair of street nodes measured once, so the
    answer is exactly the one computed afresh.
    """

    def __init__(self, network: BikeNetwork, *, points: int = 65_536, pairs: int = 65_536) -> None:
        self.network = network
        #: (min lon, min lat, max lon, max lat) of the city: four passes over every node, once
        self.bounds = network.bounds()
        self._snap = functools.lru_cache(maxsize=points)(self._snap_point)
        self._metres = functools.lru_cache(maxsize=pairs)(self._node_metres)

    def metres(
        self, profile: str, pickup: tuple[float, float], dropoff: tuple[float, float], max_snap_m: float
    ) -> float | None:
        """The street distance for ``profile``; None when either point is farther than ``max_snap_m``
        from the streets it may use."""
        (a, a_off), (b, b_off) = self._snap(profile, pickup), self._snap(profile, dropoff)
        if max(a_off, b_off) > max_snap_m:
            return None
        return self._metres(profile, a, b)

    def offset_m(self, profile: str, point: tuple[float, float]) -> float:
        """How far ``point`` is from the nearest street ``profile`` may use, in metres."""
        return self._snap(profile, point)[1]

    def _snap_point(self, profile: str, point: tuple[float, float]) -> tuple[int, float]:
        snapped = snap(routable_graph(self.network, PROFILES[profile]), [point], max_distance_m=float("inf"))
        return int(snapped.node[0]), float(snapped.distance_m[0])

    def _node_metres(self, profile: str, origin: int, destination: int) -> float:
        return street_distance_m(routable_graph(self.network, PROFILES[profile]), origin, destination)


def _check_windows(request: JobRequest, now: datetime) -> None:
    for name, window in (("pickup_window", request.pickup_window), ("dropoff_window", request.dropoff_window)):
        if window.end <= now:
            raise Refused("window_in_past", name, window=name, closed_at=window.end.isoformat())
        if window.end > now + MAX_AHEAD:
            raise Refused("window_too_far", name, window=name, days=MAX_AHEAD.days)


def capable_profiles(vehicles: Sequence[Vehicle], request: JobRequest) -> list[str]:
    """The profiles of the vehicles that can carry the request, each once, in a fixed order;
    refuses when none can, naming the first measure no vehicle of the cooperative takes."""
    if not vehicles:
        raise Refused("no_vehicle", "parcels")
    checks = (
        ("weight", request.weight_kg, "payload_kg", "kg"),
        ("volume", request.volume_l, "volume_l", "L"),
        ("length", request.longest_side_cm, "max_length_cm", "cm"),
    )
    for what, need, attr, unit in checks:
        best = max(getattr(v, attr) for v in vehicles)
        if need > best:
            raise Refused("no_vehicle_can_carry", "parcels", measure=what, need=need, unit=unit, best=best)
    return sorted(
        {
            v.kind.profile
            for v in vehicles
            if v.payload_kg >= request.weight_kg
            and v.volume_l >= request.volume_l
            and v.max_length_cm >= request.longest_side_cm
        }
    )


def check_request(streets: StreetDistances, couriers: Sequence[Courier], request: JobRequest, now: datetime) -> float:
    """Refuse what the cooperative cannot do; return the street distance in metres (for the quote).

    The distance is that of the first capable profile (in :func:`capable_profiles`' order) whose
    streets reach both points within its :func:`max_snap_m`: one vehicle kind that can do the job
    is enough to accept it.
    """
    _check_windows(request, now)
    capable = capable_profiles([c.vehicle for c in couriers if c.active], request)
    pickup, dropoff = (request.pickup.lon, request.pickup.lat), (request.dropoff.lon, request.dropoff.lat)
    lon_min, lat_min, lon_max, lat_max = streets.bounds
    for name, (lon, lat) in (("pickup", pickup), ("dropoff", dropoff)):
        if not (lon_min <= lon <= lon_max and lat_min <= lat <= lat_max):
            raise Refused(
                "outside_service_area",
                name,
                place=name,
                lon=round(lon, 5),
                lat=round(lat, 5),
                lon_min=round(lon_min, 4),
                lon_max=round(lon_max, 4),
                lat_min=round(lat_min, 4),
                lat_max=round(lat_max, 4),
            )
    for profile in capable:
        metres = streets.metres(profile, pickup, dropoff, max_snap_m(profile))
        if metres is not None:
            return metres
    # Name the point that no capable vehicle reaches (both: the pickup first); when each point is
    # near some vehicle's streets but no one vehicle reaches both, the pair is the fault.
    far = [
        name
        for name, point in (("pickup", pickup), ("dropoff", dropoff))
        if all(streets.offset_m(p, point) > max_snap_m(p) for p in capable)
    ]
    name, place = (far[0], far[0]) if len(far) == 1 else ("pickup", "pickup_or_dropoff")
    raise Refused("unreachable", name, place=place, reach=[[p, max_snap_m(p)] for p in capable])


def tariff_of(coop: Cooperative) -> Tariff:
    """The cooperative's own tariff when its members set one, else the default."""
    data = coop.settings.get("tariff")
    return Tariff.from_json(data) if data else Tariff()


def quote_request(
    store: Store, streets: StreetDistances, coop_id: str, client_id: str, request: JobRequest, now: datetime
) -> tuple[Quote, float]:
    """The checked request's price for this client, and the street distance it is priced on."""
    facts = store.intake(coop_id, client_id)
    metres = check_request(streets, facts.couriers, request, now)
    if facts.client is None:
        raise NotFound("client", client_id)
    if facts.cooperative is None:
        raise NotFound("cooperative", coop_id)
    priced = quote(
        tariff_of(facts.cooperative),
        distance_m=metres,
        weight_kg=request.weight_kg,
        urgency=request.urgency,
        solidarity=facts.client.solidarity,
    )
    return priced, metres
