"""Li & Lim pickup-and-delivery benchmark: Tandem's planner side by side with VROOM and PyVRP.

Each instance of one or more Li & Lim folders (default ``../shared/data/lilim/pdp_100`` and
``pdp_200`` from the repo root, read in place) is solved by

- ``tandem``: routing.solver.solve with ``minimise_couriers=True`` (a fixed cost per vehicle), one
  courier per available vehicle, stopped after each time budget;
- ``vroom``: pyvroom, exploration level 5, a large fixed cost per vehicle; VROOM has no time
  budget, so it runs once and its run time is recorded;
- ``pyvrp``: PyVRP's native pickup-and-delivery shipments, a large fixed cost per vehicle,
  stopped by ``MaxRuntime`` after each time budget, with a fixed seed.

All three get the same integer matrix: Euclidean distance x ``TIME_SCALE`` (100) rounded up, as
travel time and as cost (rounding up keeps every route a solver finds feasible feasible in exact
arithmetic; rounding to nearest does not, see ``--rounding``). Every solution is then checked
here, in floating point on the unscaled instance: each pair served once, pickup before delivery
on the same vehicle, capacity, time windows (waiting allowed), back at the depot before it
closes. Its distance is recomputed from the exact Euclidean distances. The objective of the
benchmark is hierarchical, like the best-known table: fewest vehicles first, then distance. The
gap on distance is given only where the vehicle count equals the best known one.

    python benchmarks/bench_lilim.py [FOLDER ...] [--budgets 1,10] [--instances lc101,lr201]
                                     [--solvers tandem,vroom,pyvrp]

Prints a table per budget and a summary per folder, and writes benchmarks/results/lilim.json
with one entry per folder under ``sets`` (rewritten after every instance, so an interrupted run
keeps what it measured). Only the folders of the run are replaced in it: two runs on different
folders, e.g. one per core, add to the same file (it is locked while it is rewritten).
"""

from __future__ import annotations

import argparse
import csv
import fcntl
import json
import os
import platform
import time
import traceback
from dataclasses import asdict, dataclass, field, fields
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.table import Table

from routing.problem import Courier, Problem, Shipment, TravelTimes
from routing.solver import SolverSettings, solve

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FOLDERS = (
    REPO.parent / "shared" / "data" / "lilim" / "pdp_100",
    REPO.parent / "shared" / "data" / "lilim" / "pdp_200",
)
RESULTS = REPO / "benchmarks" / "results" / "lilim.json"
TIME_SCALE = 100  #: OR-Tools, VROOM and PyVRP work in integers: 1/100 of a distance unit
SEED = 20261128
#: A used vehicle costs more than any instance's whole scaled distance (about 2e5): vehicles first.
VEHICLE_FIXED_COST = 10**7
EPS = 1e-6  #: tolerance of the float feasibility check (time and load units)
SOLVERS = ("tandem", "vroom", "pyvrp")


@dataclass(frozen=True)
class Instance:
    name: str
    vehicles: int
    capacity: int
    xy: NDArray[np.float64]
    demand: NDArray[np.int64]
    ready: NDArray[np.float64]
    due: NDArray[np.float64]
    service: NDArray[np.float64]
    pairs: tuple[tuple[int, int], ...]  #: (pickup node, delivery node)

    @property
    def n(self) -> int:
        return len(self.xy)

    def distances(self) -> NDArray[np.float64]:
        diff = self.xy[:, None, :] - self.xy[None, :, :]
        return np.asarray(np.sqrt((diff**2).sum(axis=2)), dtype=np.float64)


def read_instance(path: Path) -> Instance:
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    vehicles, capacity = int(lines[0][0]), int(lines[0][1])
    rows = np.array([[float(x) for x in line[:9]] for line in lines[1:]])
    if not np.array_equal(rows[:, 0], np.arange(len(rows))):
        raise ValueError(f"{path}: node ids are not 0..n-1 in order")
    pairs = []
    for node, row in enumerate(rows):
        if node and row[8] > 0:  # a pickup names its delivery
            delivery = int(row[8])
            if int(rows[delivery, 7]) != node or rows[delivery, 3] != -row[3]:
                raise ValueError(f"{path}: pickup {node} and delivery {delivery} do not match")
            pairs.append((node, delivery))
    if 2 * len(pairs) != len(rows) - 1:
        raise ValueError(f"{path}: some nodes are neither a pickup nor a delivery")
    return Instance(
        name=path.stem,
        vehicles=vehicles,
        capacity=capacity,
        xy=rows[:, 1:3],
        demand=rows[:, 3].astype(np.int64),
        ready=rows[:, 4],
        due=rows[:, 5],
        service=rows[:, 6],
        pairs=tuple(pairs),
    )


