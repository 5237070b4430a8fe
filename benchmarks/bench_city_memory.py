"""What a city costs an API worker's memory (issue 16: each cooperative its city).

Each city is measured in a fresh process that first imports what a worker imports (the app),
then, reading the resident set (``VmRSS``) at each step: the city loaded (``api.cities``), the
intake warmed for every vehicle profile (the routable graph and its KD-tree, a snap and a street
distance: what a first quote builds), and the console's street map serialised (cached per city
once a dispatcher opens a map without tiles). The planner's process holds the city too, with its
own graphs (about the first two steps again, plus the round's matrices).

    TANDEM_DATA_DIR=... python -m benchmarks.bench_city_memory helsinki andorra
    python -m benchmarks.bench_city_memory helsinki ../shared/data/osm/andorra.osm.pbf

A path is imported first, into a temporary data directory. Each city is measured alone in a
process, then all of them in turn in one process (as a worker serving them all). In MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def measure(city: str) -> dict[str, float]:
    """The steps' resident sets in this process, for ``city`` after those already measured here."""
    from api.cities import Cities
    from api.geo import streets_geojson
    from routing.profiles import PROFILES

    steps = {"before": rss_mb()}
    loaded = Cities().get(city)
    steps["loaded"] = rss_mb()
    lon0, lat0, lon1, lat1 = loaded.streets.bounds
    a, b = ((lon0 * 2 + lon1) / 3, (lat0 * 2 + lat1) / 3), ((lon0 + lon1 * 2) / 3, (lat0 + lat1 * 2) / 3)
    for profile in PROFILES:
        loaded.streets.metres(profile, a, b, float("inf"))
    steps["quoting"] = rss_mb()
    text = json.dumps(streets_geojson(loaded.network), separators=(",", ":"))
    steps["street_map"] = rss_mb()
    steps["nodes"] = float(loaded.network.n_nodes)
    steps["street_map_mb"] = len(text) / 1e6
    _kept.append((loaded, text))  # held, as a worker holds them
    return steps


_kept: list[object] = []


def measure_in_order(cities: list[str]) -> list[dict[str, float]]:
    """Each city in turn in this process, after the imports a worker makes."""
    import gc

    import api.app  # noqa: F401  (what a worker imports before serving)

    gc.collect()
    return [measure(city) for city in cities]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cities", nargs="+", help="city names (default or imported), or .osm.pbf files to import")
    args = parser.parse_args()
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as scratch:
        names = []
        for city in args.cities:
            name = city
            if city.endswith((".pbf", ".osm")):
                env["TANDEM_DATA_DIR"] = scratch
                name = Path(city).name.split(".")[0]
                subprocess.run(
                    [sys.executable, "-m", "api.cli", "city", "import", city, "--name", name], env=env, check=True
                )
            names.append(name)
        # the default city is read from its cache, as a server does after its first start ever
        warm = "from routing.network import open_city; open_city(None)"
        subprocess.run([sys.executable, "-c", warm], env=env, check=True)
        for order in [[n] for n in names] + ([names] if len(names) > 1 else []):
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks.bench_city_memory", "--in-order", ",".join(order)],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            print(f"in one process: {' then '.join(order)}")
            for city, s in zip(order, json.loads(done.stdout.strip().splitlines()[-1]), strict=True):
                print(
                    f"  {city}: {s['nodes']:,.0f} nodes; RSS {s['before']:.0f} MB before, "
                    f"+{s['loaded'] - s['before']:.0f} MB loaded, +{s['quoting'] - s['before']:.0f} MB quoting "
                    f"(every profile), +{s['street_map'] - s['before']:.0f} MB with the street map "
                    f"({s['street_map_mb']:.1f} MB of GeoJSON)"
                )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--in-order":
        print(json.dumps(measure_in_order(sys.argv[2].split(","))))
    else:
        main()
