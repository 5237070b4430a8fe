"""The planner counts the work still in hand: a courier riding job after job all day is not idle.

Issue 15: the ledger closes a stretch of work when a courier's hands are empty, and the planner
read only closed stretches, so fairness gave work to everyone who never had empty hands.
"""

from __future__ import annotations

from datetime import timedelta

from dispatch import commands as do
from dispatch.ledger import LedgerEntry, worked_minutes_until
from dispatch.model import JobRequest, Parcel, Place, TimeWindow, Vehicle
from dispatch.planning import build_problem, planning_round
from dispatch.store import Store
from routing.network import BikeNetwork
from tests.dispatch.helsinki import MARKET, NOON, STATION


def test_worked_minutes_add_the_stretch_still_open() -> None:
    entry = LedgerEntry(courier_id="c", day="2026-11-28", worked_minutes=30.0)
    assert worked_minutes_until(entry, None, NOON) == 30.0
    assert worked_minutes_until(entry, (NOON - timedelta(minutes=45)).isoformat(), NOON) == 75.0
    assert worked_minutes_until(None, (NOON - timedelta(minutes=10)).isoformat(), NOON) == 10.0


def test_a_courier_with_a_job_in_hand_for_90_minutes_has_worked_90_minutes(store: Store, helsinki: BikeNetwork) -> None:
    coop = store.create_cooperative("Worked", fairness_weight=1.0).id
    client = store.add_client(coop, "Shop")[0].id
    busy = store.add_courier(coop, "Aino", Vehicle.of_kind("bike")).id
    idle = store.add_courier(coop, "Eero", Vehicle.of_kind("bike")).id
    for courier in (busy, idle):
        do.start_shift(store, coop, courier, at=NOON - timedelta(hours=2), planned_end=NOON + timedelta(hours=3))
    window = TimeWindow(NOON - timedelta(hours=2), NOON + timedelta(hours=3))
    request = JobRequest(
        pickup=Place(*STATION),
        dropoff=Place(*MARKET),
        pickup_window=window,
        dropoff_window=window,
        parcels=(Parcel(weight_kg=3, volume_l=10, longest_side_cm=30),),
    )
    start = NOON - timedelta(minutes=90)
    job = do.request_job(store, coop, client, request, at=start).id
    planning_round(store, coop, helsinki, start, budget_s=0.3)
    do.override(store, coop, job, busy, dispatcher_id="d", at=start, reason="")
    do.acknowledge(store, coop, job, courier_id=busy, at=start)

    problem, _ = build_problem(store, coop, helsinki, NOON)
    worked = {c.id: c.worked_s_today for c in problem.couriers}
    assert worked[busy] == 90 * 60 and worked[idle] == 0
