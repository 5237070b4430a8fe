"""Planning apart from the API (issue 16): time from a request to its proposal, 1 and 2 planners.

``--coops`` cooperatives (20) with ``--open-jobs`` open jobs each (100) and ``--couriers``
couriers on shift; ``tandem planner`` processes (real processes, fed by the database's log and,
with ``REDIS_URL``, woken by the Redis bus) plan them under per-cooperative leases. Once the
backlog is planned, ``--requests`` new requests arrive at ``--rate`` per second on cooperatives
drawn at random (fixed seed), appended to the log as the API appends them; the time from each
append to this process seeing the job's ``ProposalMade`` in the log (polled every 50 ms: the
figures include up to that) is the latency, p50 and p95, with 1 and then 2 planner processes on
a fresh database each.

    python -m benchmarks.bench_federation           # PostgreSQL if DATABASE_URL names it, else SQLite
    python -m benchmarks.bench_federation --quick   # 4 cooperatives, 30 requests: a smoke run
"""

from __future__ import annotations

import argparse
import math
import os
import random
import signal
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks import results_io
from dispatch import commands
from dispatch.events import EventType
from dispatch.model import JobRequest, Parcel, Place, TimeWindow, Vehicle
from dispatch.store import Store, leases
from tests.api.harness import TANDEM
from tests.dispatch.conftest import postgres_url, schema_url

RESULTS = Path(__file__).parent / "results" / "federation.json"
_NODES: list[tuple[float, float]] = []


def _place(rng: random.Random) -> Place:
    """A street corner of the default city (Helsinki), drawn with the seed."""
    if not _NODES:
        from routing.network import open_city

        network = open_city("helsinki")
        _NODES.extend(zip(network.lon.tolist(), network.lat.tolist(), strict=True))
    return Place(*_NODES[rng.randrange(len(_NODES))])


def _request(store: Store, coop_id: str, client_id: str, rng: random.Random) -> str:
    opens = datetime.now(UTC) + timedelta(minutes=rng.randint(0, 240))
    window = TimeWindow(opens, opens + timedelta(hours=2))
    parcel = Parcel(weight_kg=rng.uniform(1, 8), volume_l=10, longest_side_cm=40)
    request = JobRequest(
        pickup=_place(rng), dropoff=_place(rng), pickup_window=window, dropoff_window=window, parcels=(parcel,)
    )
    return commands.request_job(store, coop_id, client_id, request, at=datetime.now(UTC)).id


def _fill(store: Store, args: argparse.Namespace, rng: random.Random) -> list[tuple[str, str]]:
    coops = []
    for i in range(args.coops):
        coop = store.create_cooperative(f"Coop {i}", fairness_weight=0.5)
        for k in range(args.couriers):
            courier = store.add_courier(coop.id, f"Rider {k}", Vehicle.of_kind(("bike", "cargo_bike")[k % 2]))
            commands.start_shift(store, coop.id, courier.id, at=datetime.now(UTC))
        client = store.add_client(coop.id, "Bakery")[0].id
        for _ in range(args.open_jobs):
            _request(store, coop.id, client, rng)
        coops.append((coop.id, client))
    return coops


