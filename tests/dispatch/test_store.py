"""The store on SQLite and PostgreSQL: a scripted day folds to the stored state, nothing leaks
between cooperatives, nothing half-written, idempotent requests, visible conflicts."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from sqlalchemy import select, text

from dispatch import commands as do
from dispatch.errors import Conflict, IdempotencyConflict, IllegalTransition, InvalidInput, NotFound
from dispatch.events import Actor, ActorKind, EventType, NewEvent
from dispatch.lifecycle import JobState
from dispatch.model import Vehicle
from dispatch.projections import fold
from dispatch.store import Store
from dispatch.store.schema import ClientRow
from tests.dispatch.conftest import Coop, a_request, at

DAY = "2026-11-28"
DISPATCHER = "dispatcher-1"


def _folded(coop: Coop):
    c = coop.store.cooperative(coop.id)
    from zoneinfo import ZoneInfo

    return fold(coop.store.events(coop.id), timezone=ZoneInfo(c.timezone), heavy_threshold_kg=c.heavy_threshold_kg)


def scripted_day(coop: Coop) -> dict[str, str]:
    """A day with every kind of act; returns the job ids by name."""
    s, c, b, k = coop.store, coop.id, coop.bike, coop.cargo
    do.start_shift(s, c, b, at=at(0), planned_end=at(240))
    do.start_shift(s, c, k, at=at(0), planned_end=at(300))
    jobs = {
        name: do.request_job(s, c, coop.client, a_request(w), at=at(5)).id
        for name, w in (("J1", 4.0), ("J2", 40.0), ("J3", 2.0), ("J4", 10.0))
    }
    do.propose(s, c, jobs["J1"], b, at=at(10), explanation={"extra_minutes": 6.5})
    do.propose(s, c, jobs["J2"], k, at=at(10), explanation={"why": "only cargo bike fits 40 kg"})
    do.propose(s, c, jobs["J3"], b, at=at(10))
    do.accept(s, c, jobs["J1"], dispatcher_id=DISPATCHER, at=at(12))
    do.accept(s, c, jobs["J2"], dispatcher_id=DISPATCHER, at=at(12))
    do.override(s, c, jobs["J3"], k, dispatcher_id=DISPATCHER, at=at(12), reason="Mikko is closer")
    do.override(s, c, jobs["J4"], b, dispatcher_id=DISPATCHER, at=at(12))
    do.acknowledge(s, c, jobs["J1"], courier_id=b, at=at(15))
    do.acknowledge(s, c, jobs["J2"], courier_id=k, at=at(15))
    do.decline(s, c, jobs["J3"], courier_id=k, at=at(15), reason="flat tyre on the trailer")
    do.acknowledge(s, c, jobs["J4"], courier_id=b, at=at(16))
    do.override(s, c, jobs["J3"], b, dispatcher_id=DISPATCHER, at=at(25))
    do.acknowledge(s, c, jobs["J3"], courier_id=b, at=at(26))
    do.pick_up(s, c, jobs["J1"], courier_id=b, at=at(30))
    do.pick_up(s, c, jobs["J2"], courier_id=k, at=at(35))
    do.deliver(s, c, jobs["J1"], courier_id=b, at=at(45), carried_m=1500)
    do.pause_shift(s, c, b, at=at(50))
    do.deliver(s, c, jobs["J2"], courier_id=k, at=at(60), carried_m=2000)
    do.resume_shift(s, c, b, at=at(80))
    do.pick_up(s, c, jobs["J4"], courier_id=b, at=at(90))
    do.pick_up(s, c, jobs["J3"], courier_id=b, at=at(95))
    do.fail(s, c, jobs["J4"], courier_id=b, at=at(100), reason="nobody at the door")
    jobs["J5"] = do.request_job(s, c, coop.client, a_request(1.0), at=at(100)).id
    do.cancel_job(s, c, jobs["J5"], by=Actor(ActorKind.CLIENT, coop.client), at=at(110), reason="changed plans")
    do.deliver(s, c, jobs["J3"], courier_id=b, at=at(120), carried_m=800)
    do.end_shift(s, c, b, at=at(240))
    do.end_shift(s, c, k, at=at(300))
    return jobs


def test_a_scripted_day_folds_to_exactly_the_stored_state_and_ledger(coop: Coop) -> None:
    jobs = scripted_day(coop)
    stored, folded = coop.store.projection(coop.id), _folded(coop)
    assert folded.jobs == stored.jobs
    assert folded.couriers == stored.couriers
    assert folded.ledger == stored.ledger

    states = {name: stored.jobs[job_id].state for name, job_id in jobs.items()}
    assert states == {
        "J1": JobState.DELIVERED,
        "J2": JobState.DELIVERED,
        "J3": JobState.DELIVERED,
        "J4": JobState.FAILED,
        "J5": JobState.CANCELLED,
    }
    assert stored.jobs[jobs["J3"]].declines[0]["reason"] == "flat tyre on the trailer"

    bike, cargo = stored.ledger[(coop.bike, DAY)], stored.ledger[(coop.cargo, DAY)]
    assert bike.shift_minutes == pytest.approx(210)  # 240 on shift less a 30-minute pause
    assert bike.planned_shift_minutes == pytest.approx(240)
    assert bike.worked_minutes == pytest.approx(35 + 40)  # jobs in hand 15-50 and 80-120, pause excluded
    assert bike.kg_km == pytest.approx(4 * 1.5 + 2 * 0.8)
    assert (bike.heavy_jobs, bike.heavy_kg) == (0, 0)
    assert cargo.shift_minutes == pytest.approx(300) and cargo.worked_minutes == pytest.approx(45)
    assert cargo.kg_km == pytest.approx(80) and (cargo.heavy_jobs, cargo.heavy_kg) == (1, 40)
    assert sorted(e.courier_id for e in coop.store.ledger(coop.id, DAY)) == sorted([coop.bike, coop.cargo])

    seqs = [e.seq for e in coop.store.events(coop.id)]
    assert seqs == list(range(1, len(seqs) + 1))


def test_a_decline_changes_no_figure_about_the_courier(coop: Coop) -> None:
    s, c = coop.store, coop.id
    do.start_shift(s, c, coop.cargo, at=at(0))
    job = do.request_job(s, c, coop.client, a_request(), at=at(1)).id
    do.override(s, c, job, coop.cargo, dispatcher_id=DISPATCHER, at=at(2))
    before = s.projection(c)
    do.decline(s, c, job, courier_id=coop.cargo, at=at(3), reason="my knee hurts today")
    after = s.projection(c)
    assert after.ledger == before.ledger and after.couriers == before.couriers
    assert after.jobs[job].state is JobState.DECLINED and after.jobs[job].courier_id is None


def _counts(store: Store, coop_id: str) -> tuple[int, list[object]]:
    return len(store.events(coop_id)), [j.to_json() for j in store.jobs(coop_id)]


def test_illegal_acts_are_refused_and_leave_nothing_written(coop: Coop) -> None:
    s, c = coop.store, coop.id
    job = do.request_job(s, c, coop.client, a_request(), at=at(0)).id
    before = _counts(s, c)
    with pytest.raises(IllegalTransition, match="is waiting for a courier: it cannot be accepted") as refused:
        do.accept(s, c, job, dispatcher_id=DISPATCHER, at=at(1))
    assert refused.value.params == {"job": job, "state": "requested", "act": "accept"}
    with pytest.raises(IllegalTransition, match="cannot be delivered"):
        do.deliver(s, c, job, courier_id=coop.bike, at=at(1))
    do.override(s, c, job, coop.bike, dispatcher_id=DISPATCHER, at=at(2))
    with pytest.raises(InvalidInput, match="not assigned to this courier"):
        do.acknowledge(s, c, job, courier_id=coop.cargo, at=at(3))
    with pytest.raises(InvalidInput, match="is not on shift"):
        do.pause_shift(s, c, coop.bike, at=at(3))
    with pytest.raises(InvalidInput, match="say why"):
        do.decline(s, c, job, courier_id=coop.bike, at=at(3), reason="  ")
    with pytest.raises(NotFound, match="no such job"):
        do.pick_up(s, c, "no-such-job", courier_id=coop.bike, at=at(3))
    with pytest.raises(InvalidInput, match="plain JSON"):
        do.propose(s, c, job, coop.bike, at=at(3), explanation={"minutes": float("nan")})
    events, jobs = _counts(s, c)
    assert events == before[0] + 1 and len(jobs) == 1  # only the override was written
    assert s.job(c, job).state is JobState.ASSIGNED


def test_bad_input_is_refused_before_anything_is_written(coop: Coop) -> None:
    s, c = coop.store, coop.id
    before = _counts(s, c)
    good = a_request()
    with pytest.raises(InvalidInput, match=r"parcel\.weight_kg"):
        replace(good.parcels[0], weight_kg=-3)
    with pytest.raises(InvalidInput, match="closes before the pickup window opens"):
        replace(good, dropoff_window=replace(good.dropoff_window, start=at(-200), end=at(-100)))
    with pytest.raises(NotFound, match="no such client"):
        do.request_job(s, c, "someone-else", good, at=at(0))
    assert _counts(s, c) == before


def test_idempotent_requests(coop: Coop) -> None:
    s, c = coop.store, coop.id
    first = do.request_job(s, c, coop.client, a_request(), at=at(0), idempotency_key="order-42")
    again = do.request_job(s, c, coop.client, a_request(), at=at(1), idempotency_key="order-42")
    assert again.id == first.id and len(s.jobs(c)) == 1 and len(s.events(c)) == 1
    with pytest.raises(IdempotencyConflict, match="order-42"):
        do.request_job(s, c, coop.client, a_request(weight_kg=9), at=at(2), idempotency_key="order-42")
    # Many identical retries racing each other still make one job.
    results: list[str] = []

    def retry() -> None:
        results.append(do.request_job(s, c, coop.client, a_request(), at=at(3), idempotency_key="order-43").id)

    threads = [threading.Thread(target=retry) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(results) == 6 and len(s.jobs(c)) == 2


def test_two_dispatchers_on_one_job_get_a_clear_conflict(coop: Coop) -> None:
    s, c = coop.store, coop.id
    job = do.request_job(s, c, coop.client, a_request(), at=at(0)).id
    do.propose(s, c, job, coop.bike, at=at(1))
    seen = s.job(c, job).last_seq  # both dispatchers look at the same proposal
    do.accept(s, c, job, dispatcher_id="anna", at=at(2), expected_seq=seen)
    with pytest.raises(Conflict, match="a dispatcher accepted the proposal") as stale:
        do.override(s, c, job, coop.cargo, dispatcher_id="ben", at=at(2), expected_seq=seen)
    assert (stale.value.last_act, stale.value.by) == ("ProposalAccepted", "dispatcher anna")
    with pytest.raises(IllegalTransition, match="is assigned: it cannot be accepted"):
        do.accept(s, c, job, dispatcher_id="ben", at=at(2))
    assert s.job(c, job).courier_id == coop.bike


def test_concurrent_appends_get_unique_contiguous_numbers(coop: Coop) -> None:
    s, c = coop.store, coop.id
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for _ in range(n):
                do.request_job(s, c, coop.client, a_request(), at=at(0))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(10,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    seqs = [e.seq for e in s.events(c)]
    assert seqs == list(range(1, 41))


def test_tenant_isolation(store: Store, coop: Coop) -> None:
    other = store.create_cooperative("Other coop")
    their_courier = store.add_courier(other.id, "Outsider", Vehicle.of_kind("bike")).id
    their_client, _ = store.add_client(other.id, "Their client")
    job = do.request_job(store, coop.id, coop.client, a_request(), at=at(0)).id

    with pytest.raises(NotFound):
        store.job(other.id, job)
    with pytest.raises(NotFound):
        do.override(store, other.id, job, their_courier, dispatcher_id=DISPATCHER, at=at(1))
    with pytest.raises(NotFound, match="no such courier"):
        do.override(store, coop.id, job, their_courier, dispatcher_id=DISPATCHER, at=at(1))
    with pytest.raises(NotFound, match="no such client"):
        do.request_job(store, coop.id, their_client.id, a_request(), at=at(1))
    with pytest.raises(NotFound):
        store.courier(other.id, coop.bike)
    with pytest.raises(NotFound):
        store.client(other.id, coop.client)
    assert store.events(other.id) == [] and store.jobs(other.id) == []
    assert [c.id for c in store.couriers(other.id)] == [their_courier]
    assert store.ledger(other.id, DAY) == []
    # Numbering is per cooperative.
    do.request_job(store, other.id, their_client.id, a_request(), at=at(2))
    assert [e.seq for e in store.events(other.id)] == [1]
    assert store.job(coop.id, job).state is JobState.REQUESTED


def test_api_keys_are_stored_hashed(store: Store, coop: Coop) -> None:
    assert store.client_by_api_key(coop.api_key).id == coop.client  # type: ignore[union-attr]
    assert store.client_by_api_key(coop.api_key + "x") is None
    with store.engine.connect() as conn:
        stored = conn.execute(
            select(ClientRow.api_key_hash, ClientRow.api_key_prefix).where(ClientRow.id == coop.client)
        ).one()
        dump = " ".join(str(v) for row in conn.execute(text("SELECT * FROM clients")) for v in row)
    assert coop.api_key not in dump and stored.api_key_hash != coop.api_key
    assert coop.api_key.startswith(stored.api_key_prefix)


def test_a_courier_acts_only_for_themself(coop: Coop) -> None:
    s, c = coop.store, coop.id
    with pytest.raises(InvalidInput, match="only for themself"):
        s.append(
            NewEvent(
                cooperative_id=c,
                at=at(0),
                actor=Actor(ActorKind.COURIER, coop.bike),
                type=EventType.SHIFT_STARTED,
                payload={"courier_id": coop.cargo},
            )
        )
