"""Planning rounds off the event loop: a worker process, a time budget, one round per cooperative.

The API never waits for the solver. A trigger (a new request, a decline, a shift change, a
dispatcher asking) schedules a round after a short debounce; a round for a cooperative that is
already planning is folded into one more round afterwards. The round runs in a separate process
(OR-Tools holds the GIL while it searches), appends its ProposalMade events to the store itself,
and the API then wakes the sockets. The worker keeps each cooperative's last plan to warm-start
the next round (stable proposals) and hands back the routes for the console.

The worker process dies with the API process that started it, however that one ends (a
``kill -9``, the out-of-memory killer): on Linux the kernel sends it SIGKILL when its parent
dies (``PR_SET_PDEATHSIG``), and everywhere a thread in it checks that its parent is still its
parent and exits otherwise. A planner left behind would hold about 250 MB per restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dispatch.store import Store

log = logging.getLogger("tandem.planner")

# ------------------------------------------------------------------ inside the worker process

_state: dict[str, Any] = {}
#: How often the worker looks whether its parent is still there (where the kernel cannot tell it).
PARENT_CHECK_S = 0.5
_PR_SET_PDEATHSIG = 1
#: Rounds in a row that leave a backlog and propose nothing new before the planner waits for the
#: next request (a round cut short by its time may do better the next time; a full fleet won't).
IDLE_BACKLOG_ROUNDS = 2
#: ... after which the backlog is tried again after these waits, doubling from the first to the
#: last (time frees couriers and closes windows), or soon after the next request. Stopping there
#: left 872 jobs "not planned yet, the next round tries again" with no round to come while the
#: day went on (an outside attack: 40 couriers, 1,381 requests, the fleet full at about 430).
BACKLOG_RETRY_S = (5.0, 60.0)
#: How often a planner waiting for a cooperative's lease (another planner holds it) looks again:
#: at first soon (a round is often about to end), then less often (each look is a read).
LEASE_POLL_S = (0.1, 1.0)


def die_with_parent(parent_pid: int) -> None:
    """Make sure this worker ends when the API process ``parent_pid`` ends, however it ends."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            log.warning("prctl(PR_SET_PDEATHSIG) failed (errno %d); the parent watch remains", ctypes.get_errno())
    if os.getppid() != parent_pid:  # the parent died before the kernel was told: no signal will come
        os._exit(1)

    def watch() -> None:
        # The death signal fires when the *thread* that forked us ends, and exists on Linux only;
        # a changed parent id is the portable, thread-independent sign that the parent is gone.
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _init(database_url: str | None, city: str, parent_pid: int | None = None) -> None:
    if parent_pid is not None:
        die_with_parent(parent_pid)
    from api.cities import Cities
    from dispatch.store import Store

    _state["store"] = Store.open(database_url, migrate=False)
    _state["cities"] = Cities()  # each cooperative's city, loaded at its first round (issue 16)
    _state["cities"].get(city)  # the server's own city now, before the first round
    _state["plans"] = {}
    #: per city: the places of one round are mostly those of the last (node numbers are a city's own)
    _state["travel"] = {}


def _network_of(coop_id: str) -> tuple[Any, Any]:
    """The network of ``coop_id``'s city and that city's travel cache, loading the city the
    first time one of its cooperatives plans."""
    from dispatch.store.cooperatives import cooperative_city
    from dispatch.store.engine import reading
    from routing.travel_cache import TravelCache

    with reading(_state["store"].engine) as conn:
        name = cooperative_city(conn, coop_id)
    network = _state["cities"].get(name).network
    return network, _state["travel"].setdefault(name, TravelCache())


