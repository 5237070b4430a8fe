"""A week's rota for a cooperative of 40 couriers (issue 23): time, coverage and fairness.

Seeded weeks: 40 couriers (a third on cargo bikes), each available 4-6 days a week in a
morning, afternoon or whole-day pattern, contracts of 10-30 hours; hourly demand from 07:00 to
22:00 with a lunch peak (12-14) and an evening peak (18-20), weekends lighter, a cargo bike
wanted at the peaks. ``routing.rota.propose_rota`` with and without its fairness term, same
weeks, same time limit:

- seconds to the first rota (the target: <= 10 s on two cores): the first solution of the
  coverage stage at the coverage finally returned (a CP-SAT solution callback); then to the
  balancing stage's first rota, and the whole solve (both stages, usually the time limit);
  the quality columns are the rota at the limit;
- coverage: the share of demanded courier-hours rostered, and the cargo-bike hours;
- spread of hours against contract: max/min of rostered/contracted among people rostered at
  all, and how many were rostered below their contract;
- absences: a tenth of the rostered shifts called off, each given to the first person
  ``propose_covers`` offers (who covered least first): how many found a cover, how many
  different people covered, the most covers one person took.

    python benchmarks/bench_rota.py [--weeks 3] [--people 40] [--time-limit 10]

Prints a table and writes benchmarks/results/rota.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from routing.rota import Demand, Person, Rota, Rules, Week, propose_covers, propose_rota

RESULTS = Path(__file__).parent / "results" / "rota.json"
WEEK = Week(first_h=7, last_h=22, days=7)


def generated_week(seed: int, people: int) -> tuple[list[Person], Demand]:
    rng = random.Random(seed)
    crew = []
    for i in range(people):
        days = sorted(rng.sample(range(7), rng.randint(4, 6)))
        first, last = rng.choice(((7, 15), (11, 19), (14, 22), (7, 22)))
        contract = rng.choice((10, 15, 20, 25, 30))
        slots = frozenset((d, h) for d in days for h in range(first, last))
        crew.append(Person(f"c{i}", f"C{i}", cargo=i % 3 == 0, available=slots, min_h=contract, max_h=contract + 8))
    couriers, cargo = {}, {}
    for d in range(7):
        scale = 0.6 if d >= 5 else 1.0
        for h in WEEK.hours:
            peak = h in (12, 13) or h in (18, 19)
            couriers[(d, h)] = round(scale * (8 if peak else 4))
            if peak:
                cargo[(d, h)] = 2
    return crew, Demand(couriers=couriers, cargo=cargo)


def measure(rota: Rota, people: list[Person], demand: Demand) -> dict[str, Any]:
    wanted = sum(demand.couriers.values())
    wanted_cargo = sum(demand.cargo.values())
    rostered = [p for p in people if rota.hours[p.id] > 0]
    shares = [rota.hours[p.id] / p.min_h for p in rostered]
    return {
        "first_rota_s": None if rota.first_s is None else round(rota.first_s, 2),
        "first_balanced_s": None if rota.first_balanced_s is None else round(rota.first_balanced_s, 2),
        "seconds": round(rota.seconds, 2),
        "status": rota.status,
        "balanced": rota.balanced,
        "coverage": round(1 - sum(rota.gaps.values()) / wanted, 4),
        "cargo_coverage": round(1 - sum(rota.cargo_gaps.values()) / wanted_cargo, 4) if wanted_cargo else 1.0,
        "max_over_min_share": round(max(shares) / min(shares), 2) if shares else None,
        "below_contract": sum(1 for p in people if rota.hours[p.id] < p.min_h),
        "shifts": len(rota.shifts),
    }


ABSENT_SHARE = 0.1  #: of the rostered shifts, called off (sick, other) in each week


def absences(rota: Rota, people: list[Person], seed: int) -> dict[str, Any]:
    """A tenth of the week's shifts called off, in time order; each covered by the first person
    ``propose_covers`` offers (those who covered least first, as a dispatcher reading the list
    top-down would pick): how many found a cover, by how many different people, and the most
    covers one person took."""
    rng = random.Random(1000 + seed)
    shifts = {p.id: [(s.day, s.start_h, s.end_h) for s in rota.shifts if s.person == p.id] for p in people}
    called_off = sorted(
        rng.sample(list(rota.shifts), max(1, round(ABSENT_SHARE * len(rota.shifts)))), key=lambda s: (s.day, s.start_h)
    )
    covered: dict[str, int] = {}
    found = 0
    for s in called_off:
        slot = (s.day, s.start_h, s.end_h)
        shifts[s.person].remove(slot)
        offers = propose_covers([p for p in people if p.id != s.person], slot, shifts, covered)
        if offers:
            found += 1
            who = offers[0].person
            covered[who] = covered.get(who, 0) + 1
            shifts[who].append(slot)
    return {
        "absences": len(called_off),
        "covered_absences": found,
        "people_covering": len(covered),
        "most_covers_by_one": max(covered.values(), default=0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weeks", type=int, default=3)
    parser.add_argument("--people", type=int, default=40)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    rows = []
    for seed in range(args.weeks):
        people, demand = generated_week(seed, args.people)
        for fairness in (True, False):
            load = os.getloadavg()[0]
            rota = propose_rota(people, demand, week=WEEK, rules=Rules(time_limit_s=args.time_limit), fairness=fairness)
            row = {"week": seed, "fairness": fairness, "load_before": round(load, 2), **measure(rota, people, demand)}
            rows.append(row | absences(rota, people, seed))
    table = Table(title=f"Rota for {args.people} couriers, {args.time_limit:g} s limit")
    for column in (
        "week",
        "fairness",
        "first rota s",
        "balanced from s",
        "whole s",
        "status",
        "balanced",
        "coverage",
        "cargo",
        "max/min share",
        "below contract",
        "absences covered",
        "people covering",
        "most by one",
    ):
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(
            str(r["week"]),
            "on" if r["fairness"] else "off",
            _seconds(r["first_rota_s"]),
            _seconds(r["first_balanced_s"]),
            f"{r['seconds']:.1f}",
            r["status"],
            "yes" if r["balanced"] else "no (time)",
            f"{100 * r['coverage']:.1f} %",
            f"{100 * r['cargo_coverage']:.1f} %",
            str(r["max_over_min_share"]),
            str(r["below_contract"]),
            f"{r['covered_absences']}/{r['absences']}",
            str(r["people_covering"]),
            str(r["most_covers_by_one"]),
        )
    Console(width=200).print(table)
    machine = {"cpus": os.cpu_count(), "load_after": round(os.getloadavg()[0], 2)}
    settings = vars(args) | {"out": str(args.out)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"settings": settings, "machine": machine, "rows": rows}, indent=2) + "\n")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    main()
