"""The intake and planning snap a stop to the streets by one rule per vehicle (issue 19).

The API refused every point beyond 300 m of a street while planning served cargo-bike jobs up to
450 m: a day replayed or planned from files held jobs the API would have turned away. The point
used here lies some 360 m north of the bundled city's streets (the map's bounds are widened for
the intake, which otherwise refuses it first as outside the area served).
"""

from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch.intake import SNAP_M, Refused, StreetDistances, check_request, max_snap_m
from dispatch.model import Courier, JobRequest, Parcel, Place, TimeWindow, Vehicle
from dispatch.planning import CourierToPlan, JobToPlan, assemble_problem
from routing.network import BikeNetwork
from routing.profiles import PROFILES
from tests.dispatch.helsinki import NOON, STATION

NORTH_OF_THE_MAP = (24.9423, 60.1816)  # about 360 m from the nearest street of every profile


def _request() -> JobRequest:
    return JobRequest(
        pickup=Place(*NORTH_OF_THE_MAP),
        dropoff=Place(*STATION),
        pickup_window=TimeWindow(NOON, NOON + timedelta(hours=1)),
        dropoff_window=TimeWindow(NOON, NOON + timedelta(hours=2)),
        parcels=(Parcel(weight_kg=5, volume_l=10, longest_side_cm=40),),
    )


def _streets(network: BikeNetwork) -> StreetDistances:
    streets = StreetDistances(network)
    lon_min, lat_min, lon_max, lat_max = streets.bounds
    streets.bounds = (lon_min, lat_min, lon_max, lat_max + 0.01)
    return streets


def _intake_accepts(network: BikeNetwork, kind: str) -> bool:
    courier = Courier("c1", "coop", "Aino", Vehicle.of_kind(kind))
    try:
        check_request(_streets(network), [courier], _request(), NOON - timedelta(minutes=5))
    except Refused as exc:
        assert exc.code == "unreachable", exc
        return False
    return True


def _planning_accepts(network: BikeNetwork, kind: str) -> bool:
    courier = CourierToPlan("c1", Vehicle.of_kind(kind), STATION, NOON + timedelta(hours=4))
    _, ctx = assemble_problem(
        network,
        [JobToPlan("j1", _request())],
        [courier],
        NOON,
        timezone=ZoneInfo("Europe/Helsinki"),
        fairness_weight=0.5,
        heavy_threshold_kg=25.0,
    )
    return "j1" not in ctx.skipped


@pytest.mark.parametrize(("kind", "served"), [("bike", False), ("cargo_bike", True), ("e_cargo_bike", True)])
def test_a_stop_360_m_from_the_streets_is_served_by_cargo_bikes_only_at_every_door(
    helsinki: BikeNetwork, kind: str, served: bool
) -> None:
    assert _intake_accepts(helsinki, kind) is served
    assert _planning_accepts(helsinki, kind) is served


def test_the_refusal_names_each_capable_vehicle_s_reach_when_they_differ(helsinki: BikeNetwork) -> None:
    far = (24.9423, 60.1831)  # about 500 m: beyond every vehicle's reach
    request = replace(_request(), pickup=Place(*far))
    fleet = [Courier(f"c{i}", "coop", "Aino", Vehicle.of_kind(k)) for i, k in enumerate(("bike", "cargo_bike"))]
    with pytest.raises(Refused) as refused:
        check_request(_streets(helsinki), fleet, request, NOON)
    assert str(refused.value) == (
        "the pickup is more than 300 m (bike) or 450 m (cargo_bike) from any street the vehicles "
        "able to carry these parcels can use"
    )
    assert refused.value.field == "pickup"


def test_every_vehicle_profile_has_a_reach() -> None:
    assert set(SNAP_M) <= set(PROFILES)
    assert all(max_snap_m(profile) >= 300.0 for profile in PROFILES)


def test_a_refusal_keeps_its_code_and_its_sentence_even_between_processes() -> None:
    refused = Refused("window_in_past", "pickup_window", window="pickup_window", closed_at="2026-11-28T10:00:00+00:00")
    for seen in (refused, pickle.loads(pickle.dumps(refused))):
        assert (seen.code, seen.field, str(seen)) == (
            "window_in_past",
            "pickup_window",
            "the pickup window closed at 2026-11-28T10:00:00+00:00, before now",
        )
