"""Hills: the speed model on slopes, and riding times up and down real streets (issue 20).

Two tables:

1. **Speeds by slope**: each vehicle, empty and loaded, on grades from -6 % to +10 %
   (``routing.climbing``), beside the ratios Parkin & Rotheram measured on everyday cyclists
   in Leeds [PR10]: 85th-percentile speed 22 km/h on the flat and 25 km/h at -3 % (x1.14);
   about 150 W delivered on the flat and 250 W on climbs.
2. **Up and down the same streets** of Andorra (``../shared/data/osm/andorra.osm.pbf`` with
   ``../shared/data/elevation/N42E001.hgt.zip``): for a few pairs of places at different
   heights, the riding time of the fastest path up and down, empty and loaded, for a bike, a
   cargo bike and an e-cargo bike, with and without heights.
3. **Each vehicle's own way** (issue 20, item 4): between random places of the valley (Andorra
   la Vella, Escaldes, La Massana), how often a fully loaded cargo or e-cargo bike's fastest way
   differs from the empty one's, what it gains and how much longer it is; one worked example;
   and the planner's travel times at a quarter, half and three quarters of the payload (the
   better of the two ways, each interpolated in the load) against a search at that load,
   beside the empty way alone (what the planner used before).

    python benchmarks/bench_hills.py

Prints both tables and writes benchmarks/results/hills.json.

[PR10] Parkin & Rotheram (2010). "Design speeds and acceleration characteristics of bicycle
       traffic for use in planning, design and appraisal." Transport Policy 17(5), 335-341.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from routing.climbing import climbing_speed_kmh, riding_speed_kmh
from routing.matrix import RoutableGraph, fastest_path, node_matrix, node_sums, routable_graph, snap
from routing.network import BikeNetwork, load_network, with_elevation
from routing.problem import travel_times
from routing.profiles import PROFILES

RESULTS = Path(__file__).parent / "results" / "hills.json"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
GRADES = (-0.06, -0.03, 0.0, 0.03, 0.06, 0.10)
LOADS = {"bike": (0.0, 20.0), "cargo_bike": (0.0, 80.0), "e_cargo_bike": (0.0, 80.0)}
#: Places of Andorra (lon, lat): the valley floor of Andorra la Vella and Escaldes, and
#: villages above it. Names for the table only.
PLACES = {
    "Andorra la Vella, Plaça del Poble": (1.5219, 42.5069),
    "Escaldes, Caldea": (1.5365, 42.5118),
    "Santa Coloma": (1.4985, 42.4955),
    "Engordany (upper)": (1.5395, 42.5150),
    "La Massana": (1.5148, 42.5449),
}
#: The valley where the deliveries are (lon, lat bounds) and a worked example of a loaded cargo
#: bike's longer, flatter way (the pair of ``tests/routing/test_hills_paths.py``).
VALLEY = ((1.50, 1.56), (42.49, 42.55))
EXAMPLE = ("Andorra la Vella, above Av. Meritxell", (1.53300, 42.50630), "west of the old town", (1.52151, 42.50615))
ROUTES = (
    ("Andorra la Vella, Plaça del Poble", "La Massana"),
    ("Santa Coloma", "Escaldes, Caldea"),
    ("Escaldes, Caldea", "Engordany (upper)"),
)


def speeds() -> list[dict[str, Any]]:
    rows = []
    for name, loads in LOADS.items():
        p = PROFILES[name]
        for load in loads:
            flat = np.full(len(GRADES), p.riding_kmh(load))
            v = riding_speed_kmh(name, flat, np.array(GRADES), load, p.push_kmh)
            power = climbing_speed_kmh(name, np.array([0.0]), load)[0]
            rows.append(
                {"vehicle": name, "load_kg": load, "power_flat_kmh": round(float(power), 1)}
                | {f"{100 * g:+.0f}%": round(float(x), 1) for g, x in zip(GRADES, v, strict=True)}
            )
    return rows


def _minutes(network: BikeNetwork, profile: str, load: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    graph = routable_graph(network, PROFILES[profile])
    nodes = snap(graph, [a, b], max_distance_m=500).node
    return fastest_path(graph, int(nodes[0]), int(nodes[1]), load_kg=load).seconds / 60.0


def streets(flat: BikeNetwork, hilly: BikeNetwork) -> list[dict[str, Any]]:
    rows = []
    heights = hilly.elevation_m
    assert heights is not None
    for low_name, high_name in ROUTES:
        low, high = PLACES[low_name], PLACES[high_name]
        graph = routable_graph(hilly, PROFILES["bike"])
        ends = snap(graph, [low, high], max_distance_m=500).node
        climb = float(heights[graph.nodes[ends[1]]] - heights[graph.nodes[ends[0]]])
        for name, loads in LOADS.items():
            for load in loads:
                rows.append(
                    {
                        "from": low_name,
                        "to": high_name,
                        "climb_m": round(climb),
                        "vehicle": name,
                        "load_kg": load,
                        "flat_up_min": round(_minutes(flat, name, load, low, high), 1),
                        "up_min": round(_minutes(hilly, name, load, low, high), 1),
                        "down_min": round(_minutes(hilly, name, load, high, low), 1),
                    }
                )
    return rows


def _valley_nodes(graph: RoutableGraph, n: int, seed: int) -> np.ndarray:
    lon, lat = graph.network.lon[graph.nodes], graph.network.lat[graph.nodes]
    (w, e), (s, north) = VALLEY
    inside = np.flatnonzero((lon > w) & (lon < e) & (lat > s) & (lat < north))
    return np.random.default_rng(seed).choice(inside, size=n, replace=False).astype(np.int64)


def _climb_m(graph: RoutableGraph, nodes: np.ndarray) -> float:
    heights = graph.network.elevation_m
    assert heights is not None
    rise = np.diff(heights[graph.nodes[nodes]])
    return float(rise[rise > 0].sum())


def example(hilly: BikeNetwork) -> dict[str, Any]:
    graph = routable_graph(hilly, PROFILES["cargo_bike"])
    full = PROFILES["cargo_bike"].payload_kg
    a, b = (int(x) for x in snap(graph, [EXAMPLE[1], EXAMPLE[3]]).node)
    empty, loaded = fastest_path(graph, a, b), fastest_path(graph, a, b, load_kg=full)
    return {
        "from": EXAMPLE[0],
        "to": EXAMPLE[2],
        "load_kg": full,
        "empty_way": {"metres": round(empty.metres), "climb_m": round(_climb_m(graph, empty.nodes))},
        "loaded_way": {"metres": round(loaded.metres), "climb_m": round(_climb_m(graph, loaded.nodes))},
        "loaded_min_on_empty_way": round(float(graph.arc_time_s(full)[empty.arcs].sum()) / 60, 2),
        "loaded_min_on_loaded_way": round(loaded.seconds / 60, 2),
        "empty_min": round(empty.seconds / 60, 2),
    }


def own_ways(hilly: BikeNetwork, n: int) -> list[dict[str, Any]]:
    """Per vehicle: how often the loaded way differs, and the planner's error at middle loads."""
    rows = []
    for name in ("cargo_bike", "e_cargo_bike"):
        graph = routable_graph(hilly, PROFILES[name])
        full = PROFILES[name].payload_kg
        nodes = _valley_nodes(graph, n, seed=20)
        travel = travel_times(graph, nodes)
        assert travel.ride_loaded_s is not None and travel.loaded_path_s is not None
        _, (loaded_metres,) = node_sums(graph, nodes, nodes, load_kg=full, quantities=graph.length_m[None, :])
        other = ~np.eye(n, dtype=bool) & (nodes[:, None] != nodes[None, :])
        along_empty = travel.ride_loaded_s + travel.walk_s
        gain = (along_empty - travel.loaded_path_s)[other]
        differ = gain > 1.0
        longer = (loaded_metres[other] / travel.metres[other])[differ]
        row: dict[str, Any] = {
            "vehicle": name,
            "places": n,
            "payload_kg": full,
            "other_way_share": round(float(differ.mean()), 3),
            "gain_median_s": round(float(np.median(gain[differ])), 1),
            "gain_max_s": round(float(gain.max()), 1),
            "gain_median_pct": round(float(np.median(gain[differ] / along_empty[other][differ])) * 100, 1),
            "longer_median_pct": round(float(np.median(longer) - 1) * 100, 1),
            "longer_share": round(float((longer > 1.0).mean()), 3),
        }
        for share in (0.25, 0.5, 0.75):
            load = share * full
            exact = node_matrix(graph, nodes, nodes, load_kg=load, with_distance=False)[0][other]
            ours = travel.seconds(load)[other]
            old = (travel.ride_s + (travel.ride_loaded_s - travel.ride_s) * share + travel.walk_s)[other]
            for label, got in (("both_ways", ours), ("empty_way", old)):
                error = (got - exact) / exact
                row[f"{label}_{share:g}"] = {
                    "mean_pct": round(float(error.mean()) * 100, 2),
                    "under_worst_pct": round(float(error.min()) * 100, 1),
                    "over_worst_pct": round(float(error.max()) * 100, 1),
                }
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--city", type=Path, default=SHARED / "osm" / "andorra.osm.pbf")
    parser.add_argument("--elevation", type=Path, nargs="+", default=[SHARED / "elevation" / "N42E001.hgt.zip"])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--places", type=int, default=300, help="random places of the valley for the own ways")
    args = parser.parse_args()
    console = Console(width=160)

    by_slope = speeds()
    table = Table(title="Speed (km/h) by slope: calibrated flat speed, power model uphill, braking cap downhill")
    for column in ("vehicle", "load", "power model, flat", *(f"{100 * g:+.0f} %" for g in GRADES)):
        table.add_column(column, justify="right")
    for r in by_slope:
        cells = [f"{r[f'{100 * g:+.0f}%']:.1f}" for g in GRADES]
        table.add_row(r["vehicle"], f"{r['load_kg']:.0f} kg", f"{r['power_flat_kmh']:.1f}", *cells)
    console.print(table)
    bike = by_slope[0]
    console.print(
        f"bike, empty: -3 % / flat = {bike['-3%'] / bike['+0%']:.2f} (Parkin & Rotheram 2010, 85th percentile: "
        "25 / 22 = 1.14)"
    )

    flat = load_network(args.city)
    hilly = with_elevation(flat, args.elevation)
    up_down = streets(flat, hilly)
    table = Table(title=f"{hilly.name}: fastest-path riding minutes up and down the same places")
    for column in ("from -> to", "climb", "vehicle", "load", "flat model", "up", "down", "up / down"):
        table.add_column(column, justify="right")
    for r in up_down:
        table.add_row(
            f"{r['from']} -> {r['to']}",
            f"{r['climb_m']} m",
            r["vehicle"],
            f"{r['load_kg']:.0f} kg",
            f"{r['flat_up_min']:.1f}",
            f"{r['up_min']:.1f}",
            f"{r['down_min']:.1f}",
            f"{r['up_min'] / r['down_min']:.1f}",
        )
    console.print(table)

    ways = own_ways(hilly, args.places)
    table = Table(title=f"{hilly.name}: each vehicle's own way, {args.places} places of the valley, fully loaded")
    for column in ("vehicle", "payload", "other way", "gain (median)", "gain (max)", "longer (median)"):
        table.add_column(column, justify="right")
    for r in ways:
        table.add_row(
            r["vehicle"],
            f"{r['payload_kg']:.0f} kg",
            f"{100 * r['other_way_share']:.1f} % of pairs",
            f"{r['gain_median_s']:.0f} s ({r['gain_median_pct']:.1f} %)",
            f"{r['gain_max_s']:.0f} s",
            f"{r['longer_median_pct']:+.1f} % ({100 * r['longer_share']:.0f} % longer)",
        )
    console.print(table)
    table = Table(title="Travel time at a middle load against a search at that load: mean (worst under / over), %")
    for column in ("vehicle", "load", "better of both ways", "empty way only (before)"):
        table.add_column(column, justify="right")
    for r in ways:
        for share in (0.25, 0.5, 0.75):
            errors = [r[f"{label}_{share:g}"] for label in ("both_ways", "empty_way")]
            table.add_row(
                r["vehicle"],
                f"{share * r['payload_kg']:.0f} kg",
                *(f"{c['mean_pct']:+.2f} ({c['under_worst_pct']:+.1f} / {c['over_worst_pct']:+.1f})" for c in errors),
            )
    console.print(table)
    worked = example(hilly)
    console.print(worked)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "city": str(args.city),
                "tiles": [str(t) for t in args.elevation],
                "speeds": by_slope,
                "streets": up_down,
                "own_ways": ways,
                "example": worked,
            },
            indent=2,
        )
        + "\n"
    )
    console.print(f"written to {args.out}")


if __name__ == "__main__":
    main()
