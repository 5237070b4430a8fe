"""What a courier reports finding at pickup is bounded (attack findings 1 and 8): below what a
courier can tell apart (0.01 kg, 0.01 L, 1 cm) it is refused with the field named; whatever the
sequence of reports, even ones written before the bounds, the parcels' weights stay finite and
positive; the same values again change nothing, and a job takes at most a few reports (each one
calls the client's webhook). A job whose stored request cannot be planned all the same (a NaN
weight written before the bounds) never stops its cooperative's planning: the round leaves it
out with the reason ``unreadable_request`` and plans the others; a cancelled bad job is not even
read."""

from __future__ import annotations

import json
import math
import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from dispatch import commands as do
from dispatch.errors import Conflict, DomainError, InvalidInput, ReportLimit
from dispatch.events import Actor, ActorKind, EventType, NewEvent
from dispatch.model import JobRequest, Parcel, Place, TimeWindow, Vehicle
from dispatch.planning import planning_round
from dispatch.projections import JobView, _shared_out
from dispatch.store import Store
from dispatch.store.access import NothingToChange
from dispatch.store.schema import JobRow
from routing.network import BikeNetwork
from tests.dispatch.helsinki import MARKET, NOON, STATION


def _request(*kgs: float) -> JobRequest:
    window = TimeWindow(NOON, NOON + timedelta(hours=3))
    return JobRequest(
        pickup=Place(*STATION),
        dropoff=Place(*MARKET),
        pickup_window=window,
        dropoff_window=window,
        parcels=tuple(Parcel(weight_kg=kg, volume_l=10, longest_side_cm=30) for kg in kgs),
    )


def _given(store: Store, *kgs: float) -> tuple[str, str, str]:
    """A cooperative, a cargo bike on shift, and a job of parcels ``kgs`` given to it."""
    coop = store.create_cooperative("Scales").id
    client = store.add_client(coop, "Shop")[0].id
    cargo = store.add_courier(coop, "Mikko", Vehicle.of_kind("cargo_bike")).id
    do.start_shift(store, coop, cargo, at=NOON - timedelta(hours=1), planned_end=NOON + timedelta(hours=4))
    job = do.request_job(store, coop, client, _request(*kgs), at=NOON).id
    do.override(store, coop, job, cargo, dispatcher_id="d", at=NOON + timedelta(minutes=1))
    return coop, cargo, job


def _parcels_sane(store: Store, coop: str, job: str) -> list[float]:
    kgs = [float(p["weight_kg"]) for p in store.job(coop, job).request["parcels"]]
    assert all(math.isfinite(kg) and kg > 0 for kg in kgs), kgs
    JobRequest.from_json(store.job(coop, job).request)  # a planning round can read it
    return kgs


def test_values_below_what_a_courier_can_tell_apart_are_refused_with_the_field_named(store: Store) -> None:
    coop, cargo, job = _given(store, 10.0, 10.0)
    at = NOON + timedelta(minutes=5)
    last = store.cooperative_last_seq(coop)
    for field, found in (
        ("weight_kg", {"weight_kg": 5e-324}),
        ("weight_kg", {"weight_kg": 1e-300}),
        ("weight_kg", {"weight_kg": 0.009}),
        ("weight_kg", {"weight_kg": math.nan}),
        ("weight_kg", {"weight_kg": math.inf}),
        ("volume_l", {"weight_kg": 20.0, "volume_l": 1e-320}),
        ("longest_side_cm", {"weight_kg": 20.0, "longest_side_cm": 1e-7}),
        ("longest_side_cm", {"weight_kg": 20.0, "longest_side_cm": 0.9}),
    ):
        with pytest.raises(InvalidInput) as refused:
            do.report_weight(store, coop, job, courier_id=cargo, at=at, **found)  # type: ignore[arg-type]
        assert refused.value.field == field, found
    assert store.cooperative_last_seq(coop) == last  # nothing written
    # the bounds themselves are fine
    do.report_weight(store, coop, job, courier_id=cargo, weight_kg=0.01, volume_l=0.01, longest_side_cm=1, at=at)
    assert sum(_parcels_sane(store, coop, job)) == pytest.approx(0.01)


