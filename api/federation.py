"""Planning apart from the API (issue 16): ``tandem planner`` processes fed by the event log.

A planner process has no requests coming in: it learns that a cooperative needs a round from
the log itself. It polls every cooperative's last sequence number in one query (and wakes at
once on the Redis bus when there is one); a cooperative whose log moved is read from where the
planner last looked, and a round is asked for when a new event is one that deserves proposals
(``REPLAN_ON``: the planner's own proposals do not). A "plan now" from an API without a planner
arrives as an ask counted on the cooperative's lease row. The rounds run under the leases of
api/planner.py, so any number of planner processes and API workers with planners can share a
deployment: each cooperative is planned in one place at a time, and the lease of a planner
that died passes to another when it expires.

:class:`RemotePlanner` stands in for the planner in an API started with ``--no-planner``: it
asks through the lease row and follows the answer (the round's outcome is on the row too). Its
routes are read from the row whenever it serves them (:meth:`RemotePlanner.current`), so a round
the planners ran on their own (a request appended by another worker) shows without an ask.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from api.bus import LocalBus, RedisBus
from api.planner import Planner, newest
from api.services import REPLAN_ON
from api.settings import Settings
from dispatch.store import Store, leases

log = logging.getLogger("tandem.planner")
#: How many events a watch reads at a time from a cooperative's log.
PAGE = 1000


class LogWatch:
    """Turns new events in the log (and asks from APIs) into rounds of a planner."""

    def __init__(self, store: Store, planner: Planner, *, poll_s: float) -> None:
        self.store, self.planner, self.poll_s = store, planner, poll_s
        self.wake = asyncio.Event()
        #: per cooperative: how far its log was read, how many asks were passed on
        self.cursors: dict[str, int] = {}
        self.asks: dict[str, int] = {}

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.look()
            except Exception:  # the database is away: look again at the next tick
                log.exception("reading the log for planning failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=self.poll_s)
            self.wake.clear()

    async def look(self) -> None:
        """One look at every cooperative; a round asked for each that needs one."""
        for coop in await asyncio.to_thread(leases.everywhere, self.store):
            # a planner starting reads from where the last round (anyone's) read
            cursor = self.cursors.setdefault(coop.cooperative_id, coop.planned_seq)
            passed = self.asks.setdefault(coop.cooperative_id, coop.answered)
            if coop.asked > passed:
                self.asks[coop.cooperative_id] = coop.asked
                self.planner.request(coop.cooperative_id)
            if coop.last_seq > cursor and await asyncio.to_thread(self._moved, coop.cooperative_id, cursor):
                self.planner.request(coop.cooperative_id)

    def _moved(self, coop_id: str, cursor: int) -> bool:
        """Whether the log after ``cursor`` holds an event worth a round; the cursor moves past it."""
        while True:
            events = self.store.events(coop_id, after_seq=cursor, limit=PAGE)
            if not events:
                return False
            cursor = self.cursors[coop_id] = events[-1].seq
            if any(e.type in REPLAN_ON for e in events):
                self.cursors[coop_id] = self.store.cooperative_last_seq(coop_id)
                return True


async def run_planner(settings: Settings, *, poll_s: float, stop: asyncio.Event) -> None:
    """The body of ``tandem planner``: plan every cooperative the log says needs it, until ``stop``."""
    store = await asyncio.to_thread(Store.open, settings.database_url)
    bus: LocalBus = RedisBus(settings.redis_url) if settings.redis_url else LocalBus()
    await bus.start()
    planner = Planner(
        settings.database_url,
        settings.city,
        budget_s=settings.planning_budget_s,
        debounce_s=settings.plan_debounce_s,
        on_round=bus.publish,  # the API workers' sockets learn of the proposals at once
        timeout_s=settings.planning_timeout_s,
        lease_s=settings.planning_lease_s,
    )
    watch = LogWatch(store, planner, poll_s=poll_s)
    bus.listen(lambda _coop: watch.wake.set())
    try:
        await planner.warm_up()
        log.info("planner %s watching the log of %s", planner.owner, store.engine.url)  # password hidden
        await watch.run(stop)
    finally:
        await planner.stop()
        await bus.stop()
        store.close()


class RemotePlanner:
    """The planner of an API that runs none (``serve --no-planner``): asks and answers go
    through the cooperative's lease row, which the planner processes read and write."""

    def __init__(self, store: Store, *, poll_s: float = 0.2, give_up_s: float = 600.0) -> None:
        self.store, self.poll_s, self.give_up_s = store, poll_s, give_up_s
        self.latest: dict[str, dict[str, Any]] = {}
        self._waiting: dict[str, list[asyncio.Event]] = {}
        self._following: dict[str, asyncio.Task[None]] = {}

    async def current(self, coop_id: str) -> dict[str, Any] | None:
        """The latest round's outcome, as the planner processes left it on the lease row."""
        return await newest(self.store, self.latest, coop_id)

    def request(self, coop_id: str) -> asyncio.Event:
        """Ask the planner processes for a round; the event is set when a round answered it (a
        failed round answers too: the planner says so in its log, the routes stay the last)."""
        done = asyncio.Event()
        self._waiting.setdefault(coop_id, []).append(done)
        if coop_id not in self._following:
            self._following[coop_id] = asyncio.create_task(self._follow(coop_id))
        return done

    async def _follow(self, coop_id: str) -> None:
        try:
            while waiting := self._waiting.pop(coop_id, []):
                number = await asyncio.to_thread(leases.ask, self.store, coop_id)
                deadline = asyncio.get_running_loop().time() + self.give_up_s
                while asyncio.get_running_loop().time() < deadline:
                    await asyncio.sleep(self.poll_s)
                    answered, _outcome = await asyncio.to_thread(leases.answered, self.store, coop_id)
                    if answered >= number:
                        await self.current(coop_id)  # a newer outcome than this worker's, or none
                        break
                for done in waiting:
                    done.set()
        except Exception:
            log.exception("following the planner processes' answer for %s failed", coop_id)
        finally:
            self._following.pop(coop_id, None)

    async def warm_up(self) -> None:
        return None

    async def stop(self) -> None:
        for task in list(self._following.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