def read_best_known(folder: Path) -> dict[str, tuple[int, float]]:
    path = folder.parent / "best_known.csv"
    if not path.exists():
        return {}
    with path.open() as handle:
        return {row["instance"]: (int(row["routes"]), float(row["distance"])) for row in csv.DictReader(handle)}


def scaled_matrix(distances: NDArray[np.float64], rounding: str) -> NDArray[np.int64]:
    scaled = distances * TIME_SCALE
    # 1e-9 absorbs float noise so that an exact 1.00 does not become 2 when rounded up.
    out = np.ceil(scaled - 1e-9) if rounding == "ceil" else np.rint(scaled)
    return out.astype(np.int64)


# -- checking a solution -------------------------------------------------------------------------


@dataclass
class Run:
    instance: str
    solver: str
    budget_s: float | None  #: None: the solver has no time budget (VROOM)
    seconds: float = 0.0
    routes: list[list[int]] = field(default_factory=list)  #: node ids, depot excluded, used vehicles only
    vehicles: int = 0
    distance: float = 0.0
    unassigned: int = 0  #: pickup-delivery pairs not served
    violations: list[str] = field(default_factory=list)
    feasible: bool = False  #: every constraint holds in float arithmetic (unassigned pairs aside)
    best_vehicles: int | None = None
    best_distance: float | None = None
    gap_pct: float | None = None  #: on distance, only when the vehicle count equals the best known
    error: str | None = None
    note: str = ""

    @property
    def comparable(self) -> bool:
        return self.error is None and self.feasible and self.unassigned == 0

    @property
    def at_best_vehicles(self) -> bool:
        return self.comparable and self.best_vehicles is not None and self.vehicles <= self.best_vehicles


def check(inst: Instance, dist: NDArray[np.float64], routes: list[list[int]]) -> tuple[list[str], int, float]:
    """Violations (empty: feasible), unserved pairs and exact total distance of ``routes``."""
    violations: list[str] = []
    partner = dict(inst.pairs) | {d: p for p, d in inst.pairs}
    pickups = {p for p, _ in inst.pairs}
    seen: dict[int, tuple[int, int]] = {}  # node -> (route, position)
    total = 0.0
    for r, route in enumerate(routes):
        t, load, place = float(inst.ready[0]), 0, 0
        for pos, node in enumerate(route):
            if node not in partner:
                violations.append(f"route {r}: unknown node {node}")
                continue
            if node in seen:
                violations.append(f"node {node} visited twice")
            seen[node] = (r, pos)
            total += dist[place, node]
            t = max(t + dist[place, node], float(inst.ready[node]))
            if t > inst.due[node] + EPS:
                violations.append(f"route {r}: node {node} served at {t:.4f}, its window closes at {inst.due[node]:g}")
            t += inst.service[node]
            load += int(inst.demand[node])
            if load > inst.capacity:
                violations.append(f"route {r}: load {load} above capacity {inst.capacity} after node {node}")
            if node not in pickups:
                where = seen.get(partner[node])
                if where is None or where[0] != r:
                    violations.append(f"route {r}: delivery {node} without its pickup {partner[node]} before it")
            place = node
        total += dist[place, 0]
        t += dist[place, 0]
        if t > inst.due[0] + EPS:
            violations.append(f"route {r}: back at the depot at {t:.4f}, after it closes at {inst.due[0]:g}")
        if load != 0:
            violations.append(f"route {r}: ends with load {load}")
    unserved = sum(1 for p, d in inst.pairs if p not in seen and d not in seen)
    half = sum(1 for p, d in inst.pairs if (p in seen) != (d in seen))
    if half:
        violations.append(f"{half} pairs with only one of pickup and delivery served")
    if sum(1 for route in routes if route) > inst.vehicles:
        violations.append(f"more than the {inst.vehicles} vehicles available")
    return violations, unserved + half, total


