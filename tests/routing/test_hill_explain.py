"""Explanations that name the hill (issue 20, item 3): when the chosen vehicle climbs the loaded
leg minutes faster than another kind compared, the explanation says so, in vehicles, never in
people; on the flat, downhill or for a small gap it says nothing of the slope."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from api.i18n import render
from routing.evaluate import RouteEvaluation, RouteStop, StopKind, evaluate_route
from routing.explain import explain
from routing.problem import Problem, TravelTimes
from routing.reasons import Reason, reason
from tests.routing.street import bike, job, street_travel

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
