"""Planning rounds at scale: a round's time against its budget, phase by phase (issue 21).

A cooperative on the default city (Helsinki) with M couriers on shift (bikes, cargo and e-cargo
bikes in turn, 5 h of shift left) and N open jobs (2-15 kg, a 2 h window opening in the next
hour, pickups and drop-offs at random street nodes), fairness weight 0.5, in a scratch SQLite
store. Per size and budget, two rounds of ``dispatch.planning.planning_round`` as the API's
planner process runs them (``api/planner.py``: one ``TravelCache`` kept between rounds, the
previous round's plan as ``previous``):

- **cold**: the first round of the day, a fresh cache (every travel matrix searched);
- **warm**: two minutes later, after a dispatcher accepted a tenth of the proposals (at most
  62) and 5 new requests came in, from the cold round's plan and with the same cache;
- **backlog 1..K**: while jobs are left "not planned yet", the rounds the planner process runs
  back to back (``dispatch.planning.backlog_left``), each from the previous plan; the ``clock``
  column is the rounds' time since the cold round started.

Each size runs twice in the same process: with the round's working set (at most
``NEW_JOBS_PER_BUDGET_S`` new jobs per second of budget, ``FRESH_JOBS_PER_BUDGET_S`` in a
round with no plan to start from: the product's behaviour) and with
``--modes whole``, every open job in every round (the behaviour before it), to compare.

Each round reports its phases: the snapshot (reading the store and the travel matrices; the
matrices alone), the constructor (PyVRP's seconds and iterations, or why it was skipped), the
completion of the start by insertion, building the OR-Tools model(s), OR-Tools' search,
the explanations, what the round does after ``solve`` (appending proposals), the total, the
overhead over the budget, and the jobs planned and left out. The phases are timed by wrapping
the functions the round calls, so the same script measures any version of the planner.

    python -m benchmarks.bench_scale [--sizes 200x80,500x60,1500x80] [--budgets 1,5] [--seed 1]
        [--modes working_set,whole] [--backlog-rounds 6]

Prints a table and writes benchmarks/results/scale.json.
"""

from __future__ import annotations

import argparse
import functools
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks import results_io
from dispatch import commands as do
from dispatch import planning
from dispatch.model import JobRequest, Parcel, Place, TimeWindow, Vehicle
from dispatch.store import Store
from routing import ortools_model, solver
from routing.network import BikeNetwork, load_network
from routing.travel_cache import TravelCache

RESULTS = Path(__file__).parent / "results" / "scale.json"
NOON = datetime.fromisoformat("2026-11-28T11:00:00+02:00")
KINDS = ("bike", "cargo_bike", "e_cargo_bike")
FAIRNESS = 0.5
NEW_REQUESTS = 5


class _Phases:
    """Seconds spent in the wrapped functions during one round."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t
                self.calls[name] = self.calls.get(name, 0) + 1

        return timed


@contextmanager
def _timed(phases: _Phases) -> Iterator[None]:
    """Wrap the round's phases for the duration of one round."""
    targets: list[tuple[Any, str, str]] = [
        (planning, "build_problem", "snapshot"),
        (planning, "solve", "solve"),
        (TravelCache, "travel_times", "matrices"),
        (solver, "insert_missing", "insertion"),
        (ortools_model.OrToolsModel, "__init__", "model_build"),
        (ortools_model.OrToolsModel, "solve", "search"),
    ]
    saved = [(owner, attr, getattr(owner, attr)) for owner, attr, _ in targets]
    for owner, attr, name in targets:
        setattr(owner, attr, phases.wrap(name, getattr(owner, attr)))
    try:
        yield
    finally:
        for owner, attr, original in saved:
            setattr(owner, attr, original)


def _request(rng: random.Random, network: BikeNetwork, at: datetime) -> JobRequest:
    def point() -> Place:
        i = rng.randrange(network.n_nodes)
        return Place(float(network.lon[i]), float(network.lat[i]))

    opens = at + timedelta(minutes=rng.randint(0, 60))
    window = TimeWindow(opens, opens + timedelta(hours=2))
    parcel = Parcel(weight_kg=rng.uniform(2, 15), volume_l=10, longest_side_cm=40)
    return JobRequest(pickup=point(), dropoff=point(), pickup_window=window, dropoff_window=window, parcels=(parcel,))


def _round(
    store: Store,
    coop: str,
    network: BikeNetwork,
    now: datetime,
    budget_s: float,
    previous: Any,
    cache: TravelCache,
) -> tuple[Any, dict[str, Any]]:
    """One round as the planner process runs it, and its phases."""
    phases = _Phases()
    with _timed(phases):
        started = time.perf_counter()
        result = planning.planning_round(
            store, coop, network, now, budget_s=budget_s, previous=previous, travel_cache=cache
        )
        total = time.perf_counter() - started
    s = phases.seconds
    stats = result.plan.solver.to_json()
    built = stats.get("constructor") or {}
    planned = sum(1 for j in result.plan.assignment() if j in result.context.jobs)
    row = {
        "snapshot_s": s.get("snapshot", 0.0),
        "matrix_s": s.get("matrices", 0.0),
        "constructor_s": built.get("seconds"),
        "constructor": built.get("result", built.get("name")),
        "pyvrp_iterations": built.get("iterations"),
        "insertion_s": s.get("insertion", 0.0),
        "models": phases.calls.get("model_build", 0),
        "model_build_s": s.get("model_build", 0.0),
        "search_s": s.get("search", 0.0),
        "explain_s": stats.get("explain_seconds"),
        "solve_s": s.get("solve", 0.0),
        "after_solve_s": total - s.get("snapshot", 0.0) - s.get("solve", 0.0),
        "total_s": total,
        "overhead_s": total - budget_s,
        "status": stats.get("status"),
        "ortools": stats.get("ortools"),
        "open_jobs": len(result.plan.assignment()) + len(result.unassigned),
        "planned": planned,
        "unplanned": len(result.unassigned),
        "deferred": sum(1 for why in result.unassigned.values() if why == solver.DEFERRED),
        "proposals": len(result.proposals),
    }
    return result, row