# -- the solvers ---------------------------------------------------------------------------------


def run_tandem(inst: Instance, matrix: NDArray[np.int64], budget: float, seed: int) -> tuple[list[list[int]], str]:
    del seed  # OR-Tools' routing search has no seed: it is deterministic up to the time limit
    s = TIME_SCALE
    travel = TravelTimes(
        ride_s=matrix.astype(np.float64),
        walk_s=np.zeros(matrix.shape),
        metres=inst.distances(),
        cruise_kmh=1.0,
        slowdown_per_25kg=0.0,
        min_riding_kmh=1.0,
    )
    couriers = tuple(
        Courier(
            id=f"v{v}",
            profile="truck",
            payload_kg=float(inst.capacity),
            volume_l=1e9,
            max_length_cm=1e9,
            start=0,
            end=0,
            shift_start=round(s * inst.ready[0]),
            shift_end=round(s * inst.due[0]),
        )
        for v in range(inst.vehicles)
    )
    shipments = tuple(
        Shipment(
            id=str(p),
            pickup=p,
            dropoff=d,
            pickup_window=(round(s * inst.ready[p]), round(s * inst.due[p])),
            dropoff_window=(round(s * inst.ready[d]), round(s * inst.due[d])),
            weight_kg=float(inst.demand[p]),
            pickup_service_s=round(s * inst.service[p]),
            dropoff_service_s=round(s * inst.service[d]),
        )
        for p, d in inst.pairs
    )
    # A depot's closing time is not a person's shift ending: no last quarter of an hour kept free.
    problem = Problem(couriers=couriers, shipments=shipments, travel={"truck": travel}, shift_end_margin_s=0)
    plan = solve(problem, SolverSettings(time_budget_s=budget, minimise_couriers=True, explain=False))
    routes = []
    for c in couriers:
        routes.append([t.place for t in plan.routes[c.id].stops])
    note = f"{len(plan.unassigned)} unassigned" if plan.unassigned else ""
    return routes, note


def run_vroom(inst: Instance, matrix: NDArray[np.int64], threads: int) -> tuple[list[list[int]], str]:
    import vroom

    s = TIME_SCALE
    problem = vroom.Input()
    problem.set_durations_matrix("truck", matrix)
    problem.set_costs_matrix("truck", matrix)
    depot_window = vroom.TimeWindow(round(s * inst.ready[0]), round(s * inst.due[0]))
    problem.add_vehicle(
        [
            vroom.Vehicle(
                v,
                start=0,
                end=0,
                profile="truck",
                capacity=[inst.capacity],
                time_window=depot_window,
                costs=vroom.VehicleCosts(fixed=VEHICLE_FIXED_COST),
            )
            for v in range(inst.vehicles)
        ]
    )

    def step(node: int) -> Any:
        window = vroom.TimeWindow(round(s * inst.ready[node]), round(s * inst.due[node]))
        return vroom.ShipmentStep(
            node, location=node, default_service=round(s * inst.service[node]), time_windows=[window]
        )

    problem.add_job([vroom.Shipment(step(p), step(d), amount=[int(inst.demand[p])]) for p, d in inst.pairs])
    solution = problem.solve(exploration_level=5, nb_threads=threads)
    frame = solution.routes
    routes: dict[int, list[int]] = {}
    for vehicle, kind, node in zip(frame["vehicle_id"], frame["type"], frame["location_index"], strict=True):
        if kind in ("pickup", "delivery"):
            routes.setdefault(int(vehicle), []).append(int(node))
    return list(routes.values()), ""


