"""Shifts hold: no proposal makes a courier work past their shift; a job nobody on shift can
take is flagged for a person, with the reason, once (issue 15)."""

from __future__ import annotations

from datetime import timedelta

from dispatch import commands as do
from dispatch.events import EventType
from dispatch.model import JobRequest, Parcel, Place, TimeWindow, Vehicle
from dispatch.planning import planning_round
from dispatch.store import Store
from routing.network import BikeNetwork
from tests.dispatch.helsinki import MARKET, NOON, STATION
from tests.words import said


def test_a_job_past_every_shift_needs_a_decision_until_someone_can_take_it(store: Store, helsinki: BikeNetwork) -> None:
    coop = store.create_cooperative("Shifts", fairness_weight=1.0).id
    client = store.add_client(coop, "Shop")[0].id
    leaving = store.add_courier(coop, "Aino", Vehicle.of_kind("bike")).id
    do.start_shift(store, coop, leaving, at=NOON - timedelta(hours=4), planned_end=NOON + timedelta(minutes=20))
    later = TimeWindow(NOON + timedelta(hours=2), NOON + timedelta(hours=3))
    request = JobRequest(
        pickup=Place(*STATION),
        dropoff=Place(*MARKET),
        pickup_window=later,
        dropoff_window=later,
        parcels=(Parcel(weight_kg=3, volume_l=10, longest_side_cm=30),),
    )
    job = do.request_job(store, coop, client, request, at=NOON).id

    first = planning_round(store, coop, helsinki, NOON, budget_s=0.3)
    assert first.proposals == [] and said(first.unassigned[job]) == "no courier's shift lasts long enough to do it"
    assert [e.type for e in first.withheld] == [EventType.PROPOSAL_WITHHELD]
    assert store.job(coop, job).needs_decision == first.unassigned[job].to_json()
    again = planning_round(store, coop, helsinki, NOON + timedelta(minutes=5), budget_s=0.3)
    assert again.withheld == []  # said once, not every round

    evening = store.add_courier(coop, "Eero", Vehicle.of_kind("bike")).id
    do.start_shift(store, coop, evening, at=NOON + timedelta(minutes=6), planned_end=NOON + timedelta(hours=5))
    third = planning_round(store, coop, helsinki, NOON + timedelta(minutes=6), budget_s=0.3)
    assert [e.payload["courier_id"] for e in third.proposals] == [evening]
    assert store.job(coop, job).needs_decision is None
