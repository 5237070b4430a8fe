"""The planner's process lives no longer than its API process, and a watchdog kill says why.

A real ``tandem serve`` on a loopback port. Killing it with SIGKILL (as the out-of-memory killer
would) must take its planner process (about 250 MB) with it within seconds; a round the watchdog
has to kill is logged with its size, so that the operator knows what was too much.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from dispatch import commands
from dispatch.store import Store
from tests.api.harness import Server, World, create_delivery, login, make_world
from tests.api.test_planner_faults import _alive, _planner_pid


def _on_shift(url: str) -> World:
    world = make_world(url)
    store = Store.open(url)
    try:
        for cid, _, _ in world.couriers.values():
            commands.start_shift(store, world.coop_id, cid, at=datetime.now(UTC))
    finally:
        store.close()
    return world


def test_the_planner_dies_within_seconds_of_a_kill_9_of_its_api_process(tmp_path: Path) -> None:
    server = Server(f"sqlite:///{tmp_path / 'tandem.db'}", auto_plan="0").start()
    planner = None
    try:
        planner = _planner_pid(server)
        assert server.process is not None
        os.kill(server.process.pid, signal.SIGKILL)  # the API process alone, not its group
        server.process.wait(timeout=10)
        deadline = time.monotonic() + 5
        while _alive(planner) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(planner), "the planner outlived its API process"
    finally:
        if planner is not None and _alive(planner):
            with contextlib.suppress(ProcessLookupError):
                os.kill(planner, signal.SIGKILL)  # the process this test started, by its id
        server.stop()


def test_a_hung_round_is_killed_and_logged_with_its_size(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world = _on_shift(url)
    server = Server(url, auto_plan="0", planning_budget_s="1", planning_timeout_s="3").start()
    try:
        desk = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        for _ in range(3):
            create_delivery(server.url, world)
        planner = _planner_pid(server)
        os.kill(planner, signal.SIGSTOP)  # a solver that never returns
        answer = httpx.post(f"{server.url}/v1/planning/rounds", headers={"Authorization": f"Bearer {desk}"})
        assert answer.status_code == 202, answer.text
        deadline = time.monotonic() + 30
        while "hung" not in server.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.3)
        line = next(line for line in server.log.read_text().splitlines() if "hung" in line)
        assert "3 open jobs" in line and "2 couriers on shift" in line, line
        assert not _alive(planner)
    finally:
        server.stop()


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
    return out


def test_the_workers_of_serve_workers_2_die_with_it(tmp_path: Path, redis_url: str) -> None:
    """A kill -9 of the supervisor used to leave both workers serving the port (and their planners)."""
    server = Server(f"sqlite:///{tmp_path / 'tandem.db'}", redis_url=redis_url, auto_plan="0", workers="2").start()
    workers: list[int] = []
    try:
        assert server.process is not None
        deadline = time.monotonic() + 30
        while len(workers) < 2 and time.monotonic() < deadline:
            workers = [p for p in _children(server.process.pid) if b"resource_tracker" not in _cmdline(p)]
            time.sleep(0.2)
        assert len(workers) == 2, workers
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers), "a worker outlived its supervisor"
    finally:
        for w in workers:
            if _alive(w):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(w, signal.SIGKILL)  # processes this test started, by their ids
        server.stop()


def _cmdline(pid: int) -> bytes:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""