def run_pyvrp(inst: Instance, matrix: NDArray[np.int64], budget: float, seed: int) -> tuple[list[list[int]], str]:
    from pyvrp import Depot, Location, ProblemData, VehicleType
    from pyvrp import Shipment as PyvrpShipment
    from pyvrp import solve as pyvrp_solve
    from pyvrp.stop import MaxRuntime

    s = TIME_SCALE
    matrices: list[Any] = [matrix]  # PyVRP's stubs type matrices as np.ndarray[int]
    data = ProblemData(
        locations=[Location(x=float(x), y=float(y)) for x, y in inst.xy],
        clients=[],
        depots=[Depot(location=0, tw_early=round(s * inst.ready[0]), tw_late=round(s * inst.due[0]))],
        vehicle_types=[
            VehicleType(
                num_available=inst.vehicles,
                capacity=[inst.capacity],
                fixed_cost=VEHICLE_FIXED_COST,
                tw_early=round(s * inst.ready[0]),
                tw_late=round(s * inst.due[0]),
                unit_distance_cost=1,
            )
        ],
        distance_matrices=matrices,
        duration_matrices=matrices,
        shipments=[
            PyvrpShipment(
                pickup_location=p,
                delivery_location=d,
                pickup_tw_early=round(s * inst.ready[p]),
                pickup_tw_late=round(s * inst.due[p]),
                pickup_service_duration=round(s * inst.service[p]),
                delivery_tw_early=round(s * inst.ready[d]),
                delivery_tw_late=round(s * inst.due[d]),
                delivery_service_duration=round(s * inst.service[d]),
                amount=[int(inst.demand[p])],
            )
            for p, d in inst.pairs
        ],
    )
    result = pyvrp_solve(data, stop=MaxRuntime(budget), seed=seed, collect_stats=False, display=False)
    routes = []
    for route in result.best.routes():
        nodes = []
        for activity in route:
            if activity.is_pickup():
                nodes.append(inst.pairs[activity.idx][0])
            elif activity.is_delivery():
                nodes.append(inst.pairs[activity.idx][1])
        routes.append(nodes)
    return routes, "" if result.best.is_feasible() else "PyVRP's best solution is infeasible (time warp or load)"


def run_one(
    solver: str, inst: Instance, budget: float | None, args: argparse.Namespace, best: tuple[int, float] | None
) -> Run:
    run = Run(instance=inst.name, solver=solver, budget_s=budget)
    if best is not None:
        run.best_vehicles, run.best_distance = best
    matrix = scaled_matrix(inst.distances(), args.rounding)
    started = time.perf_counter()
    try:
        if solver == "tandem":
            assert budget is not None
            routes, run.note = run_tandem(inst, matrix, budget, args.seed)
        elif solver == "vroom":
            routes, run.note = run_vroom(inst, matrix, args.vroom_threads)
        else:
            assert budget is not None
            routes, run.note = run_pyvrp(inst, matrix, budget, args.seed)
    except Exception as exc:
        run.seconds = time.perf_counter() - started
        run.error = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
        return run
    run.seconds = time.perf_counter() - started
    run.routes = [route for route in routes if route]
    run.violations, run.unassigned, run.distance = check(inst, inst.distances(), run.routes)
    run.feasible = not run.violations
    run.vehicles = len(run.routes)
    if run.comparable and best is not None and run.vehicles == best[0]:
        run.gap_pct = 100.0 * (run.distance - best[1]) / best[1]
    return run


# -- reporting -----------------------------------------------------------------------------------


def status(run: Run) -> str:
    if run.error:
        return "[red]error[/]"
    if run.violations:
        return f"[red]no ({len(run.violations)})[/]"
    if run.unassigned:
        return f"[yellow]{run.unassigned} unserved[/]"
    return "yes"


def gap_text(run: Run) -> str:
    if not run.comparable:
        return "n/c"
    if run.best_vehicles is None or run.best_distance is None:
        return "-"
    if run.vehicles != run.best_vehicles:
        return f"[yellow]{run.vehicles - run.best_vehicles:+d} veh[/]"
    assert run.gap_pct is not None
    return pct(run.gap_pct)


def pct(value: float) -> str:
    """A signed percentage, with the best known's 4-decimal rounding shown as 0.00 %, not -0.00 %."""
    return "0.00%" if abs(value) < 0.005 else f"{value:+.2f}%"


def better(a: Run, b: Run) -> int:
    """1 if ``a`` beats ``b`` (complete and feasible, then vehicles, then distance), -1, or 0."""
    if a.comparable != b.comparable:
        return 1 if a.comparable else -1
    if not a.comparable:
        return 0
    key_a, key_b = (a.vehicles, round(a.distance, 4)), (b.vehicles, round(b.distance, 4))
    return 0 if key_a == key_b else 1 if key_a < key_b else -1