@contextmanager
def _planners(url: str, n: int, folder: Path, budget_s: float) -> Iterator[list[subprocess.Popen[bytes]]]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(TANDEM_PLANNING_BUDGET_S=str(budget_s), TANDEM_PLAN_DEBOUNCE_S="0.1")
    logs = [folder / f"planner-{n}-{i}.log" for i in range(n)]
    processes = []
    for log in logs:
        with log.open("wb") as handle:
            processes.append(
                subprocess.Popen(
                    [TANDEM, "planner", "--database", url, "--poll", "0.1"],
                    env=env,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    try:
        deadline = time.monotonic() + 120
        while not all("watching the log" in log.read_text(errors="replace") for log in logs):
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                raise RuntimeError("\n".join(log.read_text()[-2000:] for log in logs))
            time.sleep(0.1)
        yield processes
    finally:
        for process in processes:  # the processes started here, by their group id
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _settled(store: Store, timeout_s: float) -> float:
    """Wait until every cooperative's last round read its whole backlog; the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        pending = leases.everywhere(store)
        # the planner's own proposals come after what its round read: a round read all the requests
        if all(p.planned_seq > 0 for p in pending) and not leases.holders(store):
            return time.monotonic() - started
        time.sleep(0.2)
    raise RuntimeError(f"the backlog was not planned within {timeout_s} s")


def _measure(store: Store, coops: list[tuple[str, str]], args: argparse.Namespace) -> dict[str, Any]:
    """Requests at ``args.rate`` per second; each one's time to its proposal, seen in the log."""
    rng = random.Random(args.seed + 1)
    cursors = {coop: store.cooperative_last_seq(coop) for coop, _ in coops}
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    interval, next_at, end_at = 1 / args.rate, time.monotonic(), None

    def look() -> None:
        for coop, _ in coops:
            for event in store.events(coop, after_seq=cursors[coop]):
                cursors[coop] = event.seq
                job = event.payload.get("job_id")
                if event.type is EventType.PROPOSAL_MADE and job in sent and job not in seen:
                    seen[job] = time.monotonic()

    while len(sent) < args.requests or (len(seen) < len(sent) and time.monotonic() < (end_at or 0)):
        now = time.monotonic()
        if len(sent) < args.requests and now >= next_at:
            coop, client = coops[rng.randrange(len(coops))]
            sent[_request(store, coop, client, rng)] = time.monotonic()
            next_at += interval
            if len(sent) == args.requests:
                end_at = time.monotonic() + args.wait
        look()
        time.sleep(0.05)
    latencies = sorted(seen[j] - sent[j] for j in seen)
    return {
        "requests": len(sent),
        "proposed": len(latencies),
        "p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "p95_s": round(latencies[math.ceil(0.95 * len(latencies)) - 1], 3) if latencies else None,
        "max_s": round(latencies[-1], 3) if latencies else None,
    }


@contextmanager
def _database(folder: Path, n: int) -> Iterator[str]:
    base = postgres_url()
    if base is None:
        yield f"sqlite:///{folder / f'federation-{n}.db'}"
    else:
        yield from schema_url(base, "tandem_federation")


def run(args: argparse.Namespace) -> dict[str, Any]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (1, 2):
            with _database(Path(tmp), n) as url:
                store = Store.open(url)
                try:
                    coops = _fill(store, args, random.Random(args.seed))
                    with _planners(url, n, Path(tmp), args.budget):
                        backlog_s = _settled(store, 600)
                        row = {"planners": n, "backlog_s": round(backlog_s, 1), **_measure(store, coops, args)}
                finally:
                    store.close()
            rows.append(row)
            print(row, flush=True)
    return {
        "database": "postgresql" if postgres_url() else "sqlite",
        "redis": bool(os.environ.get("REDIS_URL")),
        "coops": args.coops,
        "open_jobs_per_coop": args.open_jobs,
        "couriers_per_coop": args.couriers,
        "rate_per_s": args.rate,
        "budget_s": args.budget,
        "seed": args.seed,
        "rows": rows,
    }


def _table(results: dict[str, Any]) -> str:
    lines = [
        "| planner processes | backlog planned in | requests | proposed | p50 | p95 | max |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results["rows"]:
        lines.append(
            f"| {r['planners']} | {r['backlog_s']} s | {r['requests']} | {r['proposed']} | "
            f"{r['p50_s']} s | {r['p95_s']} s | {r['max_s']} s |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--coops", type=int, default=20)
    parser.add_argument("--open-jobs", type=int, default=100)
    parser.add_argument("--couriers", type=int, default=10)
    parser.add_argument("--requests", type=int, default=120)
    parser.add_argument("--rate", type=float, default=1.0, help="new requests per second, over all cooperatives")
    parser.add_argument("--budget", type=float, default=1.0, help="each round's time budget, seconds")
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the last proposals")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.coops, args.open_jobs, args.requests = 4, 20, 30
    results = run(args)
    results_io.report(RESULTS, results, _table(results), save=not args.no_save and not args.quick)


if __name__ == "__main__":
    main()
