"""A fast constructor: PyVRP's iterated local search on an approximation of the planning model.

OR-Tools' guided local search improves a plan well under Tandem's full model (load-dependent
times, locks, fairness) but is weak at *finding* the few-vehicle, short plans of tight
pickup-and-delivery problems: on Li & Lim it stalls after half a second, one or more vehicles
above the best known (benchmarks/README.md). PyVRP 0.14 solves pickup-and-delivery natively and
reaches the best-known vehicle count on most of those instances within seconds. So the planner
can spend part of its budget here and hand the routes to OR-Tools as a warm start
(``solve(..., initial=...)``), which then checks them under the full model and improves them.

The translation is an *approximation* that errs on the safe side where it must:

- travel times are the solver's, at ``PLANNING_LOAD_SHARE`` of each courier's payload (one PyVRP
  profile per travel class), rounded like the solver rounds them; cost is travel time too;
- weight and volume are PyVRP load dimensions (grams, decilitres), with the solver's capacities
  (a person may have forced a locked job over the payload);
- "this vehicle cannot take this parcel" (too long) and "this job belongs to that courier"
  (a lock, a parcel on board) have no direct PyVRP form, so each becomes an extra load
  dimension in which only the allowed vehicles have room (see ``_Translation._dimensions``);
- a parcel on board is a PyVRP *client* with a delivery amount: it is on the vehicle from the
  start, exactly like the load the courier already carries;
- an open route end ("anywhere") is a depot at a dummy location that every place reaches in
  zero time;
- every job is *required* in PyVRP (optional jobs with a large prize cost PyVRP a vehicle on
  3 of 8 lr2/lrc2 instances at 1 s, measured); when PyVRP found no feasible plan (some jobs
  cannot all fit, or the budget ran out), its least penalised candidate is taken rather than
  its start (``_LeastPenalised``), and where a route breaks a limit, jobs are taken out of it
  until it holds, and the solver inserts those itself;
- soft windows are made hard, which only makes PyVRP's routes stricter than needed;
- fairness (``fairness_weight`` > 0) is PyVRP's overtime: past each courier's fair share of the
  new work (:func:`routing.fairness.work_targets`) every second costs the weight, the form of
  the solver's soft bound on worked time (heavy loads are left to OR-Tools). On bench_city's
  days at 5 s this gave less riding at a Gini within the target than OR-Tools' capped
  balanced start (200 jobs / 30 couriers: 958 against 1056 riding minutes, Gini 0.055
  against 0.173).

- breaks (issue 18) have no form in PyVRP 0.14 (VROOM has them, but only seeds PyVRP here): each
  courier's shift is shortened by the breaks it still holds (:func:`available_until`), so a
  route PyVRP builds leaves room for them in its length, the honest part of the approximation.
  Where the break falls is not known to PyVRP, so a stop after it may be later than PyVRP
  thinks: :func:`routing.insertion.repair` (which times the breaks) takes out what then breaks a
  window, and OR-Tools, whose break intervals are exact, places it again. Skipping the
  constructor whenever anyone has a break was the other choice; it would lose PyVRP's
  better first plans for the whole day (most shifts of a day would hold a break). Measured
  on 120 random jobs / 12 couriers each with a 30-minute break in a two-hour window: at 3 s
  this start left 0 and 3 jobs out, OR-Tools' own 3 and 1; at 8 s it left none.

What cannot be approximated safely, the constructor refuses (it returns ``None`` with the
reason), and the solver builds its own first solution as before: locks that must keep their
order (PyVRP has no precedence between different jobs) and problems that would need more load
dimensions than ``MAX_DIMENSIONS``.
"""

from __future__ import annotations

import math
import threading
import time
import warnings
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from routing.encoding import UNREACHABLE_LEG_S, decilitres, grams, room_grams, room_raised, window_bounds
from routing.evaluate import RouteStop, StopKind, pending_breaks
from routing.fairness import work_targets
from routing.problem import Courier, Problem
from routing.stats import PyvrpStats

try:
    # Imported with the module, not in the call: vroom's first import takes about 1.2 s (it
    # brings pandas), which would eat most of the first planning round's budget.
    import vroom
except ImportError:  # pragma: no cover - pyvroom is a main dependency; without it PyVRP starts alone
    vroom = None

