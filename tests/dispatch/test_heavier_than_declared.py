"""A parcel heavier than declared (issue 18): the weight found at pickup is the job's from then
on; on a vehicle that cannot carry it, the job goes back to dispatch with the reason and the
next round gives it to a vehicle that can."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch import commands as do
from dispatch.errors import InvalidInput
from dispatch.events import EventType
from dispatch.lifecycle import JobState
from dispatch.model import JobRequest, Parcel, Place, TimeWindow, Vehicle
from dispatch.planning import planning_round
from dispatch.store import Store
from routing.network import BikeNetwork
from tests.dispatch.helsinki import MARKET, NOON, STATION


def _request(kg: float) -> JobRequest:
    window = TimeWindow(NOON, NOON + timedelta(hours=3))
    return JobRequest(
        pickup=Place(*STATION),
        dropoff=Place(*MARKET),
        pickup_window=window,
        dropoff_window=window,
        parcels=(Parcel(weight_kg=kg / 2, volume_l=10, longest_side_cm=30),) * 2,
    )


def test_a_20_kg_parcel_found_at_45_kg_on_a_25_kg_bike_goes_back_with_the_reason(
    store: Store, helsinki: BikeNetwork
) -> None:
    coop = store.create_cooperative("Scales", fairness_weight=1.0).id
    client = store.add_client(coop, "Shop")[0].id
    bike = store.add_courier(coop, "Aino", Vehicle.of_kind("bike")).id
    cargo = store.add_courier(coop, "Mikko", Vehicle.of_kind("cargo_bike")).id
    for courier in (bike, cargo):
        do.start_shift(store, coop, courier, at=NOON - timedelta(hours=1), planned_end=NOON + timedelta(hours=4))
    job = do.request_job(store, coop, client, _request(20.0), at=NOON).id
    do.override(store, coop, job, bike, dispatcher_id="d", at=NOON + timedelta(minutes=1))
    do.acknowledge(store, coop, job, courier_id=bike, at=NOON + timedelta(minutes=2))

    with pytest.raises(InvalidInput, match="weight"):
        do.report_weight(store, coop, job, courier_id=bike, weight_kg=0, at=NOON + timedelta(minutes=9))
    done = do.report_weight(store, coop, job, courier_id=bike, weight_kg=45.0, at=NOON + timedelta(minutes=10))
    assert done.sent_back is not None and done.sent_back.type is EventType.COURIER_DECLINED
    said = done.sent_back.payload["reason"]  # a code the edge words: 45 kg found, over the bike's 25 kg
    assert said["code"] == "heavier_than_declared" and said["params"]["kg"] == 45.0, said
    assert 25.0 in said["params"].values(), said
    seen = store.job(coop, job)
    assert seen.state is JobState.DECLINED and seen.weight_kg == 45.0 and seen.declared_weight_kg == 20.0
    assert sum(p["weight_kg"] for p in seen.request["parcels"]) == pytest.approx(45.0)

    again = planning_round(store, coop, helsinki, NOON + timedelta(minutes=11), budget_s=0.5)
    assert [(e.payload["job_id"], e.payload["courier_id"]) for e in again.proposals] == [(job, cargo)]


def test_a_parcel_that_still_fits_stays_with_the_courier_and_counts_its_real_weight(store: Store) -> None:
    coop = store.create_cooperative("Scales 2").id
    client = store.add_client(coop, "Shop")[0].id
    cargo = store.add_courier(coop, "Mikko", Vehicle.of_kind("cargo_bike")).id
    do.start_shift(store, coop, cargo, at=NOON - timedelta(hours=1), planned_end=NOON + timedelta(hours=4))
    job = do.request_job(store, coop, client, _request(20.0), at=NOON).id
    do.override(store, coop, job, cargo, dispatcher_id="d", at=NOON + timedelta(minutes=1))
    do.acknowledge(store, coop, job, courier_id=cargo, at=NOON + timedelta(minutes=2))
    done = do.report_weight(store, coop, job, courier_id=cargo, weight_kg=45.0, at=NOON + timedelta(minutes=10))
    assert done.sent_back is None
    do.pick_up(store, coop, job, courier_id=cargo, at=NOON + timedelta(minutes=11))
    do.deliver(store, coop, job, courier_id=cargo, at=NOON + timedelta(minutes=30))
    (entry,) = [e for e in store.ledger(coop, "2026-11-28") if e.courier_id == cargo]
    assert entry.heavy_jobs == 1 and entry.heavy_kg == pytest.approx(45.0)  # declared 20 kg: not heavy
    with pytest.raises(InvalidInput, match="weighed at pickup"):
        do.report_weight(store, coop, job, courier_id=cargo, weight_kg=50.0, at=NOON + timedelta(minutes=31))