def summarise(runs: list[Run], n_instances: int) -> list[dict[str, Any]]:
    groups: dict[tuple[str, float | None], list[Run]] = {}
    for run in runs:
        groups.setdefault((run.solver, run.budget_s), []).append(run)
    vroom = {r.instance: r for r in runs if r.solver == "vroom"}
    out = []
    for (solver, budget), group in groups.items():
        gaps = [r.gap_pct for r in group if r.gap_pct is not None]
        row: dict[str, Any] = {
            "solver": solver,
            "budget_s": budget,
            "instances": len(group),
            "of": n_instances,
            "complete_and_feasible": sum(1 for r in group if r.comparable),
            "infeasible": sum(1 for r in group if r.violations or r.error),
            "with_unserved": sum(1 for r in group if r.unassigned and not r.violations),
            "at_best_vehicles": sum(1 for r in group if r.at_best_vehicles),
            "extra_vehicles": sum(max(0, r.vehicles - (r.best_vehicles or 0)) for r in group if r.comparable),
            "mean_gap_pct": float(np.mean(gaps)) if gaps else None,
            "max_gap_pct": float(np.max(gaps)) if gaps else None,
            "mean_seconds": float(np.mean([r.seconds for r in group])),
            "total_seconds": float(np.sum([r.seconds for r in group])),
        }
        if solver != "vroom" and vroom:
            duels = [better(r, vroom[r.instance]) for r in group if r.instance in vroom]
            row["vs_vroom"] = {
                "better": duels.count(1),
                "same": duels.count(0),
                "worse": duels.count(-1),
            }
            both = [
                (r.gap_pct, vroom[r.instance].gap_pct)
                for r in group
                if r.gap_pct is not None and r.instance in vroom and vroom[r.instance].gap_pct is not None
            ]
            row["vs_vroom"]["both_at_best_vehicles"] = len(both)
            row["vs_vroom"]["mean_gap_pct_there"] = float(np.mean([a for a, _ in both])) if both else None
            row["vs_vroom"]["vroom_mean_gap_pct_there"] = float(np.mean([b for _, b in both])) if both else None
        alone = {r.instance: r for r in runs if r.solver == "pyvrp" and r.budget_s == budget}
        if solver == "tandem" and alone:
            duels = [better(r, alone[r.instance]) for r in group if r.instance in alone]
            both = [
                (r.gap_pct, alone[r.instance].gap_pct)
                for r in group
                if r.gap_pct is not None and r.instance in alone and alone[r.instance].gap_pct is not None
            ]
            row["vs_pyvrp"] = {
                "better": duels.count(1),
                "same": duels.count(0),
                "worse": duels.count(-1),
                "both_at_best_vehicles": len(both),
                "mean_gap_pct_there": float(np.mean([a for a, _ in both])) if both else None,
                "pyvrp_mean_gap_pct_there": float(np.mean([b for _, b in both])) if both else None,
            }
        out.append(row)
    return out


def print_tables(console: Console, runs: list[Run], budgets: list[float], solvers: list[str]) -> None:
    instances = list(dict.fromkeys(r.instance for r in runs))
    by_key = {(r.instance, r.solver, r.budget_s): r for r in runs}
    for budget in budgets:
        table = Table(title=f"Li & Lim, budget {budget:g} s (VROOM: one run, no budget)", show_lines=False)
        table.add_column("instance")
        table.add_column("best\nveh", justify="right")
        table.add_column("best\ndist", justify="right")
        for solver in solvers:
            for head in ("veh", "dist", "gap", "s", "ok"):
                table.add_column(f"{solver}\n{head}", justify="right")
        for name in instances:
            first = next(r for r in runs if r.instance == name)
            cells = [
                name,
                "-" if first.best_vehicles is None else str(first.best_vehicles),
                "-" if first.best_distance is None else f"{first.best_distance:.2f}",
            ]
            for solver in solvers:
                run = by_key.get((name, solver, None if solver == "vroom" else budget))
                if run is None:
                    cells += [""] * 5
                    continue
                cells += [
                    str(run.vehicles),
                    f"{run.distance:.2f}",
                    gap_text(run),
                    f"{run.seconds:.1f}",
                    status(run),
                ]
            table.add_row(*cells)
        console.print(table)