#: Share of the constructor's budget VROOM may take for PyVRP's start. Its timeout does not
#: stop its construction heuristics, so VROOM only runs when its expected time fits:
VROOM_SHARE = 0.25
#: ... about this many seconds x jobs^2 x couriers, at level 0 on one core (measured: Li & Lim's
#: 50 jobs and 25 vehicles 0.02-0.1 s; bench_city's 50/10 0.09 s, 200/30 2.5 s, 500/60 22 s).
VROOM_S_PER_JOB2_COURIER = 2e-6
#: Without VROOM's start PyVRP starts from a random plan repaired by a full local search, which
#: cannot be interrupted and takes about ``RANDOM_START_S_PER_JOB2_5`` x jobs^2.5 (PyVRP 0.14,
#: one core, measured on an idle machine on 2026-12-06: bench_city's 200 jobs / 30 couriers
#: 0.05 s, 500 / 60 0.6 s, 1,000 / 80 3.4 s, 1,500 / 80 9.9 s; Li & Lim's 200 pairs
#: 0.006-0.008 s). The random start is the better one wherever it fits (issue 22): on 10 of Li &
#: Lim's 200-pair instances at 1 s it reached the best-known vehicle count on 4 against 0 from
#: the empty start (PyVRP alone: 2); on bench_city's 500 / 60 at 1 s it planned 496-499 of the
#: 500 jobs where PyVRP from an empty plan, on the 258 most urgent (below), left 198-221 out,
#: in the same wall time (1.11-1.15 s, two runs each).
RANDOM_START_S_PER_JOB2_5 = 1.1e-7
#: When the random start of every job would take more than this share of PyVRP's time, PyVRP
#: plans only the jobs whose pickup closes first, as many as that share holds from a random
#: start (about 500 at 1 s, 1,000 at 5 s); the solver inserts the others as far as its time
#: goes, and later rounds start from this plan. On bench_city's 500 / 60 at 1 s, the most urgent
#: 450 / 400 / 350 / 300 left 33-36 / 65-70 / 112-113 / 161-163 jobs unplanned against 1-4 with
#: every job, in the same 1.11-1.15 s. (Until 2026-12-06 the subset was sized on PyVRP's first
#: iteration from an *empty* plan, about 6e-6 s x jobs^2, which is slower than the random start.)
#: By the work allowed (a replay's iterations) no job is deferred; there PyVRP starts from an
#: empty plan when the random one would take longer than this share.
RANDOM_START_SHARE = 0.8


def random_start_s(jobs: int) -> float:
    """PyVRP's random start's expected repair time for ``jobs`` jobs."""
    return float(RANDOM_START_S_PER_JOB2_5 * jobs**2.5)


#: PyVRP's late acceptance compares each candidate with the plan of this many iterations ago.
#: Its default (300) suits runs of minutes; in 0.8 s PyVRP makes a few hundred to a few thousand
#: iterations on 100 stops and, looking that far back, accepts nearly everything. Measured on
#: the 16 Li & Lim instances where Tandem lost to VROOM at 1 s (benchmarks/README.md): history
#: 300 / 100 / 50 / 30 / 20 / 10 / 5 reached the best-known vehicle count on 11-13 / 13 / 13 /
#: 14 / 14 / 14 / 14 of 16, mean gap +2.2-2.5 / 1.6 / 1.8-2.0 / 0.9 / 0.9 / 1.1 / 1.3 %; at 8 s
#: on 10 hard instances the default was best (7 of 10 against 5 with 20, 6 with 100). So the
#: history grows with the time PyVRP has: ``LAHC_HISTORY_PER_S`` per second, within the bounds.
LAHC_HISTORY_PER_S = 37.5
LAHC_HISTORY_BOUNDS = (20, 300)
#: Above this many load dimensions (2 + length classes + couriers owning locked or on-board
#: jobs) PyVRP's search slows down more than the warm start is worth; the solver goes alone.
MAX_DIMENSIONS = 12


@dataclass(frozen=True)
class Construction:
    """PyVRP's routes (``None``: skipped or no feasible plan) and why, for ``Plan.solver``."""

    routes: dict[str, list[RouteStop]] | None
    reason: str  #: "ok" or why there are no routes
    seconds: float
    left_out: int = 0  #: jobs PyVRP could not fit in (OR-Tools may still place them)
    stats: PyvrpStats | None = None  #: None: PyVRP did not run
    after_owned_work: bool = False  #: PyVRP planned the free jobs after each courier's owned work


def construct(
    problem: Problem,
    *,
    time_budget_s: float,
    excluded: Collection[str] = (),
    vehicle_fixed_cost_s: int = 0,
    planning_load_share: float = 1.0,
    seed: int = 1,
    use_vroom: bool = True,
    balance: bool = True,
    iterations: int | None = None,
) -> Construction:
    """Solve an approximation of ``problem`` with PyVRP for ``time_budget_s``; never raises.

    ``iterations``: also stop after this many of PyVRP's iterations, and start without VROOM
    (whose plan depends on its timeout): with a budget that never binds, the same seed then
    gives the same plan on any machine under any load (repeatable replays).

    ``excluded`` jobs (known unservable) are left out; ``vehicle_fixed_cost_s`` is the cost of
    using a courier in seconds of travel (the solver's ``minimise_couriers``). With
    ``use_vroom``, PyVRP starts from VROOM's quick plan (:meth:`_Translation.vroom_start`).
    """
    started = time.perf_counter()
    reason = _unrepresentable(problem)
    if reason is not None:
        return Construction(None, reason, 0.0)
    try:
        import pyvrp  # noqa: F401
    except ImportError:  # pragma: no cover - pyvrp is a main dependency
        return Construction(None, "pyvrp is not installed", 0.0)
    try:
        return _construct(
            problem,
            time_budget_s,
            excluded,
            vehicle_fixed_cost_s,
            planning_load_share,
            seed,
            use_vroom and iterations is None,
            balance,
            iterations,
        )
    except Exception as exc:  # the planner must plan without the constructor rather than fail
        return Construction(
            None, f"the constructor failed ({type(exc).__name__}: {exc})", time.perf_counter() - started
        )