def _round(
    coop_id: str, budget_s: float, now_iso: str, owner: str | None = None, lease_s: float = 10.0
) -> dict[str, Any]:
    from dispatch.planning import backlog_left, planning_round
    from dispatch.store import leases

    store, plans = _state["store"], _state["plans"]
    network, travel = _network_of(coop_id)
    # proposals only while the lease is still ours, checked where they are appended
    guard = None if owner is None else leases.held(coop_id, owner, lease=timedelta(seconds=lease_s))
    result = planning_round(
        store,
        coop_id,
        network,
        datetime.fromisoformat(now_iso),
        budget_s=budget_s,
        previous=plans.get(coop_id),
        travel_cache=travel,
        guard=guard,
    )
    plans[coop_id] = result.plan
    ctx = result.context
    routes = {
        courier_id: [
            {
                "job_id": stop.shipment,
                "kind": stop.kind.value,
                "eta": ctx.at(stop.start).isoformat(),
                "load_kg_after": round(stop.load_kg, 2),
            }
            for stop in route.stops
        ]
        for courier_id, route in result.plan.routes.items()
    }
    # each courier's breaks as the route takes them (issue 18): the phone shows them in its route
    breaks = {
        courier_id: [
            {"start": ctx.at(start).isoformat(), "end": ctx.at(end).isoformat(), "minutes": round((end - start) / 60)}
            for start, end in route.breaks
        ]
        for courier_id, route in result.plan.routes.items()
        if route.breaks
    }
    return {
        "planned_at": now_iso,
        "proposals": [e.seq for e in result.proposals],
        "kept": result.kept,
        "stale": result.stale,
        "unassigned": {job: why.to_json() for job, why in result.unassigned.items()},
        "routes": routes,
        "breaks": breaks,
        "metrics": result.plan.metrics,
        "backlog_left": backlog_left(result),
        "withheld": [e.seq for e in result.withheld],
    }


# ------------------------------------------------------------------ in the API worker