def print_summary(console: Console, summary: list[dict[str, Any]]) -> None:
    table = Table(title="Summary")
    for head in (
        "solver",
        "budget s",
        "complete & feasible",
        "at best-known vehicles",
        "extra vehicles",
        "mean gap where matched",
        "max gap",
        "mean s",
        "vs VROOM better/same/worse",
        "gap where both matched (VROOM)",
    ):
        table.add_column(head, justify="right")
    for row in summary:
        duel = row.get("vs_vroom")
        table.add_row(
            row["solver"],
            "-" if row["budget_s"] is None else f"{row['budget_s']:g}",
            f"{row['complete_and_feasible']}/{row['instances']}",
            f"{row['at_best_vehicles']}/{row['instances']}",
            str(row["extra_vehicles"]),
            "-" if row["mean_gap_pct"] is None else pct(row["mean_gap_pct"]),
            "-" if row["max_gap_pct"] is None else pct(row["max_gap_pct"]),
            f"{row['mean_seconds']:.2f}",
            "-" if not duel else f"{duel['better']}/{duel['same']}/{duel['worse']}",
            both_text(duel),
        )
    console.print(table)


def both_text(duel: dict[str, Any] | None) -> str:
    if not duel or duel["mean_gap_pct_there"] is None:
        return "-"
    ours, theirs, n = duel["mean_gap_pct_there"], duel["vroom_mean_gap_pct_there"], duel["both_at_best_vehicles"]
    return f"{pct(ours)} ({pct(theirs)}) on {n}"


