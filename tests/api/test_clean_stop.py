"""A clean stop (issue 16): SIGTERM, what systemd and container runtimes send, ends
``tandem serve`` and leaves no process behind: its planner and every other child exit too."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from tests.api.harness import Server
from tests.api.test_planner_faults import _alive, _planner_pid


def _descendants(pid: int) -> set[int]:
    """Every process whose chain of parents reaches ``pid`` (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def test_sigterm_stops_serve_and_leaves_no_process_behind(tmp_path: Path) -> None:
    server = Server(f"sqlite:///{tmp_path / 'tandem.db'}", auto_plan="0").start()
    assert server.process is not None
    planner = _planner_pid(server)
    children = _descendants(server.process.pid)
    assert planner in children
    try:
        os.kill(server.process.pid, signal.SIGTERM)
        # uvicorn stops gracefully, then re-raises the signal so that the exit status says why.
        assert server.process.wait(timeout=20) in (0, -signal.SIGTERM)
        deadline = time.monotonic() + 10
        while any(_alive(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [c for c in children if _alive(c)], "a child of serve outlived it"
    finally:
        for child in children:
            if _alive(child):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)  # processes this test started, by their ids
        server.stop()