def run(
    n_jobs: int, n_couriers: int, budget_s: float, seed: int, network: BikeNetwork, *, mode: str, backlog_rounds: int
) -> list[dict[str, Any]]:
    saved = planning.NEW_JOBS_PER_BUDGET_S, planning.FRESH_JOBS_PER_BUDGET_S
    if mode == "whole":  # every open job in every round, as before issue 21's fix
        planning.NEW_JOBS_PER_BUDGET_S = planning.FRESH_JOBS_PER_BUDGET_S = 10**9
    try:
        return _run(n_jobs, n_couriers, budget_s, seed, network, backlog_rounds)
    finally:
        planning.NEW_JOBS_PER_BUDGET_S, planning.FRESH_JOBS_PER_BUDGET_S = saved


def _run(
    n_jobs: int, n_couriers: int, budget_s: float, seed: int, network: BikeNetwork, backlog_rounds: int
) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    store = Store.open(f"sqlite:///{tempfile.mkdtemp()}/scale.db")
    coop = store.create_cooperative("bench", fairness_weight=FAIRNESS).id
    client = store.add_client(coop, "Shop")[0].id
    for i in range(n_couriers):
        cid = store.add_courier(coop, f"C{i}", Vehicle.of_kind(KINDS[i % 3])).id
        do.start_shift(store, coop, cid, at=NOON - timedelta(minutes=10), planned_end=NOON + timedelta(hours=5))
    for _ in range(n_jobs):
        do.request_job(store, coop, client, _request(rng, network, NOON), at=NOON)
    cache = TravelCache()  # as the planner process keeps it (api/planner.py)
    first, cold = _round(store, coop, network, NOON, budget_s, None, cache)
    now = NOON + timedelta(minutes=2)
    ids = [e.payload["job_id"] for e in first.proposals]
    rng.shuffle(ids)
    accepted = ids[: min(62, len(ids) // 10)]
    for job in accepted:
        do.accept(store, coop, job, dispatcher_id="bench", at=now)
    for _ in range(NEW_REQUESTS):
        do.request_job(store, coop, client, _request(rng, network, now), at=now)
    now += timedelta(minutes=1)
    result, warm = _round(store, coop, network, now, budget_s, first.plan, cache)
    base = {"jobs": n_jobs, "couriers": n_couriers, "budget_s": budget_s, "seed": seed}
    cold["clock_s"], warm["clock_s"] = cold["total_s"], cold["total_s"] + warm["total_s"]
    rows = [{**base, "round": "cold", **cold}, {**base, "round": "warm", "accepted": len(accepted), **warm}]
    clock = warm["clock_s"]
    for k in range(1, backlog_rounds + 1):
        if not planning.backlog_left(result):
            break
        now += timedelta(seconds=max(1, round(rows[-1]["total_s"])))
        result, row = _round(store, coop, network, now, budget_s, result.plan, cache)
        clock += row["total_s"]
        rows.append({**base, "round": f"backlog {k}", **row, "clock_s": clock})
    return rows


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="200x80,500x60,1500x80", help="JOBSxCOURIERS,...")
    parser.add_argument("--budgets", default="1,5", help="seconds, comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--modes", default="working_set,whole", help="working_set (the product) and/or whole")
    parser.add_argument("--backlog-rounds", type=int, default=6, help="back-to-back rounds after the warm one")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    network = load_network(None)
    rows: list[dict[str, Any]] = []
    console = Console()
    for size in args.sizes.split(","):
        n_jobs, n_couriers = (int(x) for x in size.split("x"))
        for budget in (float(b) for b in args.budgets.split(",")):
            for mode in args.modes.split(","):
                console.print(f"{n_jobs} jobs / {n_couriers} couriers, {budget:g} s, {mode} ...")
                found = run(
                    n_jobs, n_couriers, budget, args.seed, network, mode=mode, backlog_rounds=args.backlog_rounds
                )
                rows += [{"mode": mode, **row} for row in found]
            results_io.write(args.out, {"settings": vars(args) | {"out": str(args.out)}, "rounds": rows})
    columns = [
        ("jobs", "jobs"),
        ("couriers", "couriers"),
        ("budget_s", "budget"),
        ("mode", "mode"),
        ("round", "round"),
        ("matrix_s", "matrices"),
        ("snapshot_s", "snapshot"),
        ("constructor_s", "constructor"),
        ("pyvrp_iterations", "PyVRP it."),
        ("insertion_s", "insertion"),
        ("model_build_s", "model build"),
        ("search_s", "search"),
        ("explain_s", "explain"),
        ("after_solve_s", "after solve"),
        ("total_s", "total"),
        ("overhead_s", "over budget"),
        ("clock_s", "clock"),
        ("planned", "planned"),
        ("deferred", "not yet tried"),
        ("unplanned", "unplanned"),
    ]
    table = Table(title="Planning rounds at scale (seconds)")
    for _, title in columns:
        table.add_column(title, justify="right")
    for row in rows:
        table.add_row(*(_fmt(row.get(key)) for key, _ in columns))
    console.print(table)


if __name__ == "__main__":
    main()