def _construct(
    problem: Problem,
    time_budget_s: float,
    excluded: Collection[str],
    vehicle_fixed_cost_s: int,
    planning_load_share: float,
    seed: int,
    use_vroom: bool,
    balance: bool,
    iterations: int | None = None,
) -> Construction:
    """:func:`construct` without its guards: translate, pick PyVRP's start, solve, read back."""
    started = time.perf_counter()
    excluded, deferred = _urgent_subset(problem, excluded, time_budget_s, iterations)
    translation = _Translation(problem, excluded, vehicle_fixed_cost_s, planning_load_share, balance)
    if translation.skip is not None:
        return Construction(None, translation.skip, time.perf_counter() - started)
    if not translation.jobs:
        return Construction({c.id: [] for c in problem.couriers}, "ok", time.perf_counter() - started)
    data = translation.data()
    vroom_s = time.perf_counter()
    initial, start = _pyvrp_start(translation, data, time_budget_s, use_vroom)
    vroom_s = time.perf_counter() - vroom_s
    remaining = max(0.01, time_budget_s - (time.perf_counter() - started))
    best, iterations_run, history = _run_pyvrp(data, initial, remaining, seed, iterations)
    seconds = time.perf_counter() - started
    stats = PyvrpStats(
        iterations=iterations_run,
        cost=int(best.distance_cost() + best.fixed_vehicle_cost()),
        vroom_start=start == "vroom",
        start=start,
        vroom_seconds=round(vroom_s, 3),
        history_length=history,
        deferred=deferred,
    )
    routes = translation.routes(best, data)
    if not any(routes.values()):
        return Construction(None, "PyVRP found no feasible route", seconds, stats=stats)
    placed = {stop.shipment for stops in routes.values() for stop in stops}
    left_out = len(translation.jobs) - len(placed)
    return Construction(routes, "ok", seconds, left_out=left_out, stats=stats)


def _pyvrp_start(translation: _Translation, data: Any, time_budget_s: float, use_vroom: bool) -> tuple[Any, str]:
    """Where PyVRP starts, and its name: VROOM's plan when it is expected in time, an empty plan
    when PyVRP's own random start would take too long to repair, else None (PyVRP's random start)."""
    from pyvrp import Solution

    initial = None
    vroom_budget = VROOM_SHARE * time_budget_s
    expected = VROOM_S_PER_JOB2_COURIER * len(translation.jobs) ** 2 * len(translation.problem.couriers)
    if use_vroom and vroom is not None and expected <= vroom_budget:
        initial = _guarded_vroom_start(translation, data, vroom_budget)
    if initial is not None:
        return initial, "vroom"
    if random_start_s(len(translation.jobs)) > RANDOM_START_SHARE * time_budget_s:
        return Solution(data, []), "empty"
    return None, "random"


def _run_pyvrp(data: Any, initial: Any, remaining_s: float, seed: int, iterations: int | None) -> tuple[Any, int, int]:
    """PyVRP's search for ``remaining_s`` (and at most ``iterations``): its plan (the least penalised
    candidate where it found nothing feasible), its iterations and its history length."""
    from pyvrp import IteratedLocalSearchParams, SolveParams
    from pyvrp import solve as pyvrp_solve
    from pyvrp.exceptions import PenaltyBoundWarning
    from pyvrp.stop import MaxIterations, MultipleCriteria, StoppingCriterion

    stop: StoppingCriterion = _Until(time.perf_counter() + remaining_s)
    if iterations is not None:
        stop = MultipleCriteria([MaxIterations(iterations), stop])
    with warnings.catch_warnings():
        # PyVRP warns when its penalties hit their bound, i.e. when not every job fits: an
        # expected outcome here (its routes are repaired, OR-Tools places the rest).
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        history = round(min(max(LAHC_HISTORY_PER_S * remaining_s, LAHC_HISTORY_BOUNDS[0]), LAHC_HISTORY_BOUNDS[1]))
        if iterations is not None:  # by the work allowed, not the clock
            history = LAHC_HISTORY_BOUNDS[0]
        least = _LeastPenalised()
        result = pyvrp_solve(
            data,
            stop=stop,
            seed=seed,
            collect_stats=False,
            display=False,
            initial_solution=initial,
            params=SolveParams(ils=IteratedLocalSearchParams(history_length=history, callbacks=cast(Any, least))),
        )
    best = result.best
    if not best.is_feasible() and least.solution is not None:
        best = least.solution
    return best, result.num_iterations, history


