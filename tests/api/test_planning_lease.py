"""Two ``tandem planner`` processes on one database plan each cooperative in one place at a time,
and the lease of one killed with SIGKILL passes to the other (issue 16).

Real processes, fed by the log only: the test appends requests to the database as an API would,
and reads each planner's "round of <coop> by <owner> from <t> to <t>" log lines to see when each
cooperative was being planned, and by whom. In-process tests below hold a lease's edges: a
round whose lease ran out appends nothing, a failed round still answers, a waiting planner only
reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from api import planner as planning
from api.federation import RemotePlanner
from dispatch import commands
from dispatch.events import Actor, EventType
from dispatch.lifecycle import JobState
from dispatch.model import JobRequest, Parcel, Place, TimeWindow, Vehicle
from dispatch.store import Store, leases
from tests.api.harness import TANDEM, Server, create_delivery, login, start_with_world
from tests.api.test_planner_faults import _planner_pid
from tests.dispatch.conftest import fresh_url

SHOP, HOME = Place(24.9414, 60.1710), Place(24.9526, 60.1675)
ROUND = re.compile(r"round of (\S+) by (\S+) from ([\d.]+) to ([\d.]+)")
LEASE_S = 2


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_url(request.param, tmp_path, "tandem_lease")


def _coops(store: Store, n: int) -> list[tuple[str, str]]:
    """``n`` cooperatives with three couriers on shift and a client each: (coop id, client id)."""
    made = []
    for i in range(n):
        coop = store.create_cooperative(f"Coop {i}", fairness_weight=0.5)
        for k, kind in enumerate(("bike", "cargo_bike", "bike")):
            courier = store.add_courier(coop.id, f"Rider {k}", Vehicle.of_kind(kind))
            commands.start_shift(store, coop.id, courier.id, at=datetime.now(UTC))
        made.append((coop.id, store.add_client(coop.id, "Bakery")[0].id))
    return made


def _request(store: Store, coop_id: str, client_id: str, minutes: int = 0) -> str:
    opens = datetime.now(UTC) + timedelta(minutes=minutes)
    window = TimeWindow(opens, opens + timedelta(hours=2))
    parcel = Parcel(weight_kg=3, volume_l=10, longest_side_cm=40)
    request = JobRequest(pickup=SHOP, dropoff=HOME, pickup_window=window, dropoff_window=window, parcels=(parcel,))
    return commands.request_job(store, coop_id, client_id, request, at=datetime.now(UTC)).id


class Planners:
    """``tandem planner`` processes on one database, each logging to its own file."""

    def __init__(self, url: str, folder: Path, n: int, budget_s: float = 0.5) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update(TANDEM_PLANNING_BUDGET_S=str(budget_s), TANDEM_PLAN_DEBOUNCE_S="0.05")
        self.logs = [folder / f"planner-{i}.log" for i in range(n)]
        self.processes = []
        for log in self.logs:
            with log.open("wb") as handle:
                command = [TANDEM, "planner", "--database", url, "--poll", "0.1", "--lease", str(LEASE_S)]
                self.processes.append(
                    subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
                )

    def ready(self, timeout_s: float = 60) -> Planners:
        """Wait until every planner watches the log with its solver process started."""
        deadline = time.monotonic() + timeout_s
        while not all("watching the log" in log.read_text(errors="replace") for log in self.logs):
            assert time.monotonic() < deadline, self.say()
            assert all(p.poll() is None for p in self.processes), self.say()
            time.sleep(0.1)
        return self

    def rounds(self) -> list[tuple[str, str, float, float]]:
        found = []
        for log in self.logs:
            for coop, owner, start, end in ROUND.findall(log.read_text(errors="replace")):
                found.append((coop, owner, float(start), float(end)))
        return found

    def say(self) -> str:
        return "\n".join(log.read_text(errors="replace")[-4000:] for log in self.logs)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:  # the processes this test started, by their group id
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def _wait_proposed(store: Store, coop_id: str, jobs: list[str], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all(store.job(coop_id, j).state is JobState.PROPOSED for j in jobs):
            return True
        time.sleep(0.1)
    return False


def _overlapping(
    rounds: list[tuple[str, str, float, float]],
) -> list[tuple[str, tuple[float, float, str], tuple[float, float, str]]]:
    """Rounds of one cooperative that ran at the same time (whoever ran them)."""
    by_coop: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for coop, owner, start, end in rounds:
        by_coop[coop].append((start, end, owner))
    return [
        (coop, a, b)
        for coop, spans in by_coop.items()
        for a, b in zip(sorted(spans), sorted(spans)[1:], strict=False)
        if b[0] < a[1]
    ]


def test_two_planners_plan_each_cooperative_in_one_place_and_survive_a_kill(url: str, tmp_path: Path) -> None:
    """One pair of processes for both halves: starting a planner (the solver, the city) is the
    slow part of this test."""
    store = Store.open(url)
    coops = _coops(store, 2)  # two are enough for both planners to want a cooperative at once
    planners = Planners(url, tmp_path, 2)
    try:
        planners.ready()
        jobs: dict[str, list[str]] = defaultdict(list)
        for wave in range(3):  # requests keep coming while rounds run: both planners want every coop
            for coop_id, client_id in coops:
                jobs[coop_id].append(_request(store, coop_id, client_id, minutes=5 * wave))
            time.sleep(0.3)
        for coop_id, _ in coops:
            assert _wait_proposed(store, coop_id, jobs[coop_id], 30), planners.say()
        rounds = planners.rounds()
        assert len(rounds) >= len(coops)
        assert _overlapping(rounds) == [], planners.say()

        # the second half: the holder of a lease is killed mid-round; the other takes over
        coop_id, client_id = coops[0]
        for i in range(15):  # a round long enough to be caught holding the lease
            _request(store, coop_id, client_id, minutes=3 * i)
        deadline, holder = time.monotonic() + 30, None
        while holder is None and time.monotonic() < deadline:
            holder = leases.holders(store).get(coop_id)
            time.sleep(0.02)
        assert holder is not None, "no planner took the cooperative's lease"
        killed = int(holder.split(":")[1])
        assert killed in [p.pid for p in planners.processes]
        os.kill(killed, signal.SIGKILL)  # mid-round: its lease is left to expire
        killed_at = time.monotonic()
        late = _request(store, coop_id, client_id)
        assert _wait_proposed(store, coop_id, [late], LEASE_S + 15), planners.say()
        took_s = time.monotonic() - killed_at
        since = time.time() - took_s
        # A round's log line is written once its proposals are appended: on a loaded machine the
        # proposal can be read before the line that says which planner made it.
        deadline, taken_over = time.monotonic() + 10, list[tuple[str, str, float, float]]()
        while not taken_over and time.monotonic() < deadline:
            taken_over = [r for r in planners.rounds() if r[0] == coop_id and r[1] != holder and r[2] > since]
            time.sleep(0.1)
        assert taken_over, planners.say()
        assert leases.holders(store).get(coop_id) in (None, taken_over[-1][1])
    finally:
        planners.stop()
        store.close()
    assert took_s < LEASE_S + 15


def test_an_api_without_a_planner_is_answered_by_a_planner_process(tmp_path: Path) -> None:
    """``serve --no-planner`` (TANDEM_PLANNER=false): its requests and "plan now" reach a
    ``tandem planner`` process through the database, and the answer (the round's routes) comes
    back the same way."""
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    server = Server(url, planner="false", planning_budget_s="0.5")
    store = Store.open(url)  # the schema first, then the processes start side by side
    planners = Planners(url, tmp_path, 1)
    world = start_with_world(url, server)
    try:
        for cid, _, _ in world.couriers.values():
            commands.start_shift(store, world.coop_id, cid, at=datetime.now(UTC))
        planners.ready()
        desk = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        # a request the API never saw (another worker took it): the planner plans it on its own,
        # and the API shows that round's routes without having asked for it
        elsewhere = _request(store, world.coop_id, store.add_client(world.coop_id, "Shop")[0].id)
        assert _wait_proposed(store, world.coop_id, [elsewhere], 30), planners.say()
        shown = httpx.get(f"{server.url}/v1/plan", headers={"Authorization": f"Bearer {desk}"}, timeout=30)
        assert shown.status_code == 200, shown.text
        assert {s["job_id"] for stops in shown.json()["routes"].values() for s in stops} == {elsewhere}
        assert leases.pending(store, world.coop_id).asked == 0  # the API asked for nothing
        commands.cancel_job(store, world.coop_id, elsewhere, by=Actor.system(), at=datetime.now(UTC))
        job = create_delivery(server.url, world)  # the API asks; the planner process answers
        assert _wait_proposed(store, world.coop_id, [job], 30), planners.say()
        r = httpx.post(
            f"{server.url}/v1/planning/rounds",
            params={"wait": "true"},
            headers={"Authorization": f"Bearer {desk}"},
            timeout=60,
        )
        assert r.status_code == 200, r.text
        assert r.json()["done"] is True
        routes = r.json()["plan"]["routes"]
        assert [stop["job_id"] for stops in routes.values() for stop in stops] == [job, job]
        with pytest.raises(AssertionError, match="no planner process"):
            _planner_pid(server, timeout_s=1)  # the API runs no solver process of its own
    finally:
        planners.stop()
        server.stop()
        store.close()


def test_a_round_whose_lease_passed_to_another_planner_appends_nothing(url: str) -> None:
    """The lease checked where the proposals are appended: planner "a" took the lease, it ran out
    mid-round (its renewals failed) and planner "b" took it; a's round is dropped whole."""
    store = Store.open(url)
    ((coop_id, client_id),) = _coops(store, 1)
    job = _request(store, coop_id, client_id)
    planning._init(url, "helsinki")
    try:
        assert leases.take(store, coop_id, "a") is not None
        later = datetime.now(UTC) + leases.LEASE + timedelta(seconds=1)
        assert leases.take(store, coop_id, "b", now=later) is not None  # a's lease had expired
        before = store.cooperative_last_seq(coop_id)
        with pytest.raises(leases.LeaseLost):
            planning._round(coop_id, 0.3, datetime.now(UTC).isoformat(), "a", 10)
        assert store.cooperative_last_seq(coop_id) == before
        assert store.job(coop_id, job).state is JobState.REQUESTED
        # the holder's round appends: the same round, only the lease differs
        outcome = planning._round(coop_id, 0.3, datetime.now(UTC).isoformat(), "b", 10)
        assert outcome["proposals"] and store.job(coop_id, job).state is JobState.PROPOSED
        assert [e.type for e in store.events(coop_id, after_seq=before)] == [EventType.PROPOSAL_MADE]
    finally:
        planning._state["store"].close()
        planning._state.clear()
        store.close()


def test_a_failed_round_answers_an_api_waiting_for_it(tmp_path: Path) -> None:
    """An API without a planner asked; the round that read its ask failed: the ask is answered at
    once (with the routes as they were), not after the API's ten-minute give-up."""
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    store = Store.open(url)
    ((coop_id, _client_id),) = _coops(store, 1)

    async def scenario() -> float:
        async def published(_coop: str) -> None:
            return None

        async def fails(_coop: str) -> dict[str, Any] | None:  # a round that failed (logged, as _one does)
            return None

        planner = planning.Planner(url, "helsinki", budget_s=0.3, debounce_s=0.01, on_round=published, lease_s=2)
        planner._one = fails  # type: ignore[method-assign,assignment]
        remote = RemotePlanner(store, poll_s=0.05, give_up_s=60)
        try:
            started = time.monotonic()
            done = remote.request(coop_id)
            while leases.pending(store, coop_id).asked < 1:
                await asyncio.sleep(0.01)
            planner.request(coop_id)  # as LogWatch passes the ask on
            await asyncio.wait_for(done.wait(), timeout=10)
            return time.monotonic() - started
        finally:
            await remote.stop()
            await planner.stop()

    try:
        assert asyncio.run(scenario()) < 5
        assert leases.answered(store, coop_id)[0] == 1
        assert leases.pending(store, coop_id).planned_seq == 0  # the log is planned again next time
    finally:
        store.close()


def test_a_planner_waiting_for_a_lease_only_reads(tmp_path: Path) -> None:
    """Each look of a planner waiting for another's lease is a read, not a write transaction."""
    store = Store.open(f"sqlite:///{tmp_path / 'tandem.db'}")
    ((coop_id, _client_id),) = _coops(store, 1)
    assert leases.take(store, coop_id, "a") is not None
    writes: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith(("UPDATE", "INSERT", "BEGIN IMMEDIATE")):
            writes.append(statement)

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        assert [leases.take(store, coop_id, "b") for _ in range(5)] == [None] * 5
        assert writes == []
        later = datetime.now(UTC) + leases.LEASE + timedelta(seconds=1)
        assert leases.take(store, coop_id, "b", now=later) is not None  # expired: taken, with a write
        assert writes
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
        store.close()
