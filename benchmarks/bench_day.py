"""Whole working days, replayed: fairness off, fairness on, and on under riding budgets, side by side.

Fairness is won or lost over a day of jobs arriving one by one and planned round after round,
not in one round. Each day is generated (``dispatch.days.generate_day``: a lunch peak, 8 % heavy
parcels of 40-120 kg, bikes, cargo and e-cargo bikes on shifts of different lengths and starts)
and replayed through the live code paths (``dispatch.replay.replay``) under each policy with
the same seeds:

- ``off``: ``Policy(fairness_weight=0.0, riding_budget=None)``
- ``on``: ``Policy(fairness_weight=1.0, riding_budget=None)``
- ``b5``, ``b10``, ``b20``: ``Policy(fairness_weight=1.0, riding_budget=0.05 / 0.10 / 0.20)``
- on request, ``w2`` and ``w4``: fairness weight 2 and 4, no budget (further along the curve)

Two suites by default: the default city (5 days of 8 h, 120 requests, 12 couriers) and
``../shared/data/osm/andorra.osm.pbf`` read in place (3 days of 8 h, 300 requests, 25 couriers;
skipped with a note when the file is absent). ``--city FILE`` runs that city alone.

Per day and policy, and as means over the days: on-time rate, riding minutes (and against
``off`` on the same day), end-of-day Gini of worked/shift, the highest and lowest worked share,
heavy parcels and kg per cargo courier, the spread of heavy-parcel counts among cargo couriers
on shift the whole day, minutes worked past a shift's end (and those while an able courier
ended the day below 60 % of their shift), mean request-to-drop-off time, and the replay's CPU
seconds (the process's, planner included) and the planner's wall seconds.

    python benchmarks/bench_day.py [--days N] [--city FILE] [--requests N] [--couriers N]
        [--policies off,on,b5,b10,b20] [--quick] [--no-save]

Prints a table per city and writes benchmarks/results/day.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from statistics import mean
from typing import Any

from rich.console import Console
from rich.table import Table

if __package__ in (None, ""):  # run as a file (python benchmarks/bench_day.py): the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import results_io
from dispatch.days import Day, generate_day, street_points
from dispatch.model import VehicleKind
from dispatch.replay import ReplayResult, replay
from dispatch.simulation import Policy
from routing.network import BikeNetwork, open_city

RESULTS = Path(__file__).parent / "results" / "day.json"
ANDORRA = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm" / "andorra.osm.pbf"
START = datetime(2026, 11, 30, 9, 0)  # a Monday, 09:00 local time in each city
POLICIES: dict[str, Policy] = {
    "off": Policy(fairness_weight=0.0, riding_budget=None),
    "on": Policy(fairness_weight=1.0, riding_budget=None),
    "b5": Policy(fairness_weight=1.0, riding_budget=0.05),
    "b10": Policy(fairness_weight=1.0, riding_budget=0.10),
    "b20": Policy(fairness_weight=1.0, riding_budget=0.20),
    # Further along the curve, on request: a stronger weight, as members may choose.
    "w2": Policy(fairness_weight=2.0, riding_budget=None),
    "w4": Policy(fairness_weight=4.0, riding_budget=None),
}
DEFAULT_POLICIES = "off,on,b5,b10,b20"
#: (summary key, table heading, digits): the figures compared per day and in the means.
FIGURES = (
    ("delivered", "delivered", 0),
    ("on_time_rate", "on time", 3),
    ("riding_min", "riding min", 0),
    ("riding_vs_off_pct", "riding vs off %", 1),
    ("worked_gini", "Gini", 3),
    ("worked_share_max", "max share", 2),
    ("worked_share_min", "min share", 2),
    ("heavy_jobs", "heavy", 0),
    ("heavy_jobs_spread_whole_day_cargo", "heavy spread", 0),
    ("past_shift_min", "past shift min", 0),
    ("past_shift_while_available_min", "... while one <60 %", 0),
    ("request_to_dropoff_mean_min", "request→drop-off min", 1),
    ("cpu_s", "CPU s", 1),
    ("planning_s", "planner wall s", 1),
)


def code_state() -> dict[str, Any]:
    """The commit measured, and whether the planner's code differed from it (a shared work tree)."""
    import subprocess

    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10, check=False)
        except OSError:
            return ""
        return done.stdout.strip()

    changed = git("status", "--porcelain", "--", "routing", "dispatch")
    return {"commit": git("rev-parse", "--short", "HEAD"), "uncommitted": changed.splitlines()}


def make_day(network: BikeNetwork, *, seed: int, requests: int, couriers: int, hours: float) -> Day:
    day = generate_day(
        street_points(network), start=START, hours=hours, requests=requests, couriers=couriers, seed=seed
    )
    return Day(f"{network.name}-{seed}", day.timezone, day.couriers, day.requests)


def row(result: ReplayResult, off: ReplayResult | None) -> dict[str, Any]:
    """The figures of one replay, with the cargo couriers' heavy loads listed in fleet order."""
    out: dict[str, Any] = {**result.summary, **result.timing}
    base = off.summary["riding_min"] if off is not None else 0.0
    out["riding_vs_off_pct"] = round(100 * (result.summary["riding_min"] / base - 1), 1) if base else 0.0
    cargo = [c for c in result.couriers if c["vehicle"] != VehicleKind.BIKE.value]
    out["cargo_heavy_jobs"] = {c["courier"]: c["heavy_jobs"] for c in cargo}
    out["cargo_heavy_kg"] = {c["courier"]: c["heavy_kg"] for c in cargo}
    out["couriers"] = result.couriers
    return out


