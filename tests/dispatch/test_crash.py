"""Kill a writer with SIGKILL mid-stream, restart it, and find every acknowledged request once.

Each kill is a writer process started again (an interpreter and the domain's imports: seconds on
a shared machine), so PostgreSQL, production's database, takes the four kills at random points and
SQLite, whose own durability (a WAL file left mid-write) is what differs, takes two: a writer
restarted after a crash still meets a second one there too. The HTTP
server's kills at scale are benchmarks/bench_durability.py.
"""

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

#: Kills per database: the one under test is the database's commit, not the number of kills.
KILLS = {"sqlite": 2, "postgresql": 4}


def _run_until_killed(url: str, coop: Coop, first: int, total: int, kill_after: int | None) -> dict[int, str]:
    """Start the writer at request ``first``; SIGKILL it after ``kill_after`` acknowledgements."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.dispatch.crash_writer", url, coop.id, coop.client, str(first), str(total)],
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
    planned = KILLS[db_url.split(":", 1)[0].split("+", 1)[0]]
    total = 60 * planned  # past the last kill, whose mark is at most 60 acknowledgements after the one before
    rng = random.Random(7)
    acked: dict[int, str] = {}
    next_index, kills = 0, 0
    while next_index < total:
        kill_after = rng.randint(20, 60) if kills < planned else None
        got = _run_until_killed(db_url, coop, next_index, total, kill_after)
        kills += kill_after is not None
        for index, job_id in got.items():
            assert acked.setdefault(index, job_id) == job_id  # a retry never makes a second job
        # The client retries from the first request it has no acknowledgement for; whatever the
        # killed writer had committed without acknowledging comes back from the idempotency key.
        next_index = max(acked) + 1
    assert kills == planned

    events = coop.store.events(coop.id)
    requested = [e for e in events if e.type is EventType.JOB_REQUESTED]
    job_ids = [str(e.payload["job_id"]) for e in requested]
    assert len(job_ids) == len(set(job_ids)) == total  # each request exactly once
    assert set(acked.values()) <= set(job_ids) and len(acked) == total
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    cooperative = coop.store.cooperative(coop.id)
    folded = fold(events, timezone=ZoneInfo(cooperative.timezone), heavy_threshold_kg=cooperative.heavy_threshold_kg)
    assert folded.jobs == coop.store.projection(coop.id).jobs
