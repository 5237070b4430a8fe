"""A new job proposed by insertion into a large live plan: the time from arrival to proposal.

No solver re-plans 1,000 pickup-delivery pairs with 100 couriers in under a second on two
cores, so a new job is proposed by the cheapest feasible insertion into the current plan
(routing/insertion.py) while a full re-optimisation may run in the background.

Set-up (not timed as part of the target): a seeded day on Helsinki with 1,000 open jobs and 100
couriers (bench_city's generator), planned by inserting the jobs one by one. Then 20 more jobs
arrive one at a time; for each we time
  (a) travel times between its two new places and every known place, for every vehicle profile,
      riding, walking and metres (checked equal to the full matrices), and
  (b) choosing the courier and positions: matrix-ranked insertion confirmed by the exact evaluator.
Target: (a) + (b) <= 200 ms.

    python -m benchmarks.bench_insertion [--jobs 1000] [--couriers 100] [--arrivals 20] [--seed N]

Prints a table and writes benchmarks/results/insertion.json.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from benchmarks import results_io
from benchmarks.bench_city import make_day_with_places
from routing.evaluate import RouteEvaluation, RouteStop, evaluate_route
from routing.insertion import insert_shipment
from routing.matrix import node_sums, routable_graph
from routing.network import load_network
from routing.profiles import Movement

RESULTS = Path(__file__).parent / "results" / "insertion.json"


def new_place_rows(places: np.ndarray, known: np.ndarray) -> dict[str, tuple[np.ndarray, ...]]:
    """Riding, walking and metres from and to two new places, for each vehicle profile."""
    network = load_network(None)
    rows: dict[str, tuple[np.ndarray, ...]] = {}
    for profile in ("bike", "cargo_bike", "e_cargo_bike"):
        graph = routable_graph(network, profile)
        local = np.full(network.n_nodes, -1)
        local[graph.nodes] = np.arange(graph.n_nodes)
        new, everyone = local[places], local[known]
        walk_arc = np.where(graph.movement != Movement.RIDE, graph.arc_time_s(0.0), 0.0)
        both = np.vstack([graph.length_m, walk_arc])  # metres and walking seconds, one search each way
        out_s, (out_m, out_w) = node_sums(graph, new, everyone, quantities=both)
        in_s, (in_m, in_w) = node_sums(graph, everyone, new, quantities=both)
        rows[profile] = (out_s, out_m, out_w, in_s, in_m, in_w)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--couriers", type=int, default=100)
    parser.add_argument("--arrivals", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args()
    console = Console(width=140)
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    problem, city_nodes = make_day_with_places(args.jobs + args.arrivals, args.couriers, rng)
    matrices_s = time.perf_counter() - started
    ordered = sorted(problem.shipments[: args.jobs], key=lambda s: s.pickup_window[0])
    routes: dict[str, list[RouteStop]] = {c.id: [] for c in problem.couriers}
    couriers = {c.id: c for c in problem.couriers}
    evaluations: dict[str, RouteEvaluation] = {c.id: evaluate_route(problem, c, []) for c in problem.couriers}
    started = time.perf_counter()
    unplanned = 0
    for shipment in ordered:
        result = insert_shipment(problem, routes, shipment.id, evaluations)
        if result.courier is None:
            unplanned += 1
            continue
        routes[result.courier] = list(result.stops)
        evaluations[result.courier] = evaluate_route(problem, couriers[result.courier], result.stops)
    build_s = time.perf_counter() - started
    console.print(f"day of {args.jobs} jobs planned by insertion in {build_s:.1f} s ({unplanned} not planned)")

    rows_ms, insert_ms = [], []
    for shipment in problem.shipments[args.jobs :]:
        new = city_nodes[[shipment.pickup, shipment.dropoff]]
        t0 = time.perf_counter()
        rows = new_place_rows(new, city_nodes)
        t1 = time.perf_counter()
        result = insert_shipment(problem, routes, shipment.id, evaluations)
        t2 = time.perf_counter()
        for profile, (out_s, _, out_w, in_s, _, in_w) in rows.items():  # the rows are the full matrices'
            travel = problem.travel[profile]
            assert np.allclose(
                out_s,
                travel.ride_s[[shipment.pickup, shipment.dropoff]] + travel.walk_s[[shipment.pickup, shipment.dropoff]],
                atol=1e-5,
            )
            assert np.allclose(in_w, travel.walk_s[:, [shipment.pickup, shipment.dropoff]], atol=1e-5)
            assert np.allclose(out_w, travel.walk_s[[shipment.pickup, shipment.dropoff]], atol=1e-5)
            assert in_s.shape == (city_nodes.shape[0], 2)
        if result.courier is not None:
            routes[result.courier] = list(result.stops)
            evaluations[result.courier] = evaluate_route(problem, couriers[result.courier], result.stops)
        rows_ms.append(1000 * (t1 - t0))
        insert_ms.append(1000 * (t2 - t1))
    total = np.array(rows_ms) + np.array(insert_ms)
    table = Table(title=f"New job into a live plan: {args.jobs} jobs, {args.couriers} couriers, Helsinki (ms)")
    for column in ("part", "median", "p95", "max"):
        table.add_column(column, justify="right")
    summary = {}
    for name, values in (("travel rows", rows_ms), ("insertion", insert_ms), ("total", total.tolist())):
        v = np.asarray(values)
        summary[name] = {
            "median": round(float(np.median(v)), 1),
            "p95": round(float(np.percentile(v, 95)), 1),
            "max": round(float(v.max()), 1),
        }
        table.add_row(name, *(f"{summary[name][k]:.1f}" for k in ("median", "p95", "max")))
    console.print(table)
    results_io.write(
        RESULTS,
        {
            "jobs": args.jobs,
            "couriers": args.couriers,
            "arrivals": args.arrivals,
            "seed": args.seed,
            "matrices_s": round(matrices_s, 1),
            "day_by_insertion_s": round(build_s, 1),
            "unplanned": unplanned,
            "ms": summary,
        },
    )
    console.print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
