"""Group commit on SQLite and PostgreSQL: appends that wait together are written in one
transaction, yet each is accepted or refused alone, numbers stay gap-free and in order, and a
caller hears of success only once its event is committed."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import Connection

from dispatch import commands as do
from dispatch.errors import Conflict, IdempotencyConflict, IllegalTransition, InvalidInput
from dispatch.events import Event, NewEvent
from dispatch.projections import fold
from dispatch.store import Store
from tests.dispatch.conftest import Coop, a_request, at


class Stop(BaseException):
    """Like KeyboardInterrupt: not an error of one append but the end of the whole batch."""


def _hold_the_writer(store: Store, coop_id: str) -> tuple[threading.Thread, threading.Event]:
    """Keep the group commit's leader busy (until the returned event is set) so appends queue up."""
    gate = threading.Event()

    def hold(_conn: Connection) -> None:
        gate.wait(10)

    holder = threading.Thread(target=store._commits.run, args=(coop_id, hold))
    holder.start()
    deadline = time.monotonic() + 10
    while not store._commits._busy and time.monotonic() < deadline:
        time.sleep(0.005)
    return holder, gate


def _queued(store: Store) -> int:
    with store._commits._mutex:
        return len(store._commits._queue)


def test_a_batch_accepts_and_refuses_each_append_alone(coop: Coop) -> None:
    s, c = coop.store, coop.id
    assigned = do.request_job(s, c, coop.client, a_request(), at=at(0)).id
    do.override(s, c, assigned, coop.bike, dispatcher_id="d", at=at(1))
    before = len(s.events(c))
    holder, gate = _hold_the_writer(s, c)
    outcomes: dict[str, Any] = {}

    def run(name: str, act: Any) -> None:
        try:
            outcomes[name] = act()
        except Exception as exc:
            outcomes[name] = exc

    acts = {
        "new-1": lambda: do.request_job(s, c, coop.client, a_request(), at=at(2), idempotency_key="k-1"),
        "illegal": lambda: do.accept(s, c, assigned, dispatcher_id="d", at=at(2)),
        "new-2": lambda: do.request_job(s, c, coop.client, a_request(7.0), at=at(2)),
        "retry-1": lambda: do.request_job(s, c, coop.client, a_request(), at=at(3), idempotency_key="k-1"),
        "reused-key": lambda: do.request_job(s, c, coop.client, a_request(9.0), at=at(3), idempotency_key="k-1"),
        "new-3": lambda: do.request_job(s, c, coop.client, a_request(2.0), at=at(2)),
    }
    threads = []
    for name, act in acts.items():
        threads.append(threading.Thread(target=run, args=(name, act)))
        threads[-1].start()
        deadline = time.monotonic() + 10
        while _queued(s) < len(threads) and time.monotonic() < deadline:
            time.sleep(0.005)  # queue them in this order
    assert _queued(s) == len(acts)
    assert not outcomes, "nothing may be answered before its batch is committed"
    gate.set()
    for t in [holder, *threads]:
        t.join(10)

    assert isinstance(outcomes["illegal"], IllegalTransition)
    assert isinstance(outcomes["reused-key"], IdempotencyConflict)
    assert outcomes["retry-1"].id == outcomes["new-1"].id
    new = [outcomes[n] for n in ("new-1", "new-2", "new-3")]
    events = s.events(c)
    assert [e.seq for e in events] == list(range(1, before + 4))  # gap-free: the refusals took no number
    assert [e.payload["job_id"] for e in events[before:]] == [j.id for j in new]  # in the order they came
    assert [j.last_seq for j in new] == [before + 1, before + 2, before + 3]
    stored = s.projection(c)
    zone = stored.timezone
    assert fold(events, timezone=zone, heavy_threshold_kg=stored.heavy_threshold_kg).jobs == stored.jobs
    assert all(stored.jobs[j.id] == j for j in new)  # what each caller got is what was stored


def test_many_threads_appending_at_once_get_contiguous_numbers(coop: Coop) -> None:
    s, c = coop.store, coop.id
    errors: list[BaseException] = []
    ids: list[str] = []

    def write() -> None:
        try:
            for _ in range(15):
                ids.append(do.request_job(s, c, coop.client, a_request(), at=at(0)).id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    events = s.events(c)
    assert [e.seq for e in events] == list(range(1, 181))
    assert sorted(e.payload["job_id"] for e in events) == sorted(ids)


def test_a_failed_commit_fails_every_append_of_its_batch(coop: Coop) -> None:
    """Work that breaks the transaction itself (not a refusal) leaves nothing of the batch."""
    s, c = coop.store, coop.id
    before = len(s.events(c))
    holder, gate = _hold_the_writer(s, c)
    outcomes: list[Any] = []

    def request() -> None:
        try:
            outcomes.append(do.request_job(s, c, coop.client, a_request(), at=at(0)))
        except BaseException as exc:
            outcomes.append(exc)

    def poison(_conn: Connection) -> None:
        raise Stop  # not an Exception: it stops the whole batch

    writer = threading.Thread(target=request)
    writer.start()
    while _queued(s) < 1:
        time.sleep(0.005)

    def break_it() -> None:
        with pytest.raises(Stop):
            s._commits.run(c, poison)

    breaker = threading.Thread(target=break_it)
    breaker.start()
    while _queued(s) < 2:
        time.sleep(0.005)
    gate.set()
    for t in (holder, writer, breaker):
        t.join(10)
    assert len(outcomes) == 1 and isinstance(outcomes[0], Stop)
    assert len(s.events(c)) == before


def test_many_appends_at_once_share_one_batch_yet_each_is_refused_alone(coop: Coop) -> None:
    """A planning round appends its proposals together (issue 21): a job a dispatcher acted on
    meanwhile is refused as it would be alone, and the others are written in order, gap-free."""
    s, c = coop.store, coop.id
    jobs = [do.request_job(s, c, coop.client, a_request(), at=at(0)) for _ in range(3)]
    do.override(s, c, jobs[1].id, coop.bike, dispatcher_id="d", at=at(1))  # after the round read it
    before = len(s.events(c))
    batch: list[tuple[NewEvent, int | None]] = [(do.proposal(c, j.id, coop.cargo, at=at(2)), j.last_seq) for j in jobs]
    outcomes = s.append_all(c, batch)
    assert isinstance(outcomes[1], Conflict)
    written = [outcomes[0], outcomes[2]]
    assert all(isinstance(e, Event) for e in written)
    events = s.events(c)
    assert [e.seq for e in events[before:]] == [before + 1, before + 2]
    assert [e.payload["job_id"] for e in events[before:]] == [jobs[0].id, jobs[2].id]
    assert s.job(c, jobs[1].id).courier_id == coop.bike  # the dispatcher's act stands
    assert s.job(c, jobs[0].id).proposal["courier_id"] == coop.cargo  # type: ignore[index]
    with pytest.raises(InvalidInput):
        s.append_all("another-coop", batch)