def markdown(results: dict[str, Any]) -> str:
    """The summary table of each set in a results file, as the READMEs show them (summed again
    from the runs it holds, so a file written by an earlier version reads the same way)."""
    names = {"tandem": "Tandem", "vroom": "VROOM", "pyvrp": "PyVRP alone"}
    known = {f.name for f in fields(Run)}
    lines = []
    for name, entry in results["sets"].items():
        runs = entry["runs"]
        kept = [Run(**{k: v for k, v in r.items() if k in known}) for r in runs]
        summary = summarise(kept, len({r.instance for r in kept}))
        best_total = sum({r["instance"]: r["best_vehicles"] or 0 for r in runs}.values())
        lines += [
            f"**{name}** ({len({r['instance'] for r in runs})} instances; best-known vehicles in all: {best_total})",
            "",
            "| solver | budget | complete and feasible | at best-known vehicles | vehicles above best known "
            "| mean gap where vehicles match | worst gap there | mean time | against VROOM better / same / worse "
            "| against PyVRP alone (same budget) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in summary:
            budget = "none (level 5)" if row["budget_s"] is None else f"{row['budget_s']:g} s"
            duel = row.get("vs_vroom")
            against = "-" if not duel else f"{duel['better']} / {duel['same']} / {duel['worse']}"
            alone = row.get("vs_pyvrp")
            against_alone = "-" if not alone else f"{alone['better']} / {alone['same']} / {alone['worse']}"
            if alone and alone["mean_gap_pct_there"] is not None:
                ours, theirs = pct(alone["mean_gap_pct_there"]), pct(alone["pyvrp_mean_gap_pct_there"])
                against_alone += f"; gap where both match: {ours} ({theirs}) on {alone['both_at_best_vehicles']}"
            mean_gap = "-" if row["mean_gap_pct"] is None else pct(row["mean_gap_pct"])
            max_gap = "-" if row["max_gap_pct"] is None else pct(row["max_gap_pct"])
            n = row["instances"]
            lines.append(
                f"| {names.get(row['solver'], row['solver'])} | {budget} | {row['complete_and_feasible']}/{n} "
                f"| {row['at_best_vehicles']}/{n} | {row['extra_vehicles']} | {mean_gap} | {max_gap} "
                f"| {row['mean_seconds']:.2f} s | {against} | {against_alone} |"
            )
        lines.append("")
    return "\n".join(lines)


def version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def write_results(path: Path, args: argparse.Namespace, folder: Path, runs: list[Run], n: int) -> None:
    """Replace this folder's entry in ``path``, keeping the other folders' (under a file lock)."""
    entry = {
        "folder": str(folder),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "summary": summarise(runs, n),
        "runs": [asdict(r) | {"comparable": r.comparable} for r in runs],
    }
    head = {
        "benchmark": "Li & Lim PDPTW",
        "settings": {
            "budgets_s": args.budgets,
            "solvers": args.solvers,
            "seed": args.seed,
            "time_scale": TIME_SCALE,
            "rounding": args.rounding,
            "vehicle_fixed_cost": {"tandem": SolverSettings().vehicle_fixed_cost, "others": VEHICLE_FIXED_COST},
            "vroom": {"exploration_level": 5, "nb_threads": args.vroom_threads},
            "feasibility_tolerance": EPS,
        },
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "ortools": version("ortools"),
            "pyvroom": version("pyvroom"),
            "pyvrp": version("pyvrp"),
            "numpy": np.__version__,
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_suffix(".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        sets: dict[str, Any] = {}
        if path.exists():
            try:
                sets = dict(json.loads(path.read_text()).get("sets", {}))
            except (json.JSONDecodeError, AttributeError):
                sets = {}
        sets[folder.name] = entry
        path.write_text(dump(head | {"sets": dict(sorted(sets.items()))}))


def dump(results: dict[str, Any]) -> str:
    """Indented JSON with one line per run (the routes make runs long)."""
    head = {k: v for k, v in results.items() if k != "sets"}
    parts = []
    for name, entry in results["sets"].items():
        top = json.dumps({k: v for k, v in entry.items() if k != "runs"}, indent=1)[:-2].replace("\n", "\n  ")
        runs = ",\n    ".join(json.dumps(run) for run in entry["runs"])
        parts.append(f'  {json.dumps(name)}: {top},\n   "runs": [\n    {runs}\n   ]\n  }}')
    sets = ",\n".join(parts)
    return f'{json.dumps(head, indent=1)[:-2]},\n "sets": {{\n{sets}\n }}\n}}\n'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", type=Path, default=list(DEFAULT_FOLDERS))
    parser.add_argument("--budgets", default="1,10", help="comma-separated time budgets in seconds")
    parser.add_argument("--instances", default="", help="comma-separated names (default: every file)")
    parser.add_argument("--solvers", default=",".join(SOLVERS))
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--rounding", choices=("ceil", "nearest"), default="ceil")
    parser.add_argument("--vroom-threads", type=int, default=1, help="1: one core each, like the others")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--markdown", action="store_true", help="print the README's tables from --out and stop")
    args = parser.parse_args()
    if args.markdown:
        print(markdown(json.loads(args.out.read_text())))
        return
    args.budgets = [float(b) for b in args.budgets.split(",") if b]
    args.solvers = [s for s in args.solvers.split(",") if s]
    if unknown := set(args.solvers) - set(SOLVERS):
        parser.error(f"unknown solvers: {', '.join(sorted(unknown))}")

    console = Console(width=240)
    for folder in args.folders:
        run_folder(parser, args, folder.resolve(), console)


def run_folder(parser: argparse.ArgumentParser, args: argparse.Namespace, folder: Path, console: Console) -> None:
    files = sorted(folder.glob("*.txt"))
    if args.instances:
        wanted = args.instances.split(",")
        files = [f for f in files if f.stem in wanted]
        if len(args.folders) == 1 and (missing := set(wanted) - {f.stem for f in files}):
            parser.error(f"not in {folder}: {', '.join(sorted(missing))}")
    if not files:
        if args.instances and len(args.folders) > 1:
            return  # the named instances are in another folder of the run
        parser.error(f"no instance files in {folder}")
    best_known = read_best_known(folder)
    runs: list[Run] = []
    for path in files:
        inst = read_instance(path)
        for solver in args.solvers:
            for budget in [None] if solver == "vroom" else args.budgets:
                run = run_one(solver, inst, budget, args, best_known.get(inst.name))
                runs.append(run)
                console.print(
                    f"{inst.name:8} {solver:6} {'-' if budget is None else f'{budget:g}':>3} s: "
                    f"{run.vehicles} veh {run.distance:9.2f} gap {gap_text(run):>10} "
                    f"{run.seconds:6.2f} s feasible {status(run)} {run.note}",
                    highlight=False,
                )
        write_results(args.out, args, folder, runs, len(files))
    console.print(f"[bold]{folder.name}[/]")
    print_tables(console, runs, args.budgets, args.solvers)
    print_summary(console, summarise(runs, len(files)))
    console.print(f"written to {args.out} (sets.{folder.name})")


if __name__ == "__main__":
    main()
