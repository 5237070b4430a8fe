"""`tandem demo`: one command, and a living day is on the console within seconds."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import httpx

from tests.api.harness import TANDEM, free_port, login
from tests.api.test_clean_stop import _descendants
from tests.api.test_planner_faults import _alive


def test_the_demo_day_lives(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["TANDEM_DATA_DIR"] = str(tmp_path)
    process = subprocess.Popen(
        [
            TANDEM,
            "demo",
            "--port",
            str(port),
            "--speed",
            "600",  # the fastest the demo allows: the first requests arrive within seconds
            "--requests",
            "5",
            "--auto-accept",
            "1",
            "--exit-after",
            "60",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines: list[str] = []
        assert process.stdout is not None
        while not any("Ctrl-C" in line for line in lines):
            line = process.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        text = "".join(lines)
        base = f"http://127.0.0.1:{port}"
        assert f"{base}/console/" in text and f"{base}/courier" in text
        coop = re.search(r"cooperative id: (\S+)", text)
        desk = re.search(r"login: (dispatch)\s+password: (\S+)", text)
        assert coop and desk
        token = login(base, coop.group(1), desk.group(1), desk.group(2))
        auth = {"Authorization": f"Bearer {token}"}
        seen: set[str] = set()
        deadline = time.monotonic() + 55
        while time.monotonic() < deadline and "Delivered" not in seen:
            events = httpx.get(f"{base}/v1/events", headers=auth, timeout=10).json()["events"]
            seen = {e["type"] for e in events}
            time.sleep(0.25)
        assert {"ShiftStarted", "JobRequested", "ProposalMade", "ProposalAccepted", "CourierAcknowledged"} <= seen, seen
        assert "Delivered" in seen, seen
        children = _descendants(process.pid)
    finally:
        process.terminate()  # SIGTERM, as systemd or a container runtime stops it
        stopped = process.wait(timeout=30)
    assert stopped == 0, "SIGTERM must stop the demo as Ctrl-C does"
    # A clean stop leaves no process behind (issue 16): the planner and every other child exit.
    deadline = time.monotonic() + 10
    while any(_alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [c for c in children if _alive(c)], "a child of the demo outlived it"