class Planner:
    """Schedules rounds and keeps the latest outcome per cooperative (for the console's routes)."""

    def __init__(
        self,
        database_url: str | None,
        city: str,
        *,
        budget_s: float,
        debounce_s: float,
        on_round: Callable[[str], Awaitable[None]],
        timeout_s: float = 60.0,
        lease_s: float = 10.0,
    ) -> None:
        self.database_url, self.city, self.budget_s, self.debounce_s = database_url, city, budget_s, debounce_s
        #: This planner's name on the leases it holds: unique per process, readable by an operator.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"[-120:]
        self.lease = timedelta(seconds=lease_s)
        self._store: Store | None = None
        self._free: asyncio.Semaphore | None = None  #: made on the loop, at the first round
        #: A round taking this much longer than its budget is hung (a solver bug, a stopped
        #: process): its process is killed and the next round gets a new one.
        self.timeout_s = timeout_s
        self.on_round = on_round
        self.latest: dict[str, dict[str, Any]] = {}
        self._pool: ProcessPoolExecutor | None = None
        self._running: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._done: dict[str, asyncio.Event] = {}
        self._wake: dict[str, asyncio.Event] = {}  #: a request cuts a backlog's wait short

    async def current(self, coop_id: str) -> dict[str, Any] | None:
        """The latest round's outcome for the routes this worker serves: its own, or a newer one
        another planner of the deployment made (its lease row keeps it)."""
        return await newest(self._db(), self.latest, coop_id)

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),  # no forked copy of the event loop
                initializer=_init,
                initargs=(self.database_url, self.city, os.getpid()),
            )
        return self._pool

    def request(self, coop_id: str) -> asyncio.Event:
        """Ask for a round soon; the returned event is set when a round that saw this request ends."""
        done = self._done.setdefault(coop_id, asyncio.Event())
        if coop_id in self._running:
            self._again.add(coop_id)
            self._wake.setdefault(coop_id, asyncio.Event()).set()
        else:
            self._running[coop_id] = asyncio.create_task(self._loop(coop_id))
        return done

    async def _loop(self, coop_id: str) -> None:
        idle, wait = 0, 0.0
        try:
            while True:
                if wait > 0:  # a full fleet's backlog: again later, or at the next request
                    wake = self._wake.setdefault(coop_id, asyncio.Event())
                    wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), timeout=wait)
                await asyncio.sleep(self.debounce_s)
                self._again.discard(coop_id)
                done = self._done.pop(coop_id, asyncio.Event())
                try:
                    outcome = await self._leased(coop_id)
                except Exception:  # the database is away (a round's own failures are caught in it)
                    log.exception("a planning round of %s could not start; the next request tries again", coop_id)
                    outcome = None
                done.set()
                if coop_id in self._again:
                    continue
                # A backlog larger than one round takes (dispatch.planning.working_set) is
                # planned round after round, without waiting for the next request; after
                # IDLE_BACKLOG_ROUNDS rounds that propose nothing new (a full fleet) the rounds
                # come further apart (BACKLOG_RETRY_S), so the planner never spins on jobs nobody
                # can take, and never leaves them without a round to come either.
                if outcome is None or not outcome["backlog_left"]:
                    return
                # a job told "fits nowhere" moved too: a person now sees it
                idle = 0 if outcome["proposals"] or outcome["withheld"] else idle + 1
                wait = 0.0
                if idle >= IDLE_BACKLOG_ROUNDS:
                    first, most = BACKLOG_RETRY_S
                    wait = min(most, first * 2 ** (idle - IDLE_BACKLOG_ROUNDS))
        finally:
            self._running.pop(coop_id, None)

    def _db(self) -> Store:
        if self._store is None:
            from dispatch.store import Store

            self._store = Store.open(self.database_url, migrate=False)
        return self._store

    async def _leased(self, coop_id: str) -> dict[str, Any] | None:
        """One round under the cooperative's lease, so that no other planner of the deployment
        (another API worker, a ``tandem planner`` elsewhere) plans it at the same time.

        What the log held when the round was asked for is read first; a planner that had to wait
        for the lease skips its round when the holder's round read as much (the same log makes
        the same proposals) and shows that round's outcome instead. A lease is only taken when
        this planner's process is free to start the round: held while queued behind the rounds
        of other cooperatives, it would keep a free planner elsewhere from taking them. None when
        skipped or failed.
        """
        from dispatch.store import leases

        wanted = await asyncio.to_thread(leases.pending, self._db(), coop_id)
        if self._free is None:
            self._free = asyncio.Semaphore(1)  # the one process of the pool
        pause = LEASE_POLL_S[0]
        while True:
            async with self._free:
                try:
                    lease = await asyncio.to_thread(leases.take, self._db(), coop_id, self.owner, lease=self.lease)
                except Exception:  # the database is away: the round waits for it, the API goes on
                    log.exception("taking the planning lease on %s failed; retrying", coop_id)
                    lease = None
                if lease is not None:
                    return await self._under(lease, wanted)
            await asyncio.sleep(pause)  # another planner holds it: its round ends, or it expires
            pause = min(pause * 2, LEASE_POLL_S[1])

    async def _under(self, lease: Any, wanted: Any) -> dict[str, Any] | None:
        """The round of a lease taken, unless the last round (anyone's) read all it was asked for."""
        from dispatch.store import leases

        coop_id, store = lease.cooperative_id, self._db()
        if lease.planned_seq >= wanted.last_seq and lease.answered >= wanted.asked:
            await asyncio.to_thread(leases.release, store, coop_id, self.owner)
            _answered, outcome = await asyncio.to_thread(leases.answered, store, coop_id)
            if outcome is not None:
                self.latest[coop_id] = outcome
            return None
        seen = await asyncio.to_thread(leases.pending, store, coop_id)  # the log as the round reads it
        renewing = asyncio.create_task(self._renew(coop_id))
        outcome, started = None, time.time()
        try:
            outcome = await self._one(coop_id)
        finally:
            renewing.cancel()
            log.info("round of %s by %s from %.3f to %.3f", coop_id, self.owner, started, time.time())
            await self._release(coop_id, outcome, seen)
        return outcome

    async def _release(self, coop_id: str, outcome: dict[str, Any] | None, seen: Any) -> None:
        """Give the lease back with what the round read and made. A failed round answers the
        asks it read all the same (an API waiting for it returns now, with the last routes), but
        leaves ``planned_seq``: the next round plans that log again."""
        from dispatch.store import leases

        try:
            held = await asyncio.to_thread(
                leases.release,
                self._db(),
                coop_id,
                self.owner,
                planned_seq=None if outcome is None else seen.last_seq,
                answered=seen.asked,
                outcome=outcome,
            )
        except Exception:  # the lease then expires: another planner (or this one) goes on after it
            log.exception("giving back the planning lease on %s failed", coop_id)
            return
        if not held:
            log.warning("the lease on %s passed to another planner during a round of %s", coop_id, self.owner)

    async def _renew(self, coop_id: str) -> None:
        """Keep the lease while the round runs (a round may take its budget and its timeout)."""
        from dispatch.store import leases

        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                if not await asyncio.to_thread(leases.renew, self._db(), coop_id, self.owner, lease=self.lease):
                    log.warning("the lease on %s was lost during a round of %s", coop_id, self.owner)
                    return
            except Exception:
                log.exception("renewing the planning lease on %s failed; retrying", coop_id)

    async def _one(self, coop_id: str) -> dict[str, Any] | None:
        """One round; its outcome, None when it failed (logged)."""
        from dispatch.store.leases import LeaseLost

        loop = asyncio.get_running_loop()
        now = datetime.now(UTC).isoformat()
        lease_s = self.lease.total_seconds()
        try:
            outcome = await asyncio.wait_for(
                loop.run_in_executor(self._executor(), _round, coop_id, self.budget_s, now, self.owner, lease_s),
                timeout=self.budget_s + self.timeout_s,
            )
        except LeaseLost:
            log.warning("the lease on %s ran out during a round of %s: its proposals are dropped", coop_id, self.owner)
            return None
        except BrokenProcessPool as exc:
            # say what failed, not only that it did: the pool's message (a result or an error
            # that could not cross back, a process killed) and what caused it in the worker
            cause = exc.__cause__
            log.error(
                "the planner process died during a round of %s: %s%s; starting a new one for the next round",
                coop_id,
                exc,
                "" if cause is None else f" (caused by {type(cause).__name__}: {cause})",
            )
            self._pool = None
            return None
        except TimeoutError:
            self._kill_pool()
            size = await self._size(coop_id)
            log.error(
                "a planning round of %s hung: %.0f s past its %.1f s budget (%s); killed the planner process, "
                "a new one takes over",
                coop_id,
                self.timeout_s,
                self.budget_s,
                size,
            )
            return None
        except Exception:
            log.exception("planning round of %s failed; the API goes on, proposals wait for the next round", coop_id)
            return None
        self.latest[coop_id] = outcome
        await self.on_round(coop_id)
        return outcome

    async def _size(self, coop_id: str) -> str:
        """The size of the round that was killed, read from the store (the worker cannot say)."""
        from dispatch.store import Store

        def read() -> str:
            store = Store.open(self.database_url, migrate=False)
            try:
                size = store.planning_size(coop_id)
            finally:
                store.close()
            return f"{size['open_jobs']} open jobs, {size['couriers_on_shift']} couriers on shift"

        try:
            return await asyncio.wait_for(asyncio.to_thread(read), timeout=10)
        except Exception as exc:  # a kill is logged whatever happens to the count
            return f"size unknown: {type(exc).__name__}"

    def _kill_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # the executor has no public way to stop a busy worker; its processes are the way
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    async def warm_up(self) -> None:
        """Start the worker process and load the city now, not at the first request."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor(), _noop)

    async def stop(self) -> None:
        for task in list(self._running.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self._store is not None:
            self._store.close()


def _noop() -> None:
    return None


async def newest(store: Store, latest: dict[str, dict[str, Any]], coop_id: str) -> dict[str, Any] | None:
    """``latest[coop_id]``, first replaced by the lease row's outcome when that one is newer: a
    round another worker or a ``tandem planner`` process ran. One small read when nothing moved;
    the database away, the routes this worker holds."""
    from dispatch.store import leases

    mine = latest.get(coop_id)
    stamp = None if mine is None else mine.get("planned_at")
    try:
        newer = await asyncio.to_thread(leases.outcome_after, store, coop_id, stamp)
    except Exception:
        log.exception("reading the latest round of %s failed; showing this worker's", coop_id)
        return mine
    if newer is not None:
        latest[coop_id] = mine = newer
    return mine
