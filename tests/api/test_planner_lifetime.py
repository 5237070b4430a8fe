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