def test_the_same_values_again_change_nothing_and_a_job_takes_at_most_five_reports(store: Store) -> None:
    coop, cargo, job = _given(store, 10.0, 10.0)
    at = NOON + timedelta(minutes=5)
    do.report_weight(store, coop, job, courier_id=cargo, weight_kg=30.0, at=at)
    last = store.cooperative_last_seq(coop)
    with pytest.raises(NothingToChange):
        do.report_weight(store, coop, job, courier_id=cargo, weight_kg=30.0, at=at)
    assert store.cooperative_last_seq(coop) == last
    do.report_weight(store, coop, job, courier_id=cargo, weight_kg=30.0, volume_l=25.0, at=at)  # the size is new
    with pytest.raises(NothingToChange):
        do.report_weight(store, coop, job, courier_id=cargo, weight_kg=30.0, volume_l=25.0, at=at)
    for kg in (31.0, 32.0, 33.0):
        do.report_weight(store, coop, job, courier_id=cargo, weight_kg=kg, at=at)
    last = store.cooperative_last_seq(coop)
    with pytest.raises(ReportLimit) as flood:
        do.report_weight(store, coop, job, courier_id=cargo, weight_kg=34.0, at=at)
    assert flood.value.code == "too_many_reports" and "5 times" in str(flood.value)
    assert store.cooperative_last_seq(coop) == last
    assert store.job(coop, job).weight_kg == 33.0
    reports = [e for e in store.events(coop) if e.job_id == job and e.type is EventType.PARCEL_REWEIGHED]
    assert len(reports) == do.MAX_WEIGHT_REPORTS == 5


@pytest.mark.parametrize("kgs", [(10.0,), (10.0, 10.0), (0.5, 19.5, 5.0)])
def test_parcel_weights_stay_finite_and_positive_whatever_the_reports_written(store: Store, kgs: tuple[float]) -> None:
    """Reports as the attack wrote them, before the bounds (appended straight to the log, past
    the command's checks): 5e-324 then 10 kg made 0 then NaN, 1e-310 then 1000 made infinity."""
    coop, cargo, job = _given(store, *kgs)
    for found in (5e-324, 10.0, 1e-310, 1000.0, 1e-300, 0.01, 999.99):
        payload = {"courier_id": cargo, "job_id": job, "weight_kg": found, "declared_weight_kg": sum(kgs)}
        payload["back_to_dispatch"] = False
        new = NewEvent(
            coop, NOON + timedelta(minutes=5), Actor(ActorKind.COURIER, cargo), EventType.PARCEL_REWEIGHED, payload
        )
        store.append(new)
        if found >= 0.01:  # a report a courier can make: shared out exactly
            assert math.fsum(_parcels_sane(store, coop, job)) == pytest.approx(found)
    assert store.job(coop, job).weight_kg == 999.99


def test_the_weight_found_is_shared_out_as_the_parcels_were_and_equally_when_they_cannot_say() -> None:
    assert _shared_out(30.0, [10.0, 20.0]) == pytest.approx([10.0, 20.0])
    assert _shared_out(10.0, [5e-324, 5e-324]) == [5.0, 5.0]  # about nothing: equally
    assert _shared_out(10.0, [0.0, 1e-9]) == [5.0, 5.0]
    assert _shared_out(10.0, [math.nan, 1.0]) == [5.0, 5.0]
    assert _shared_out(10.0, [math.inf, 1.0]) == [5.0, 5.0]
    assert _shared_out(1000.0, [1e-300, 1.0]) == [500.0, 500.0]  # one share would come out as 0
    assert _shared_out(0.01, [1.0, 1e308]) == [0.005, 0.005]  # a share comes out as about nothing
    assert _shared_out(10.0, [1e308, 1e308]) == [5.0, 5.0]  # the total overflows


def _corrupt(store: Store, coop: str, job: str) -> None:
    """The job's stored parcels weigh NaN, as the unbounded reports of commit 25dd419 left them
    (PostgreSQL's JSON has no NaN: there, the text "NaN" a hand-made fix could leave)."""
    nan: float | str = math.nan if store.engine.dialect.name == "sqlite" else "NaN"
    view = store.job(coop, job).to_json()
    view["request"]["parcels"] = [{**p, "weight_kg": nan} for p in view["request"]["parcels"]]
    with store.engine.begin() as conn:
        conn.execute(update(JobRow).where(JobRow.id == job).values(view=json.loads(json.dumps(view))))