class _LeastPenalised:
    """The candidate with the least penalised cost PyVRP saw while it had no feasible plan.

    PyVRP's best is its start until a candidate is *feasible* (an infeasible best costs
    infinity), and its result is that best. On a day where some jobs do not all fit PyVRP's
    approximation, or need more iterations than the round holds (bench_city's 500 jobs / 60
    couriers: five long parcels on vehicles they do not fit, for 200-260 iterations, about
    3.5 s), the round got PyVRP's *random start* back, whatever its search found meanwhile: at
    5 s its penalised cost went from 375,208 to 167,433 while its result stayed the start. That
    candidate's routes are mended like any other (routes that break a limit give their free
    jobs back to be inserted again), which is what the start got too.
    """

    def __init__(self) -> None:
        self.solution: Any = None
        self.cost = math.inf

    # PyVRP's IteratedLocalSearchCallbacks, by its duck type (PyVRP is imported where it runs)
    def on_start(self, ils: Any) -> None:
        pass

    def on_end(self, result: Any) -> None:
        pass

    def on_restart(self, best: Any) -> None:
        pass

    def on_best(self, best: Any) -> None:
        pass

    def on_iteration(self, current: Any, candidate: Any, best: Any, cost_evaluator: Any) -> None:
        if best.is_feasible():
            return
        cost = cost_evaluator.penalised_cost(candidate)
        if cost < self.cost:
            self.solution, self.cost = candidate, cost


class _Until:
    """PyVRP's stop at a ``perf_counter`` instant fixed before it starts.

    ``MaxRuntime`` starts its clock at its first call, after PyVRP has built and repaired its
    random start, so that repair came on top of the share (issue 22: a 0.8 s share took 1.6 s
    at 300 jobs on a loaded machine). From an empty or a given start nothing runs before the
    first call, and this is ``MaxRuntime``.
    """

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def __call__(self, best_cost: float) -> bool:
        return time.perf_counter() > self.deadline


def _urgent_subset(
    problem: Problem, excluded: Collection[str], time_budget_s: float, iterations: int | None
) -> tuple[set[str], int]:
    """``excluded`` plus the jobs PyVRP leaves to insertion this round, and how many those are.

    Only on the clock (a replay's run is bounded by its iterations) and only when PyVRP's random
    start of every job would take more than ``RANDOM_START_SHARE`` of its share. Owned work
    (locked, on board) always stays; of the free jobs, those whose pickup closes first.
    """
    out = set(excluded)
    jobs = [s for s in problem.shipments if s.id not in out]
    room_s = RANDOM_START_SHARE * time_budget_s
    if iterations is not None or random_start_s(len(jobs)) <= room_s:
        return out, 0
    owned = {lock.shipment for lock in problem.locks} | {s for c in problem.couriers for s in c.on_board}
    room = max(1, int((room_s / RANDOM_START_S_PER_JOB2_5) ** 0.4) - len(owned))
    free = sorted((s for s in jobs if s.id not in owned), key=lambda s: (s.pickup_window[1], s.dropoff_window[1], s.id))
    later = {s.id for s in free[room:]}
    return out | later, len(later)


#: VROOM gets this long past its own timeout before the constructor goes on without its plan.
VROOM_GRACE_S = 2.0
#: VROOM's search threads: as many as its searches (4 at exploration level 0; VROOM caps it at
#: 32). VROOM runs one thread per search and lets ``nb_threads`` of them work at a time through a
#: ``std::counting_semaphore``; a waiting thread can miss its wake-up there (a libstdc++ semaphore
#: bug, seen 2026-12-06: a search thread asleep in ``semaphore.acquire`` for good, the calling
#: thread in ``std::thread::join``). pybind11 keeps the GIL through ``Input.solve``, so the whole
#: process froze, planner included, and no Python-side timeout could help. With a permit for every
#: search, no thread ever waits on the semaphore.
VROOM_THREADS = 32


def _guarded_vroom_start(translation: _Translation, data: Any, budget_s: float) -> Any:
    """VROOM's plan as PyVRP's start, or None if VROOM fails or does not answer in time.

    VROOM runs in a daemon thread so that a slow answer is left behind and PyVRP starts on its
    own. That cannot rescue a call that hangs while holding the GIL (pybind11 keeps it through
    ``Input.solve``): the one such hang seen, VROOM's own semaphore, is ruled out by
    :data:`VROOM_THREADS`.
    """
    result: list[Any] = []

    def run() -> None:
        try:
            result.append(translation.vroom_start(data, budget_s))
        except Exception:  # a failed seed only means that PyVRP starts on its own
            result.append(None)

    worker = threading.Thread(target=run, name="vroom-start", daemon=True)
    worker.start()
    worker.join(budget_s + VROOM_GRACE_S)
    return result[0] if result else None


