"""Replays at scale: one big day, and a sweep of day-variants on Dask against running them one by one.

1. One generated day of ``--jobs`` requests (default 500) over ``--hours`` (8) with ``--couriers``
   (25: 60 % bikes, 40 % cargo bikes) on the default city, replayed under accept-proposals with
   the live planner, limited by work (repeatable). Target: <= 60 s.
2. ``--variants`` (8) smaller days (``--variant-jobs`` 60 each, different seeds) replayed one after
   the other, then on a 2-worker Dask LocalCluster. Target: the cluster >= 1.6x faster.

    python -m benchmarks.bench_replay [--jobs 500] [--variants 8]
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from benchmarks import results_io
from dispatch.days import Day, generate_day
from dispatch.replay import ReplayResult, replay
from dispatch.simulation import Policy
from routing.matrix import routable_graph
from routing.network import BikeNetwork, open_city

RESULTS = Path(__file__).parent / "results" / "replay.json"
START = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("Europe/Helsinki"))


def fleet(n: int) -> tuple[tuple[str, str], ...]:
    return tuple((f"Rider {i + 1}", "cargo_bike" if i % 5 in (1, 3) else "bike") for i in range(n))


def make_day(network: BikeNetwork, jobs: int, hours: float, couriers: int, seed: int) -> Day:
    graph = routable_graph(network, "bike")
    points = [(float(network.lon[n]), float(network.lat[n])) for n in graph.nodes.tolist()]
    day = generate_day(points, start=START, hours=hours, requests=jobs, fleet=fleet(couriers), seed=seed)
    return Day(f"day-{seed}", "Europe/Helsinki", day.couriers, day.requests)


def warm() -> None:
    open_city(None)


def one(day: Day, budget: float) -> ReplayResult:
    return replay(day, Policy(budget_s=budget), open_city(None), seed=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--couriers", type=int, default=25)
    parser.add_argument("--variants", type=int, default=8)
    parser.add_argument("--variant-jobs", type=int, default=60)
    parser.add_argument("--budget", type=float, default=0.3)
    parser.add_argument("--skip-big", action="store_true")
    args = parser.parse_args()
    network = open_city(None)
    out: dict[str, object] = {"benchmark": "replay", "settings": vars(args)}

    if not args.skip_big:
        day = make_day(network, args.jobs, args.hours, args.couriers, seed=1)
        started = time.perf_counter()
        big = one(day, args.budget)
        seconds = time.perf_counter() - started
        out["big_day"] = {"jobs": args.jobs, "couriers": args.couriers, "seconds": round(seconds, 1), **big.summary}
        print(
            f"one day: {args.jobs} jobs, {args.couriers} couriers: {seconds:.1f} s (target 60 s); "
            f"delivered {big.summary['delivered']:.0f}, rounds {big.summary['planning_rounds']:.0f}"
        )

    if args.variants == 0:
        results_io.write(RESULTS, out)
        return
    days = [make_day(network, args.variant_jobs, 3.0, 8, seed=100 + i) for i in range(args.variants)]
    started = time.perf_counter()
    serial = [one(d, args.budget) for d in days]
    serial_s = time.perf_counter() - started

    from distributed import Client, LocalCluster

    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"  # one core per worker: numeric libraries must not start more threads

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)  # type: ignore[no-untyped-call]
    client = Client(cluster)  # type: ignore[no-untyped-call]
    try:
        client.run(warm)  # each worker loads the city once, before the clock starts
        started = time.perf_counter()
        futures = client.map(one, days, [args.budget] * len(days), pure=False)
        parallel = client.gather(futures)  # type: ignore[no-untyped-call]
        parallel_s = time.perf_counter() - started
    finally:
        client.close()  # type: ignore[no-untyped-call]
        cluster.close()
    same = [r.summary for r in serial] == [r.summary for r in parallel]
    speedup = serial_s / parallel_s
    out["sweep"] = {
        "variants": args.variants,
        "jobs_each": args.variant_jobs,
        "serial_s": round(serial_s, 1),
        "cluster_2_workers_s": round(parallel_s, 1),
        "speedup": round(speedup, 2),
        "same_figures": same,
    }
    print(
        f"sweep of {args.variants} days: serial {serial_s:.1f} s, 2-worker cluster {parallel_s:.1f} s, "
        f"{speedup:.2f}x (target 1.6x); same figures both ways: {same}"
    )
    results_io.write(RESULTS, out)


if __name__ == "__main__":
    main()
