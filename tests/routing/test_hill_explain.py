"""Explanations that name the hill (issue 20, item 3): when the chosen vehicle climbs the loaded
leg minutes faster than another kind compared, the explanation says so, in vehicles, never in
people; on the flat, downhill or for a small gap it says nothing of the slope."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from api.i18n import render
from routing.evaluate import RouteEvaluation, RouteStop, StopKind, evaluate_route
from routing.explain import explain, hill_reason
from routing.matrix import routable_graph, snap
from routing.network import load_network, with_elevation
from routing.problem import Courier, Problem, Shipment, TravelTimes, travel_times
from routing.profiles import PROFILES
from routing.reasons import Reason, reason
from tests.routing.street import bike, job, street_travel
from tests.routing.test_elevation import ANDORRA, ANDORRA_TILE

P, D = StopKind.PICKUP, StopKind.DROPOFF


def _travel(slowdown_per_25kg: float, climb_full_s: float, *, hilly: bool = True) -> TravelTimes:
    """The street of ``tests/routing/street.py``, where riding with 100 kg on board takes
    ``climb_full_s`` more from place 1 up to place 2, and a tenth more on every other leg."""
    flat = street_travel(slowdown_per_25kg)
    if not hilly:
        return flat
    ride = np.nan_to_num(flat.ride_s, posinf=1e9)  # the cut-off place: far, not inf - inf
    loaded = ride * 1.1
    loaded[1, 2] = ride[1, 2] + climb_full_s
    return replace(flat, ride_s=ride, ride_loaded_s=loaded, loaded_kg=100.0)


def _problem(*, hilly: bool = True, e_cargo_climb_s: float = 100.0, pickup: int = 1, dropoff: int = 2) -> Problem:
    cargo = {"payload_kg": 100.0, "volume_l": 200.0, "max_length_cm": 150.0}
    return Problem(
        couriers=(bike("e", 0, profile="e_cargo_bike", **cargo), bike("k", 0, profile="cargo_bike", **cargo)),
        shipments=(job("s", pickup, dropoff, weight_kg=60.0),),
        travel={
            "cargo_bike": _travel(0.04, 900.0, hilly=hilly),  # 60 kg: 540 s more up the hill
            "e_cargo_bike": _travel(0.02, e_cargo_climb_s, hilly=hilly),
        },
    )


def _reasons(problem: Problem) -> tuple[Reason, ...]:
    routes: dict[str, RouteEvaluation] = {
        c.id: evaluate_route(problem, c, [RouteStop("s", P), RouteStop("s", D)] if c.id == "e" else [])
        for c in problem.couriers
    }
    ex = explain(problem, routes)["s"]
    assert [a.courier for a in ex.alternatives] == ["k"]  # the cargo bike was compared
    return ex.reasons


def test_uphill_with_a_load_the_faster_vehicle_is_named_in_english_and_french() -> None:
    reasons = _reasons(_problem())
    # up the hill with 60 kg: cargo bike 100 + 0.6 x 900 s, e-cargo bike 100 + 0.6 x 100 s: 8 min apart
    hill = reason("hill_vehicle", kg=60.0, minutes=8, vehicle="e_cargo_bike", other="cargo_bike")
    assert hill in reasons
    assert render(hill.to_json()) == "uphill with 60 kg: by e-cargo bike it takes 8 min less than by cargo bike"
    assert render(hill.to_json(), "fr") == (
        "en montée avec 60 kg : en vélo cargo électrique, le trajet prend 8 min de moins qu'en vélo cargo"
    )


@pytest.mark.parametrize(
    "change",
    [
        {"hilly": False},  # a city without heights
        {"e_cargo_climb_s": 760.0},  # 0.6 x 140 s apart on the climb: under two minutes
        {"pickup": 2, "dropoff": 1},  # downhill
    ],
    ids=["flat city", "small gap", "downhill"],
)
def test_no_hill_reason_on_the_flat_downhill_or_for_a_small_gap(change: dict[str, object]) -> None:
    reasons = _reasons(_problem(**change))  # type: ignore[arg-type]  # each case changes one keyword
    assert [r for r in reasons if r.code == "hill_vehicle"] == []
    assert reasons[0].code == "adds_minutes"


def test_on_andorras_streets_the_climb_to_la_massana_is_named_and_the_way_down_is_not(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    if not (ANDORRA.is_file() and ANDORRA_TILE.is_file()):
        pytest.skip("../shared/data (Andorra and its tile) is not here")
    network = with_elevation(load_network(ANDORRA, cache_dir=tmp_path_factory.mktemp("cache")), [ANDORRA_TILE])
    valley, la_massana = (1.5215, 42.5063), (1.5150, 42.5450)  # about 200 m of climb
    travel = {
        p: travel_times(graph := routable_graph(network, PROFILES[p]), snap(graph, [valley, la_massana]).node)
        for p in ("cargo_bike", "e_cargo_bike")
    }
    e, k = (Courier(c, p, 150.0, 300.0, 200.0, 0, 0, 8 * 3600) for c, p in (("e", "e_cargo_bike"), ("k", "cargo_bike")))

    def said(pickup: int, dropoff: int) -> Reason | None:
        s = Shipment("s", pickup, dropoff, (0, 9 * 3600), (0, 9 * 3600), 60.0)
        return hill_reason(Problem(couriers=(e, k), shipments=(s,), travel=travel), e, s, [k])

    up = said(0, 1)
    assert up is not None and up.params["vehicle"] == "e_cargo_bike" and up.params["other"] == "cargo_bike"
    assert 15 <= int(up.params["minutes"]) <= 40  # type: ignore[arg-type]
    assert said(1, 0) is None  # downhill the vehicles differ only by their flat speeds