def available_until(problem: Problem, courier: Courier) -> int:
    """The end of the courier's shift as PyVRP sees it: earlier by the breaks it still holds."""
    start = max(courier.shift_start, problem.now)
    owed = sum(b.duration_s for b in pending_breaks(courier, start))
    return max(start, max(courier.shift_end, problem.now) - owed)


def _unrepresentable(problem: Problem) -> str | None:
    """Why PyVRP cannot take this problem even approximately, or None."""
    ordered: dict[str, int] = {}
    on_board = {s for c in problem.couriers for s in c.on_board}
    for lock in problem.locks:
        if lock.keep_order and lock.shipment not in on_board:
            ordered[lock.courier] = ordered.get(lock.courier, 0) + 1
    if any(n > 1 for n in ordered.values()):
        return "locked jobs must keep their order, which PyVRP cannot express"
    return None


@dataclass(frozen=True)
class _Job:
    """One thing to do in PyVRP: a pickup-delivery pair, or the drop-off of a parcel on board."""

    shipment: str
    on_board: bool


class _Translation:
    """Problem -> ProblemData, and PyVRP routes -> courier routes."""

    def __init__(
        self, problem: Problem, excluded: Collection[str], fixed_cost: int, load_share: float, balance: bool
    ) -> None:
        self.problem, self.fixed_cost, self.load_share = problem, fixed_cost, load_share
        self.balance = balance and problem.fairness_weight > 0
        self.skip: str | None = None
        on_board = {s: c.id for c in problem.couriers for s in c.on_board}
        locked = {lock.shipment: lock.courier for lock in problem.locks}
        self.owner = {**locked, **on_board}
        self.jobs = [_Job(s.id, s.id in on_board) for s in problem.shipments if s.id not in excluded]
        self.dims = self._dimensions()
        if len(self.dims) > MAX_DIMENSIONS:
            self.skip = f"{len(self.dims)} load dimensions needed (locks, vehicle classes), above {MAX_DIMENSIONS}"

    # -- load dimensions ---------------------------------------------------------------------

    def _dimensions(self) -> list[tuple[list[int], list[int]]]:
        """Per dimension: each job's amount and each courier's capacity.

        Weight and volume come first. Then, for each vehicle length limit ``m`` that some parcel
        exceeds, a dimension in which parcels longer than ``m`` weigh 1 and vehicles whose limit
        is at most ``m`` have no room: a vehicle can take a parcel exactly when the parcel fits
        its length. Then, per courier owning locked or on-board jobs, a dimension in which those
        jobs weigh 1 and only that courier has room; and per courier whose room was raised for
        them, one that keeps other jobs too heavy or too bulky for that vehicle off it.
        """
        p, couriers = self.problem, self.problem.couriers
        shipments = [p.shipment(j.shipment) for j in self.jobs]
        room = len(self.jobs) + 1
        # Owned jobs raise the room as in the OR-Tools model (on-board ones among them change
        # nothing: their sum already counts).
        rooms = [
            room_grams(p, c, [j.shipment for j in self.jobs if self.owner.get(j.shipment) == c.id]) for c in couriers
        ]
        dims = [
            ([grams(s.weight_kg) for s in shipments], [r[0] for r in rooms]),
            ([decilitres(s.volume_l) for s in shipments], [r[1] for r in rooms]),
        ]
        longest = max((s.length_cm for s in shipments), default=0.0)
        for limit in sorted({c.max_length_cm for c in couriers if c.max_length_cm < longest}):
            # A person's decision may put a parcel on a vehicle it does not fit (the solver allows
            # only the owner then, whatever the length): owned jobs are left to the owner dimension.
            amounts = [
                int(s.length_cm > limit and j.shipment not in self.owner)
                for s, j in zip(shipments, self.jobs, strict=True)
            ]
            dims.append((amounts, [0 if c.max_length_cm <= limit else room for c in couriers]))
        for c in couriers:
            own = [int(self.owner.get(j.shipment) == c.id) for j in self.jobs]
            if any(own):
                dims.append((own, [room if other.id == c.id else 0 for other in couriers]))
        # Where a person's decision or what is on board raised a vehicle's room above its own
        # limits, the raise is for those jobs only: no other job the vehicle could not carry on
        # its own may use it (the solver allows a job only on capable vehicles).
        for v, c in enumerate(couriers):
            if not room_raised(c, rooms[v]):
                continue
            too_big = [
                int(j.shipment not in self.owner and (s.weight_kg > c.payload_kg or s.volume_l > c.volume_l))
                for s, j in zip(shipments, self.jobs, strict=True)
            ]
            if any(too_big):
                dims.append((too_big, [0 if other.id == c.id else room for other in couriers]))
        return dims

    # -- ProblemData -------------------------------------------------------------------------

    def data(self) -> Any:
        """PyVRP's ``ProblemData``: places, one matrix per travel class, depots, vehicle types, jobs."""
        from pyvrp import Location, ProblemData

        p, couriers = self.problem, self.problem.couriers
        places = sorted(
            {c.start for c in couriers}
            | {c.end for c in couriers if c.end is not None}
            | {x for j in self.jobs for x in (p.shipment(j.shipment).pickup, p.shipment(j.shipment).dropoff)}
        )
        self.loc = {place: i for i, place in enumerate(places)}
        self.anywhere = len(places)  # the dummy location of open route ends
        self._matrices(places)
        depots, depot_of = self._depots()
        types = self._vehicle_types(depot_of, open_end=len(depots) - 1)
        clients, shipments = self._clients_and_shipments()
        matrices_any: list[Any] = list(self.matrices)  # PyVRP's stubs type matrices as np.ndarray[int]
        return ProblemData(
            locations=[Location(x=0.0, y=0.0) for _ in range(self.anywhere + 1)],
            clients=clients,
            depots=depots,
            vehicle_types=types,
            distance_matrices=matrices_any,
            duration_matrices=matrices_any,
            shipments=shipments,
        )

    def _matrices(self, places: list[int]) -> None:
        """One matrix per travel class (profile, planning load), as the solver's transit classes."""
        p, n = self.problem, self.anywhere + 1
        profiles: dict[tuple[str, float], int] = {}
        self.matrices: list[NDArray[np.int64]] = []
        self.courier_profile: list[int] = []
        for c in p.couriers:
            key = (c.profile, round(self.load_share * c.payload_kg, 1))
            if key not in profiles:
                at = np.array(places, dtype=np.int64)
                seconds = p.travel[c.profile].between(at, at, self.load_share * c.payload_kg)
                matrix = np.zeros((n, n), dtype=np.int64)
                # An unreachable place (inf) becomes a leg no plan can use within a day.
                legs = np.nan_to_num(seconds, nan=UNREACHABLE_LEG_S, posinf=UNREACHABLE_LEG_S)
                matrix[: self.anywhere, : self.anywhere] = np.rint(np.minimum(legs, UNREACHABLE_LEG_S))
                profiles[key] = len(self.matrices)
                self.matrices.append(matrix)
            self.courier_profile.append(profiles[key])

    def _depots(self) -> tuple[list[Any], dict[int, int]]:
        """A depot per start or end place, and last the dummy depot of open route ends."""
        from pyvrp import Depot

        couriers = self.problem.couriers
        depot_places = sorted({c.start for c in couriers} | {c.end for c in couriers if c.end is not None})
        depot = {place: i for i, place in enumerate(depot_places)}
        depots = [Depot(location=self.loc[place]) for place in depot_places]
        depots.append(Depot(location=self.anywhere))
        return depots, depot

    def _vehicle_types(self, depot: dict[int, int], open_end: int) -> list[Any]:
        """Couriers alike in every respect PyVRP sees share a vehicle type (fewer symmetric choices).

        Fairness: a soft bound on each courier's route duration at their fair share of the new
        work (PyVRP's overtime), like the solver's soft bound on worked time. It counts waiting
        too, which the solver's does not: an approximation the solver corrects afterwards.
        """
        from pyvrp import VehicleType

        p = self.problem
        targets = work_targets(p, [j.shipment for j in self.jobs]) if self.balance else []
        self.types: list[list[Courier]] = []
        self.type_of: list[int] = []  #: each courier's vehicle type
        types: list[Any] = []
        signatures: dict[tuple[Any, ...], int] = {}
        for v, c in enumerate(p.couriers):
            start = max(c.shift_start, p.now)
            capacity = [dim[1][v] for dim in self.dims]
            target = round(targets[v]) if targets else None
            until = available_until(p, c)
            signature = (self.courier_profile[v], c.start, c.end, start, until, tuple(capacity), target)
            self.type_of.append(signatures.get(signature, len(self.types)))
            if signature in signatures:
                t = signatures[signature]
                self.types[t].append(c)
                types[t] = types[t].replace(num_available=len(self.types[t]))
                continue
            signatures[signature] = len(self.types)
            self.types.append([c])
            vehicle_type = VehicleType(
                num_available=1,
                capacity=capacity,
                start_depot=depot[c.start],
                end_depot=open_end if c.end is None else depot[c.end],
                fixed_cost=self.fixed_cost,
                tw_early=start,
                tw_late=until,
                unit_distance_cost=1,
                profile=self.courier_profile[v],
            )
            types.append(self._overtime(vehicle_type, target, until - start))
        return types

    def _clients_and_shipments(self) -> tuple[list[Any], list[Any]]:
        """A parcel on board is a client with a delivery amount; every other job a shipment."""
        from pyvrp import Client
        from pyvrp import Shipment as PyvrpShipment

        p, loc = self.problem, self.loc
        clients, shipments = [], []
        self.client_jobs: list[str] = []
        self.shipment_jobs: list[str] = []
        for i, job in enumerate(self.jobs):
            s = p.shipment(job.shipment)
            amount = [dim[0][i] for dim in self.dims]
            lo_d, hi_d = window_bounds(s.dropoff_window)
            if job.on_board:
                clients.append(
                    Client(
                        location=loc[s.dropoff],
                        delivery=amount,
                        service_duration=s.dropoff_service_s,
                        tw_early=lo_d,
                        tw_late=hi_d,
                    )
                )
                self.client_jobs.append(job.shipment)
                continue
            lo_p, hi_p = window_bounds(s.pickup_window)
            shipments.append(
                PyvrpShipment(
                    pickup_location=loc[s.pickup],
                    delivery_location=loc[s.dropoff],
                    pickup_tw_early=lo_p,
                    pickup_tw_late=hi_p,
                    pickup_service_duration=s.pickup_service_s,
                    delivery_tw_early=lo_d,
                    delivery_tw_late=hi_d,
                    delivery_service_duration=s.dropoff_service_s,
                    amount=amount,
                )
            )
            self.shipment_jobs.append(job.shipment)
        return clients, shipments

    def _overtime(self, vehicle_type: Any, target: int | None, shift_s: int) -> Any:
        """``vehicle_type`` with every second past ``target`` costing the fairness weight."""
        if target is None:
            return vehicle_type
        weight = max(1, round(self.problem.fairness_weight))  # PyVRP costs are integers
        return vehicle_type.replace(shift_duration=target, max_overtime=max(0, shift_s), unit_overtime_cost=weight)

    # -- a quick first plan from VROOM -----------------------------------------------------------

    def vroom_start(self, data: Any, timeout_s: float) -> Any:
        """VROOM's plan at exploration level 0 as a PyVRP ``Solution`` (None if VROOM fails).

        PyVRP starts from a random solution repaired by local search; on tight windows that
        start is poor and short budgets are spent climbing out of it. VROOM's construction
        heuristics take a few hundredths of a second on 100 stops, and PyVRP started from that
        plan, with 0.8 s, reached the best-known vehicle count on 42 and 39 of the 56 Li & Lim
        instances (two seeds) against 39 and 29 from its own start (measured while building
        this; benchmarks/README.md). The same load dimensions (amounts and capacities) carry the
        vehicle limits and the owners, so VROOM's plan respects what PyVRP's would.
        """
        problem = vroom.Input()
        for k, matrix in enumerate(self.matrices):
            problem.set_durations_matrix(f"p{k}", matrix)
            problem.set_costs_matrix(f"p{k}", matrix)
        problem.add_vehicle(self._vroom_vehicles())
        jobs, shipments = self._vroom_jobs()
        if jobs:
            problem.add_job(jobs)
        if shipments:
            problem.add_job(shipments)
        timeout = timedelta(seconds=timeout_s)
        frame = problem.solve(exploration_level=0, nb_threads=VROOM_THREADS, timeout=timeout).routes
        return self._from_vroom(data, frame)

    def _vroom_vehicles(self) -> list[Any]:
        p = self.problem
        return [
            vroom.Vehicle(
                v,
                start=self.loc[c.start],
                end=None if c.end is None else self.loc[c.end],
                profile=f"p{self.courier_profile[v]}",
                capacity=[dim[1][v] for dim in self.dims],
                time_window=vroom.TimeWindow(max(c.shift_start, p.now), available_until(p, c)),
                costs=vroom.VehicleCosts(fixed=self.fixed_cost),
            )
            for v, c in enumerate(p.couriers)
        ]

    def _vroom_jobs(self) -> tuple[list[Any], list[Any]]:
        """Parcels on board as VROOM jobs with a delivery; the others as shipments, numbered so
        that step ``2k`` and ``2k + 1`` are PyVRP's shipment ``k``."""
        jobs: list[Any] = []
        shipments: list[Any] = []
        for i, job in enumerate(self.jobs):
            s = self.problem.shipment(job.shipment)
            amount = [dim[0][i] for dim in self.dims]
            drop = vroom.TimeWindow(*window_bounds(s.dropoff_window))
            if job.on_board:
                jobs.append(
                    vroom.Job(
                        len(jobs),
                        location=self.loc[s.dropoff],
                        default_service=s.dropoff_service_s,
                        delivery=vroom.Amount(amount),
                        time_windows=[drop],
                    )
                )
                continue
            pick = vroom.TimeWindow(*window_bounds(s.pickup_window))
            k = len(shipments)
            shipments.append(
                vroom.Shipment(
                    vroom.ShipmentStep(
                        2 * k, location=self.loc[s.pickup], default_service=s.pickup_service_s, time_windows=[pick]
                    ),
                    vroom.ShipmentStep(
                        2 * k + 1,
                        location=self.loc[s.dropoff],
                        default_service=s.dropoff_service_s,
                        time_windows=[drop],
                    ),
                    amount=vroom.Amount(amount),
                )
            )
        return jobs, shipments

    def _from_vroom(self, data: Any, frame: Any) -> Any:
        """VROOM's routes (a data frame of steps) as a PyVRP ``Solution``."""
        from pyvrp import Activity, ActivityType, Route, Solution

        activities: dict[int, list[Any]] = {}
        for vehicle, kind, ident in zip(frame["vehicle_id"], frame["type"], frame["id"], strict=True):
            if kind == "pickup":
                activities.setdefault(int(vehicle), []).append(Activity(ActivityType.PICKUP, int(ident) // 2))
            elif kind == "delivery":
                activities.setdefault(int(vehicle), []).append(Activity(ActivityType.DELIVERY, int(ident) // 2))
            elif kind == "job":
                activities.setdefault(int(vehicle), []).append(Activity(ActivityType.CLIENT, int(ident)))
        routes = [Route(data, acts, self.type_of[v]) for v, acts in activities.items() if acts]
        return Solution(data, routes)

    # -- back to couriers --------------------------------------------------------------------

    def routes(self, solution: Any, data: Any) -> dict[str, list[RouteStop]]:
        """Each courier's stops; a route that breaks a limit is first repaired by :meth:`_repair`."""
        out: dict[str, list[RouteStop]] = {c.id: [] for c in self.problem.couriers}
        free = [list(group) for group in self.types]
        for route in solution.routes():
            courier = free[route.vehicle_type()].pop(0)
            activities = [a for a in route if not a.is_depot()]
            if not route.is_feasible():
                activities = self._repair(data, activities, route.vehicle_type())
            stops = []
            for activity in activities:
                if activity.is_pickup():
                    stops.append(RouteStop(self.shipment_jobs[activity.idx], StopKind.PICKUP))
                elif activity.is_delivery():
                    stops.append(RouteStop(self.shipment_jobs[activity.idx], StopKind.DROPOFF))
                elif activity.is_client():
                    stops.append(RouteStop(self.client_jobs[activity.idx], StopKind.DROPOFF))
            out[courier.id] = stops
        # A parcel on board is on the vehicle whatever PyVRP planned: if its drop-off is missing
        # (PyVRP left it out of an infeasible plan), the route's loads are wrong in the full model,
        # so that courier only delivers what is on board, earliest closing window first, as far
        # as the windows allow (what cannot be delivered in time stays on board, as in the solver).
        from pyvrp import Activity, ActivityType, Route

        for v, c in enumerate(self.problem.couriers):
            served = {stop.shipment for stop in out[c.id]}
            aboard = [sid for sid in c.on_board if sid in self.client_jobs]
            if all(sid in served for sid in aboard):
                continue
            aboard.sort(key=lambda sid: self.problem.shipment(sid).dropoff_window[1])
            kept: list[Any] = []
            for sid in aboard:
                trial = [*kept, Activity(ActivityType.CLIENT, self.client_jobs.index(sid))]
                if Route(data, trial, self.type_of[v]).is_feasible():
                    kept = trial
            out[c.id] = [RouteStop(self.client_jobs[a.idx], StopKind.DROPOFF) for a in kept]
        return out

    @staticmethod
    def _repair(data: Any, activities: list[Any], vehicle_type: int) -> list[Any]:
        """Take jobs out of an infeasible route, greediest first, until what is left holds.

        PyVRP's best plan can still break a limit when its budget runs out (on bench_city's 500
        jobs and 60 couriers, routes holding 78 jobs at 1 and 5 s). Dropping such a route whole
        leaves all its jobs to OR-Tools, which on large days has too little time to insert them;
        taking out only the jobs whose removal most reduces the time warp and excess load keeps
        the rest of PyVRP's work. Each trial is PyVRP's own evaluation of the shorter route.
        """
        from pyvrp import Activity, Route

        acts = [Activity(a.type, a.idx) for a in activities]

        def job(a: Any) -> tuple[bool, int]:
            return (a.is_client(), a.idx)

        def badness(trial: list[Any]) -> tuple[int, int]:
            """Feasible first, then the smaller violation (seconds late plus units over capacity)."""
            if not trial:
                return (0, 0)
            r = Route(data, trial, vehicle_type)
            return (0 if r.is_feasible() else 1, r.time_warp() + sum(r.excess_load()))

        while acts and not Route(data, acts, vehicle_type).is_feasible():
            # Parcels on board (clients) go last: they stay on the vehicle whether delivered or not.
            everything = list(dict.fromkeys(job(a) for a in acts))
            jobs = [j for j in everything if not j[0]] or everything
            acts = min(([a for a in acts if job(a) != j] for j in jobs), key=badness)
        return acts
