"""The planner's process dies or hangs: the API keeps answering, and planning comes back by itself.

A real ``tandem serve``; its planner is the spawned child process that loads the solver. It is
killed with SIGKILL mid-round (a solver crash), then stopped with SIGSTOP (a hung solver that
never returns: the round's watchdog must kill it). Throughout, requests are answered promptly,
and afterwards new jobs get proposals again without anybody restarting anything.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from dispatch import commands
from dispatch.store import Store
from tests.api.harness import Server, World, create_delivery, login, start_with_world


def _planner_pid(server: Server, timeout_s: float = 60) -> int:
    """The server's spawned child that is not multiprocessing's resource tracker."""
    assert server.process is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except (OSError, IndexError, ValueError):
                continue
            if ppid == server.process.pid and b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
                return int(entry.name)
        time.sleep(0.2)
    raise AssertionError("no planner process")


def _api_answers_promptly(server: Server, world: World) -> None:
    started = time.monotonic()
    assert httpx.get(f"{server.url}/readyz", timeout=5).status_code == 200
    create_delivery(server.url, world)
    assert time.monotonic() - started < 3.0, "the API waited on the planner"


def _proposed_eventually(server: Server, desk: str, job: str, timeout_s: float = 120) -> None:
    headers = {"Authorization": f"Bearer {desk}"}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        httpx.post(f"{server.url}/v1/planning/rounds", params={"wait": "true"}, headers=headers, timeout=180)
        if httpx.get(f"{server.url}/v1/jobs/{job}", headers=headers).json()["state"] == "proposed":
            return
        time.sleep(0.5)
    raise AssertionError(f"job {job} got no proposal after the planner came back")


def _alive(pid: int) -> bool:
    try:
        status = (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


def test_a_crashed_or_hung_planner_never_blocks_the_api(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    # a 0.3 s budget: every round here plans a job or two, and a hung one is killed after 0.3 + 4 s
    # (the timeout keeps room for a new planner process loading the city within its first round)
    server = Server(url, auto_plan="0", planning_budget_s="0.3", planning_timeout_s="4")
    world = start_with_world(url, server)
    try:
        store = Store.open(url)
        for cid, _, _ in world.couriers.values():
            commands.start_shift(store, world.coop_id, cid, at=datetime.now(UTC))
        store.close()
        desk = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        headers = {"Authorization": f"Bearer {desk}"}
        _proposed_eventually(server, desk, create_delivery(server.url, world))

        # 1. the solver crashes in the middle of a round
        first = _planner_pid(server)
        create_delivery(server.url, world)
        assert httpx.post(f"{server.url}/v1/planning/rounds", headers=headers).status_code == 202
        os.kill(first, signal.SIGKILL)
        _api_answers_promptly(server, world)
        _proposed_eventually(server, desk, create_delivery(server.url, world))

        # 2. the solver hangs and never returns
        second = _planner_pid(server)
        assert second != first
        os.kill(second, signal.SIGSTOP)
        hung = create_delivery(server.url, world)
        assert httpx.post(f"{server.url}/v1/planning/rounds", headers=headers).status_code == 202
        for _ in range(3):
            _api_answers_promptly(server, world)
            time.sleep(1)
        deadline = time.monotonic() + 30
        while _alive(second) and time.monotonic() < deadline:  # the watchdog kills it after 0.3 + 4 s
            time.sleep(0.5)
        assert not _alive(second), "the hung planner was left hanging"
        _proposed_eventually(server, desk, hung)
        assert "planning round" in server.log.read_text() and "hung" in server.log.read_text()
    finally:
        server.stop()
