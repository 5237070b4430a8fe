"""A parcel bigger than declared (issue 18): the size found at pickup becomes the job's, in the
stored projection and in the fold of the log alike; a vehicle it does not fit in sends the job
back with the reason as a code."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch import commands as do
from dispatch.errors import InvalidInput
from dispatch.lifecycle import JobState
from dispatch.model import JobRequest, Parcel, Place, TimeWindow, Vehicle
from dispatch.projections import fold
from dispatch.store import Store
from tests.dispatch.helsinki import MARKET, NOON, STATION


def _request() -> JobRequest:
    window = TimeWindow(NOON, NOON + timedelta(hours=3))
    parcels = (
        Parcel(weight_kg=3, volume_l=10, longest_side_cm=40),
        Parcel(weight_kg=3, volume_l=30, longest_side_cm=20),
    )
    return JobRequest(Place(*STATION), Place(*MARKET), window, window, parcels=parcels)


def test_the_size_found_at_pickup_is_the_job_s_and_the_fold_agrees(store: Store) -> None:
    coop = store.create_cooperative("Tape measure").id
    client = store.add_client(coop, "Shop")[0].id
    bike = store.add_courier(coop, "Aino", Vehicle.of_kind("bike")).id  # 60 L, 60 cm
    cargo = store.add_courier(coop, "Mikko", Vehicle.of_kind("cargo_bike")).id
    for courier in (bike, cargo):
        do.start_shift(store, coop, courier, at=NOON - timedelta(hours=1))
    job = do.request_job(store, coop, client, _request(), at=NOON).id
    do.override(store, coop, job, cargo, dispatcher_id="d", at=NOON + timedelta(minutes=1))
    with pytest.raises(InvalidInput, match="centimetres"):
        do.report_weight(store, coop, job, courier_id=cargo, weight_kg=6, longest_side_cm=0, at=NOON)
    kept = do.report_weight(
        store, coop, job, courier_id=cargo, weight_kg=6, volume_l=80, longest_side_cm=90, at=NOON + timedelta(minutes=5)
    )
    assert kept.sent_back is None and kept.event.payload["declared_volume_l"] == 40.0
    assert kept.event.payload["declared_longest_side_cm"] == 40.0
    seen = store.job(coop, job)
    assert [(p["volume_l"], p["longest_side_cm"]) for p in seen.request["parcels"]] == [(20.0, 90.0), (60.0, 20.0)]
    stored = store.projection(coop)
    assert (
        fold(store.events(coop), timezone=stored.timezone, heavy_threshold_kg=stored.heavy_threshold_kg).jobs
        == stored.jobs
    )

    do.unassign(store, coop, job, dispatcher_id="d", at=NOON + timedelta(minutes=6), reason="closer")
    do.override(store, coop, job, bike, dispatcher_id="d", at=NOON + timedelta(minutes=7))
    back = do.report_weight(store, coop, job, courier_id=bike, weight_kg=6, volume_l=80, at=NOON + timedelta(minutes=8))
    assert back.flagged is not None and back.flagged.payload["reason"]["code"] == "bigger_than_declared"
    assert back.flagged.payload["reason"]["params"]["litres"] == 80.0
    assert back.sent_back is not None and back.sent_back.payload["reason"]["code"] == "bigger_than_declared"
    assert back.sent_back.payload["reason"]["params"]["litres"] == 80.0
    assert store.job(coop, job).state is JobState.DECLINED