def run_city(
    console: Console,
    city: str | None,
    *,
    days: int,
    requests: int,
    couriers: int,
    hours: float,
    seed0: int,
    policies: list[str],
) -> dict[str, Any]:
    network = open_city(city)
    rows: list[dict[str, Any]] = []
    for i in range(days):
        day = make_day(network, seed=seed0 + i, requests=requests, couriers=couriers, hours=hours)
        replays: dict[str, ReplayResult] = {}
        for name in policies:
            replays[name] = replay(day, POLICIES[name], network, seed=1)
            console.print(
                f"{day.name} {name}: {replays[name].timing['wall_s']:.1f} s wall, "
                f"{replays[name].timing['cpu_s']:.1f} s CPU",
                highlight=False,
            )
        results = {name: row(result, replays.get("off")) for name, result in replays.items()}
        kinds = [c.vehicle.value for c in day.couriers]
        rows.append(
            {
                "day": day.name,
                "seed": seed0 + i,
                "timezone": day.timezone,
                "requests": len(day.requests),
                "heavy_parcels": sum(1 for r in day.requests if r.request.weight_kg >= 40),
                "couriers": len(day.couriers),
                "fleet": {kind: kinds.count(kind) for kind in sorted(set(kinds))},
                "policies": results,
            }
        )
    means = {
        name: {key: round(mean(float(r["policies"][name][key]) for r in rows), 4) for key, _, _ in FIGURES}
        for name in policies
    }
    if "off" in means:  # the riding of the means, against off's mean
        for name in policies:
            means[name]["riding_vs_off_pct"] = (
                round(100 * (means[name]["riding_min"] / means["off"]["riding_min"] - 1), 1)
                if means["off"]["riding_min"]
                else 0.0
            )
    return {
        "city": network.name,
        "file": str(city) if city else None,
        "days": days,
        "hours": hours,
        "requests": requests,
        "couriers": couriers,
        "rows": rows,
        "means": means,
    }


def show(console: Console, suite: dict[str, Any], policies: list[str]) -> None:
    def cells(figures: dict[str, Any]) -> list[str]:
        return [f"{float(figures[key]):.{digits}f}" for key, _, digits in FIGURES]

    title = f"{suite['city']}: {suite['days']} days of {suite['hours']:g} h, {suite['requests']} requests"
    table = Table("day", "policy", *[label for _, label, _ in FIGURES], title=title)
    for r in suite["rows"]:
        for name in policies:
            table.add_row(r["day"], name, *cells(r["policies"][name]))
    for name in policies:
        table.add_row("mean", name, *cells(suite["means"][name]), style="bold")
    console.print(table)
    heavy = Table("day", "policy", "heavy parcels per cargo courier", "heavy kg per cargo courier", title="heavy loads")
    for r in suite["rows"]:
        for name in policies:
            p = r["policies"][name]
            heavy.add_row(
                r["day"],
                name,
                " ".join(f"{k} {v}" for k, v in p["cargo_heavy_jobs"].items()),
                " ".join(f"{k} {v:.0f}" for k, v in p["cargo_heavy_kg"].items()),
            )
    console.print(heavy)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, help="days per city (default 5 on the default city, 3 on another)")
    parser.add_argument("--city", help="an .osm.pbf/.osm file or a city name: that city alone")
    parser.add_argument("--requests", type=int, help="requests per day (default 120; 300 on another city)")
    parser.add_argument("--couriers", type=int, help="couriers per day (default 12; 25 on another city)")
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--policies", default=DEFAULT_POLICIES, help="from off,on,b5,b10,b20,w2,w4")
    parser.add_argument("--quick", action="store_true", help="one tiny day (a smoke test)")
    parser.add_argument("--no-save", action="store_true", help=f"do not write {RESULTS.name}")
    args = parser.parse_args(argv)
    policies = [p for p in args.policies.split(",") if p]
    unknown = [p for p in policies if p not in POLICIES]
    if unknown or not policies:
        parser.error(f"--policies: unknown {', '.join(unknown) or 'none given'} (from {', '.join(POLICIES)})")
    console = Console(width=250)
    load_before = os.getloadavg()
    started = time.perf_counter()
    code = code_state()  # the code imported now is what runs, whatever lands during the run
    if args.quick:
        plans = [(args.city, args.days or 1, args.requests or 10, args.couriers or 3, min(args.hours, 2.0), 1)]
    elif args.city:
        plans = [(args.city, args.days or 3, args.requests or 300, args.couriers or 25, args.hours, 2001)]
    else:
        plans = [(None, args.days or 5, args.requests or 120, args.couriers or 12, args.hours, 1001)]
        if ANDORRA.is_file():
            plans.append((str(ANDORRA), args.days or 3, args.requests or 300, args.couriers or 25, args.hours, 2001))
        else:
            console.print(f"{ANDORRA} is not there: the default city alone")
    suites = []
    for city, days, requests, couriers, hours, seed0 in plans:
        suite = run_city(
            console, city, days=days, requests=requests, couriers=couriers, hours=hours, seed0=seed0, policies=policies
        )
        show(console, suite, policies)
        suites.append(suite)
    out = {
        "benchmark": "day",
        "settings": {**vars(args), "policies": policies},
        "policies": {name: repr(POLICIES[name]) for name in policies},
        # CPU and planner seconds depend on the machine's load; the other figures do not.
        "load_average_1min": {"start": round(load_before[0], 2), "end": round(os.getloadavg()[0], 2)},
        "seconds": round(time.perf_counter() - started, 1),
        "code": code,
        "cities": suites,
    }
    if not args.no_save:
        results_io.write(RESULTS, out)
        console.print(f"written to {RESULTS}")
    return out


if __name__ == "__main__":
    main()
