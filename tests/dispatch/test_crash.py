"""Kill a writer with SIGKILL mid-stream, restart it, and find every acknowledged request once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from zoneinfo import ZoneInfo

from dispatch.events import EventType
from dispatch.projections import fold
from tests.dispatch.conftest import ROOT, Coop

TOTAL = 240


def _run_until_killed(url: str, coop: Coop, first: int, kill_after: int | None) -> dict[int, str]:
    """Start the writer at request ``first``; SIGKILL it after ``kill_after`` acknowledgements."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.dispatch.crash_writer", url, coop.id, coop.client, str(first), str(TOTAL)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    acked: dict[int, str] = {}
    for line in process.stdout:
        _, index, job_id = line.split()
        acked[int(index)] = job_id
        if kill_after is not None and len(acked) >= kill_after:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    process.stdout.close()
    return acked


def test_every_acknowledged_request_survives_sigkill_exactly_once(coop: Coop, db_url: str) -> None:
    rng = random.Random(7)
    acked: dict[int, str] = {}
    next_index, kills = 0, 0
    while next_index < TOTAL:
        kill_after = rng.randint(20, 60) if kills < 4 else None
        got = _run_until_killed(db_url, coop, next_index, kill_after)
        kills += kill_after is not None
        for index, job_id in got.items():
            assert acked.setdefault(index, job_id) == job_id  # a retry never makes a second job
        # The client retries from the first request it has no acknowledgement for; whatever the
        # killed writer had committed without acknowledging comes back from the idempotency key.
        next_index = max(acked) + 1
    assert kills == 4

    events = coop.store.events(coop.id)
    requested = [e for e in events if e.type is EventType.JOB_REQUESTED]
    job_ids = [str(e.payload["job_id"]) for e in requested]
    assert len(job_ids) == len(set(job_ids)) == TOTAL  # each request exactly once
    assert set(acked.values()) <= set(job_ids) and len(acked) == TOTAL
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    cooperative = coop.store.cooperative(coop.id)
    folded = fold(events, timezone=ZoneInfo(cooperative.timezone), heavy_threshold_kg=cooperative.heavy_threshold_kg)
    assert folded.jobs == coop.store.projection(coop.id).jobs
