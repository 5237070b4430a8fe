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
from routing.matrix import fastest_path, routable_graph, snap
from routing.network import BikeNetwork, load_network, with_elevation
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--city", type=Path, default=SHARED / "osm" / "andorra.osm.pbf")
    parser.add_argument("--elevation", type=Path, nargs="+", default=[SHARED / "elevation" / "N42E001.hgt.zip"])
    parser.add_argument("--out", type=Path, default=RESULTS)
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
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {"city": str(args.city), "tiles": [str(t) for t in args.elevation], "speeds": by_slope, "streets": up_down},
            indent=2,
        )
        + "\n"
    )
    console.print(f"written to {args.out}")


if __name__ == "__main__":
    main()
