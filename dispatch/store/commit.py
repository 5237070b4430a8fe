"""Group commit: appends that arrive together share one write transaction and one flush.

On SQLite every write transaction takes the database's single write lock; threads (and worker
processes) that find it taken sleep in SQLite's busy handler, in steps of up to 100 ms, so under
load most of an append's time was spent asleep, and each commit paid its own fsync. Here the
first thread to arrive becomes the *leader*: it takes every append waiting at that moment, runs
them one after another in one transaction, commits once, and only then wakes the callers. A
caller therefore hears of success only after its event is durable, and a failed commit fails
every append of the batch, none of which was written. When one append is refused (an illegal
act, a conflict), the transaction is rolled back and the others run again without it: sequence
numbers stay gap-free, and each append is accepted or refused as if it had run alone after the
ones before it.

Leaders of different processes (several API workers, the planner) queue on an ``flock`` of a
file next to a SQLite database, which the kernel hands over in turn, instead of polling SQLite's
lock. On PostgreSQL a batch locks its cooperatives' rows in id order, so two batches never wait
for each other in a cycle.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows; SQLite's own lock still serialises
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")


@dataclass(eq=False)
class _Work(Generic[T]):
    key: str  #: batches run their work sorted by this (the cooperative), stable within a key
    fn: Callable[[Connection], T]
    wake: threading.Event = field(default_factory=threading.Event)  #: done, or made the leader
    done: bool = False
    result: T | None = None
    error: BaseException | None = field(default=None, repr=False)

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


def lock_path(engine: Engine) -> Path | None:
    """The file whose ``flock`` orders the appends of every process on a SQLite file."""
    if engine.dialect.name != "sqlite" or fcntl is None:
        return None
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    return Path(database).with_name(Path(database).name + ".append-lock")


class GroupCommit:
    """Runs write work for many threads in shared transactions; see the module docstring."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._mutex = threading.Lock()
        self._queue: list[_Work[Any]] = []
        self._busy = False  #: a leader is running a batch; the next one waits to be woken
        self._lock_path = lock_path(engine)

    def run(self, key: str, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in a write transaction, alone or with others; return once it is durable."""
        item: _Work[T] = _Work(key, fn)
        self._run([item])
        return item.outcome()

    def run_many(self, key: str, fns: list[Callable[[Connection], T]]) -> list[T | BaseException]:
        """Run every ``fn`` in one batch (one transaction unless some are refused); each gives its
        result or the error it raised, as :meth:`run` would have, in order.

        For a caller with many appends at once (a planning round's proposals): one commit and one
        flush instead of one each, which under a loaded disk was most of a 1,500-job round's
        writing (bench_scale: 7 s for 365 appends one by one).
        """
        items: list[_Work[T]] = [_Work(key, fn) for fn in fns]
        if items:
            self._run(items)
        return [item.error if item.error is not None else item.outcome() for item in items]

    def _run(self, items: list[_Work[Any]]) -> None:
        # Queued together under the mutex, so one leader takes them all into one batch: when the
        # first is done, so are the others.
        with self._mutex:
            self._queue.extend(items)
            leader, self._busy = not self._busy, True
        if not leader:
            items[0].wake.wait()  # each waiter is woken alone: when its batch is done, or to lead
            if items[0].done:
                return
        try:
            # The leader takes everything waiting, its own work included. A batch is bounded by
            # the number of threads that append (the API's thread pool), so it needs no limit.
            with self._mutex:
                batch, self._queue = self._queue, []
            self._commit(batch)
        finally:
            with self._mutex:
                if self._queue:
                    self._queue[0].wake.set()  # it leads the next batch (busy stays set)
                else:
                    self._busy = False

    def _commit(self, batch: list[_Work[Any]]) -> None:
        pending = sorted(batch, key=lambda w: w.key)
        try:
            while pending:
                refused = self._attempt(pending)
                if refused is None:
                    break
                pending.remove(refused)  # the others run again, in a new transaction, without it
        except BaseException as exc:
            # The commit failed (or the batch was interrupted): nothing of what was left was written.
            for item in pending:
                item.error, item.result = exc, None
            if not isinstance(exc, Exception):
                raise
        finally:
            for item in batch:
                item.done = True
                item.wake.set()

    def _attempt(self, pending: list[_Work[Any]]) -> _Work[Any] | None:
        """Run ``pending`` in one transaction and commit it; or roll it all back at the first
        refusal and return that piece of work (with its error). Refusals are rare, so this costs
        less than a savepoint around every append."""
        with self._between_processes(), self.engine.connect() as conn:
            transaction = conn.begin()
            for item in pending:
                try:
                    item.result = item.fn(conn)
                except Exception as exc:
                    transaction.rollback()
                    item.error, item.result = exc, None
                    return item
            transaction.commit()
        return None

    @contextlib.contextmanager
    def _between_processes(self) -> Iterator[None]:
        if self._lock_path is None:
            yield
            return
        with open(self._lock_path, "a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # released when the file is closed
            yield