def test_a_cooperative_with_one_corrupted_job_still_plans_its_other_jobs(store: Store, helsinki: BikeNetwork) -> None:
    coop = store.create_cooperative("One bad apple").id
    client = store.add_client(coop, "Shop")[0].id
    cargo = store.add_courier(coop, "Mikko", Vehicle.of_kind("cargo_bike")).id
    do.start_shift(store, coop, cargo, at=NOON - timedelta(hours=1), planned_end=NOON + timedelta(hours=4))
    bad = do.request_job(store, coop, client, _request(5.0, 5.0), at=NOON).id
    gone = do.request_job(store, coop, client, _request(5.0, 5.0), at=NOON).id
    do.cancel_job(store, coop, gone, by=Actor(ActorKind.CLIENT, client), at=NOON + timedelta(minutes=1))
    good = do.request_job(store, coop, client, _request(5.0, 5.0), at=NOON + timedelta(minutes=2)).id
    _corrupt(store, coop, bad)
    _corrupt(store, coop, gone)
    assert math.isnan(float(store.job(coop, bad).request["parcels"][0]["weight_kg"]))

    result = planning_round(store, coop, helsinki, NOON + timedelta(minutes=3), budget_s=0.5)
    assert [e.payload["job_id"] for e in result.proposals] == [good]
    assert result.unassigned[bad].code == "unreadable_request"
    assert gone not in result.unassigned
    # the dispatcher sees why, in the log, once
    withheld = [e for e in store.events(coop) if e.type is EventType.PROPOSAL_WITHHELD and e.job_id == bad]
    assert [e.payload["reason"]["code"] for e in withheld] == ["unreadable_request"]
    again = planning_round(store, coop, helsinki, NOON + timedelta(minutes=4), budget_s=0.5, previous=result.plan)
    assert again.unassigned[bad].code == "unreadable_request" and not again.withheld


def test_a_size_only_report_on_a_very_light_parcel_keeps_its_weight_unchecked(store: Store) -> None:
    """A 5 g envelope (the intake takes any weight above 0) measured bigger: the courier gave no
    weight, so none is refused (review item 8); the job keeps its 5 g."""
    coop, cargo, job = _given(store, 0.005)
    done = do.report_weight(store, coop, job, courier_id=cargo, weight_kg=None, volume_l=25.0, at=NOON)
    assert done.event.payload["weight_kg"] == pytest.approx(0.005)
    assert done.event.payload["volume_l"] == 25.0
    assert store.job(coop, job).weight_kg == pytest.approx(0.005)
    with pytest.raises(InvalidInput) as refused:  # a weight the courier does give is still bounded
        do.report_weight(store, coop, job, courier_id=cargo, weight_kg=0.005, volume_l=30.0, at=NOON)
    assert refused.value.field == "weight_kg"


def test_parallel_reports_never_pass_the_cap(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Four reports made, then six at once, each having read the job (one report left) before
    any is written (review item 9): one is written, the others are refused as a conflict naming
    the report that came first, and the job never takes more than five."""
    coop, cargo, job = _given(store, 10.0)
    at = NOON + timedelta(minutes=5)
    for kg in (11.0, 12.0, 13.0, 14.0):
        do.report_weight(store, coop, job, courier_id=cargo, weight_kg=kg, at=at)
    racers = 6
    all_read = threading.Barrier(racers, timeout=10)
    read_job = store.job

    def job_read_together(coop_id: str, job_id: str) -> JobView:
        seen = read_job(coop_id, job_id)
        all_read.wait()  # every report has passed the count before any is appended
        return seen

    monkeypatch.setattr(store, "job", job_read_together)
    outcomes: list[object] = []

    def report(kg: float) -> None:
        try:
            outcomes.append(do.report_weight(store, coop, job, courier_id=cargo, weight_kg=kg, at=at))
        except DomainError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=report, args=(20.0 + i,)) for i in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    monkeypatch.undo()

    written = [o for o in outcomes if isinstance(o, do.Reweighed)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(written) == 1 and len(refused) == racers - 1, outcomes
    assert all(r.code == "conflict" and r.last_act == "ParcelReweighed" for r in refused), refused
    reports = [e for e in store.events(coop) if e.job_id == job and e.type is EventType.PARCEL_REWEIGHED]
    assert len(reports) == do.MAX_WEIGHT_REPORTS
    assert store.job(coop, job).weight_reports == do.MAX_WEIGHT_REPORTS
    assert store.job(coop, job).weight_kg == written[0].event.payload["weight_kg"]
