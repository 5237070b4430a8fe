"""A planning round, in stages: build -> construct -> share -> improve -> evaluate -> explain.

:func:`solve` runs them in that order, each a function taking and returning frozen dataclasses:

- **build** (:func:`build_round`): what can be planned at all, and the round's clock;
- **construct** (:func:`construct_start`): the first plan (PyVRP's, :mod:`routing.construct`, or
  OR-Tools' capped balanced start), mended and completed by insertion (:mod:`routing.insertion`);
- **share** (:func:`share_start`): under a riding budget, the work shared within the cap
  (:mod:`routing.sharing`);
- **improve** (:func:`improve`): OR-Tools' search under the full model
  (:mod:`routing.ortools_model`), from that start;
- **evaluate** (:func:`evaluate_plan`): every route timed exactly (:mod:`routing.evaluate`), a
  reason for every job left out;
- **explain** (:func:`explain_plan`): why each job went where it went (:mod:`routing.explain`).

What each stage did is in ``Plan.solver`` (:class:`routing.stats.SolverStats`).

The solver *proposes*. Jobs a person has decided (locks) and parcels already on board stay with
their courier; everything else may move. The model works with one speed per courier: the speed
with ``PLANNING_LOAD_SHARE`` of the payload on board. At the full payload (the default) every
leg is timed no faster than it can really be ridden, so a route the model finds feasible is
feasible under the exact speed model too (windows, shift end). The routes are then timed
exactly, load by load, by :mod:`routing.evaluate`; those are the ETAs people see, and the gap
to the model's times is reported in ``Plan.solver.eta_error_s``.

Objective (its terms are defined once, in :mod:`routing.objective`, for every stage), in
centiseconds (``SCALE``) of riding: travel time, plus for a job left out a penalty far above
any detour, plus the fairness terms when ``fairness_weight`` > 0: every second of work above a
courier's fair share of the day (:func:`routing.fairness.fair_share_targets`, in proportion to
shift length and counting what they already worked) costs ``fairness_weight`` seconds, and so
does every ``HEAVY_KG_SECONDS``-th of a heavy kilogram above an even share among the couriers
who can carry heavy loads. A soft upper bound per courier charges only work above a fair
share, so, like the min-max forms Matl, Hartl & Vidal (2018) recommend over variance terms, it
never rewards adding work to anyone (variance, range and Gini would reward a detour for the
least loaded). A pure min-max (a global span cost on each courier's share of shift) was tried
and shares worse: it only sees the most-loaded courier (benchmarks/README.md).

The riding budget (``Problem.fairness_riding_budget``): fairness costs riding, and the weight
alone does not say how much (+21 to +30 % on bench_city's days at weight 1). With a budget, the
constructor plans for riding alone; :mod:`routing.sharing` then hands jobs from the busiest
couriers to others while the plan's total riding stays under a cap (the efficient plan's riding
plus the budget), and OR-Tools polishes that plan with the fairness terms under the same cap.
The cap holds in the model's (conservative) riding times; the efficient plan fits under it, so
the cap is always feasible and never costs a job. A small budget does not buy much fairness
(benchmarks/README.md: on bench_city's days no method tried reached a Gini of 0.10 within
+5 % riding), but the bound is kept, and the cooperative chooses the trade-off. A re-plan
(a warm start) builds the efficient plan too and keeps the previous plan as its start, with the
new jobs inserted (few proposals change then); if that start rides more than the cap, the cap
is raised to it for the round (``Plan.solver.riding_budget.over_cap_s``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from routing.construct import Construction, construct
from routing.evaluate import RouteEvaluation, RouteStop, StopKind, evaluate_route
from routing.explain import explain, sharing_reasons
from routing.fairness import gini, max_min_ratio
from routing.insertion import insert_missing, repair
from routing.model_limits import PLANNING_LOAD_SHARE, owned_stops, owners, plan_riding_s, route_finish
from routing.ortools_model import SCALE, OrToolsModel, model_seconds
from routing.plan import Explanation, Plan
from routing.problem import Problem, unservable_reason
from routing.reasons import Reason, reason
from routing.settings import SolverSettings
from routing.sharing import share_work
from routing.stats import ConstructorStats, EtaError, RidingBudget, SearchStats, SolverStats

__all__ = ["DEFERRED", "NO_PLAN", "SolverSettings", "plan_metrics", "solve"]

#: Why there is no plan at all, by OR-Tools' routing status (codes: ``routing/reasons.py``).
NO_PLAN = {
    3: reason("no_plan_locks"),
    4: reason("no_plan_time"),
    5: reason("no_plan_settings"),  # an invalid model or search parameter
    6: reason("no_plan_locks"),
}
#: A model may take this long past the round's budget to build (its search then gets its
#: minimum); one expected to take longer is not built: OR-Tools then works on the jobs of the
#: start only, or, if even that model is too large, the checked start is the plan.
MODEL_OVERRUN_S = 0.3
#: Why a job is not in a plan that ran out of time before trying it (at scale). The same words
#: every round, so that a log recording reasons once per change records it once.
DEFERRED = reason("deferred")
#: The completion by insertion gets at least ``MIN_COMPLETION_S`` whatever came before it in the
#: round, and up to ``MIN_COMPLETION_SHARE`` of the budget as long as that ends within the budget
#: (:func:`_completion_deadline`).
MIN_COMPLETION_S = 0.1
MIN_COMPLETION_SHARE = 0.25
#: Where PyVRP's approximation is the model itself (:func:`_approximation_is_the_model`, e.g.
#: Li & Lim), the constructor gets this share of the budget, OR-Tools keeping at least
#: ``TAKE_OVER_S`` to build the model, check the start and polish it. Measured (issue 22) on 10
#: of Li & Lim's 200-pair instances at 1 s: OR-Tools' 0.2 s after PyVRP's 0.8 s changed no
#: vehicle count and shortened 2 plans by 0.05-1.3 %; on 13 of the 100-task set it lengthened 5
#: by up to 0.7 % (the shift end's margin is in its objective, not in the benchmark's) and
#: shortened 1. Its search pays where the approximation differs from the model (fairness,
#: loads, breaks, decisions), so everywhere else the split stays ``constructor_share``.
EXACT_CONSTRUCTOR_SHARE = 0.95
TAKE_OVER_S = 0.1
#: Explanations compare other couriers for each job until this long past the budget (or past
#: the plan, if that came later); the jobs left are explained without the comparison.
EXPLAIN_OVERRUN_S = 0.3
#: Why a job is out of a plan that was found (or proposed from its start).
FITS_NOWHERE = reason("fits_nowhere")  # windows, loads or shift

Routes = dict[str, list[RouteStop]]


# -- the stages' inputs and outputs ----------------------------------------------------------------


@dataclass(frozen=True)
class Round:
    """build: what the round plans, how, and since when (``started``, a ``perf_counter`` instant)."""

    problem: Problem
    settings: SolverSettings
    started: float
    unservable: dict[str, Reason]  #: jobs no courier can take, with the reason
    previous: Routes | None  #: the previous plan (a re-plan's warm start)
    #: With a riding budget the constructor plans for riding alone, even for a re-plan: that plan
    #: is the reference the budget is measured against, and sharing then works under the cap.
    budgeted: bool

    @property
    def clock(self) -> bool:
        """The live planner's wall clock bounds the round (replays bound work: they skip nothing)."""
        return self.settings.iterations is None

    @property
    def candidates(self) -> set[str]:
        return {s.id for s in self.problem.shipments if s.id not in self.unservable}

    def at(self, share: float) -> float:
        """The instant ``share`` of the time budget after the round started."""
        return self.started + share * self.settings.time_budget_s

    def left_s(self) -> float:
        return self.at(1.0) - time.perf_counter()


@dataclass(frozen=True)
class Start:
    """construct: the checked start OR-Tools improves (None: it starts on its own)."""

    routes: Routes | None
    efficient: Routes | None  #: the plan with the least riding, under a riding budget
    constructor: ConstructorStats
    balanced: bool  #: OR-Tools' capped balanced start
    completed: bool  #: every job missing from the start was tried (no deadline cut it short)
    tried: frozenset[str] = frozenset()  #: the jobs the completion tried (placed or not)


@dataclass(frozen=True)
class Shared:
    """share: the start after sharing the work within the riding budget's cap."""

    routes: Routes | None
    budget: RidingBudget | None


@dataclass(frozen=True)
class Improved:
    """improve: OR-Tools' routes (or the start, when the search gave nothing or was skipped)."""

    routes: Routes
    modelled: dict[tuple[str, StopKind], float]  #: the model's service start of each stop
    search: SearchStats
    budget: RidingBudget | None  #: the cap is dropped when the full model rejected the start
    ortools: str  #: what the search ran over
    left_out: set[str]  #: jobs left for a later round (the model over all would be too large)
    found: bool  #: the search returned a solution
    had_start: bool  #: the search started from a (complete, checked) start
    objective: int | None
    proposed_start: bool


@dataclass(frozen=True)
class Evaluated:
    """evaluate: every route timed exactly, and a reason for every job not in them."""

    routes: dict[str, RouteEvaluation]
    unassigned: dict[str, Reason]
    eta_error: EtaError


# -- the sequence ----------------------------------------------------------------------------------


def solve(problem: Problem, settings: SolverSettings | None = None, *, initial: Routes | None = None) -> Plan:
    """Propose routes for ``problem`` within the time budget; never raises on infeasibility.

    Jobs that cannot be served come back in ``Plan.unassigned`` with the reason.
    """
    plan_round = build_round(problem, settings or SolverSettings(), initial)
    if not problem.couriers:
        return Plan(routes={}, unassigned=dict(plan_round.unservable), metrics={}, solver=SolverStats(planned=False))
    start = construct_start(plan_round)
    shared = share_start(plan_round, start)
    improved = improve(plan_round, start, shared)
    evaluated = evaluate_plan(plan_round, start, improved)
    explained_at = time.perf_counter()
    explanations = explain_plan(plan_round, start, improved, evaluated)
    stats = SolverStats(
        search=improved.search,
        constructor=start.constructor,
        riding_budget=improved.budget,
        balanced_start=start.balanced,
        ortools=improved.ortools,
        proposed_start=improved.proposed_start,
        total_seconds=round(time.perf_counter() - plan_round.started, 3),
        explain_seconds=round(time.perf_counter() - explained_at, 3),
        objective=improved.objective,
        eta_error_s=evaluated.eta_error,
    )
    return Plan(
        routes=evaluated.routes,
        unassigned=evaluated.unassigned,
        explanations=explanations,
        metrics=plan_metrics(problem, evaluated.routes),
        solver=stats,
    )


# -- build -----------------------------------------------------------------------------------------


def build_round(problem: Problem, settings: SolverSettings, initial: Routes | None) -> Round:
    """The round: the clock starts, and jobs no courier can take get their reason at once."""
    started = time.perf_counter()
    unservable: dict[str, Reason] = {}
    owned = {x for c in problem.couriers for x in c.on_board} | {lock.shipment for lock in problem.locks}
    for s in problem.shipments:
        if s.id in owned:  # owned work is planned whatever (late rather than dropped)
            continue
        why = unservable_reason(problem, s)
        if why is not None:
            unservable[s.id] = why
    budgeted = (
        problem.fairness_weight > 0
        and problem.fairness_riding_budget is not None
        and settings.constructor == "pyvrp"
        and not settings.first_solution_only
    )
    return Round(problem, settings, started, unservable, initial, budgeted)


# -- construct -------------------------------------------------------------------------------------


def construct_start(r: Round) -> Start:
    """The start OR-Tools improves: PyVRP's plan (mended), the previous plan, or for a large
    round an empty one, else OR-Tools' capped balanced start; then completed by insertion."""
    settings = r.settings
    initial, first, constructor = r.previous, None, ConstructorStats("ortools")
    efficient: Routes | None = None
    if settings.constructor == "pyvrp" and not settings.first_solution_only and (r.budgeted or not initial):
        first, constructor = _pyvrp_start(r)
        if r.budgeted and first is not None:
            # Under a budget the start is the efficient plan (a fresh plan shares it, a re-plan
            # measures the cap on it): complete, for riding alone.
            first = efficient = _efficient(r, first)
        initial = initial or first
    if r.clock and not initial and not settings.first_solution_only and _too_large(r):
        initial = {c.id: [] for c in r.problem.couriers}
    balanced = False
    if r.problem.fairness_weight > 0 and settings.balanced_start and not settings.first_solution_only and not initial:
        capped = _balanced_start(r)
        if capped is not None:
            initial, balanced = capped, True
    completed, tried = True, frozenset[str]()
    if initial:
        # The constructor's plan is mended already; any other start is mended here.
        initial, completed, tried = _complete(r, initial if initial is first else repair(r.problem, initial))
    return Start(initial, efficient, constructor, balanced, completed, tried)


def _completion_deadline(r: Round) -> float:
    """When a completion by insertion starting now must stop: not before the constructor's share
    ends, up to a quarter of the budget from now but within the budget, and never less than
    ``MIN_COMPLETION_S`` from now.

    What came before (who could serve what, the start re-checked) may have used up the
    constructor's share on a loaded machine: the completion still gets its minimum, or a backlog
    would never move (issue 21's outside attack: six rounds in a row proposed nothing, every job
    "not planned yet"). The quarter is capped at the budget since a first proposal of 500 jobs
    came 0.1-0.15 s late when it always took its quarter past PyVRP's share (issue 22).
    """
    now = time.perf_counter()
    least = max(MIN_COMPLETION_S, MIN_COMPLETION_SHARE * r.settings.time_budget_s)
    return max(r.at(r.settings.constructor_share), min(now + least, r.at(1.0)), now + MIN_COMPLETION_S)


def _efficient(r: Round, first: Routes) -> Routes:
    """PyVRP's plan for riding alone, with the jobs it left out inserted where they add least
    riding: the plan the riding budget is measured against must serve every job (a cap must
    never cost one). From its random start at 500 jobs, PyVRP's 3.25 s left 43 jobs out on
    bench_city's day, and the budget was dropped for the whole round (issue 22)."""
    planned = {stop.shipment for stops in first.values() for stop in stops}
    if all(s.id in planned or s.id in r.unservable for s in r.problem.shipments):
        return first
    deadline = None if r.settings.iterations is not None else _completion_deadline(r)
    riding_only = replace(r.problem, fairness_weight=0.0)
    return insert_missing(riding_only, first, set(r.unservable), deadline=deadline)


def _too_large(r: Round) -> bool:
    """No start, and OR-Tools' own model is too large to build in time (its first-solution
    heuristic does not stop at its time limit either: 20 s on a 0.5 s limit at 1,500 jobs,
    benchmarks/bench_scale.py): insertion into empty routes then builds a checked start."""
    return model_seconds(r.problem, r.candidates, riding_cap=False) > r.settings.time_budget_s / 2


def _pyvrp_start(r: Round) -> tuple[Routes | None, ConstructorStats]:
    """PyVRP's plan, mended: the approximation may break what it cannot express (a decline, a
    lock's raised room); such routes give their free jobs back, to be inserted again."""
    settings = r.settings
    share = settings.constructor_share - (settings.sharing_share / 2 if r.budgeted else 0.0)
    if _approximation_is_the_model(r.problem) and not r.budgeted:
        share = max(share, min(EXACT_CONSTRUCTOR_SHARE, 1.0 - TAKE_OVER_S / settings.time_budget_s))
    share = max(0.0, share)
    given = share * settings.time_budget_s
    if r.clock:  # counted from the round's start: who could serve what was worked out on the same clock
        given = max(0.0, r.at(share) - time.perf_counter())
    built = _construct(
        r.problem,
        time_budget_s=given,
        excluded=set(r.unservable),
        vehicle_fixed_cost_s=settings.vehicle_fixed_cost // SCALE if settings.minimise_couriers else 0,
        seed=settings.seed,
        balance=not r.budgeted,
        iterations=settings.iterations,
    )
    first = repair(r.problem, built.routes) if built.routes is not None else None
    return first, ConstructorStats(
        name="pyvrp",
        result=built.reason,
        seconds=round(built.seconds, 3),
        left_out=built.left_out,
        pyvrp=built.stats,
        after_owned_work=built.after_owned_work,
    )


def _approximation_is_the_model(problem: Problem) -> bool:
    """PyVRP's approximation plans for the model's own objective and limits: no fairness, no
    margin kept free at the shifts' ends, no soft windows, no breaks, no person's decision, decline
    or parcel on board, and times that do not depend on the load (the approximation times every
    leg at one load). Then OR-Tools only checks and polishes what PyVRP found, and the time is
    better spent in PyVRP (:data:`EXACT_CONSTRUCTOR_SHARE`)."""
    return (
        problem.fairness_weight == 0
        and problem.shift_end_margin_s == 0
        and not problem.soft_windows
        and not problem.locks
        and all(not c.breaks and not c.on_board for c in problem.couriers)
        and all(not s.declined_by for s in problem.shipments)
        and all(t.slowdown_per_25kg == 0 and t.ride_loaded_s is None for t in problem.travel.values())
    )


def _balanced_start(r: Round) -> Routes | None:
    """OR-Tools' first solution under hard caps of each courier's work (fairness on, no start)."""
    capped = OrToolsModel(
        r.problem,
        replace(r.settings, first_solution_only=True, time_budget_s=r.settings.time_budget_s / 2),
        excluded=set(r.unservable),
        cap_work=True,
    )
    solution, _ = capped.solve(None)
    return None if solution is None else capped.routes(solution)


def _complete(r: Round, start: Routes) -> tuple[Routes, bool, frozenset[str]]:
    """``start`` with every missing job inserted where it adds least, whether all were tried, and
    which were.

    With a solution limit of one, OR-Tools returns the start itself, every job missing from it
    unperformed (issue 9), and from a start that leaves many jobs out its search within a second
    inserted few of them (issue 21: 125 of 143 open jobs after 62 acceptances). A route of an
    earlier plan that no longer holds (time moved on) keeps its owned work and gives its other
    jobs back first (:func:`routing.insertion.repair`), else the model would refuse the start.
    """
    deadline = None if r.settings.iterations is not None else _completion_deadline(r)
    tried: set[str] = set()
    routes = insert_missing(r.problem, start, set(r.unservable), deadline=deadline, tried=tried)
    return routes, deadline is None or time.perf_counter() <= deadline, frozenset(tried)


def _construct(
    problem: Problem,
    *,
    time_budget_s: float,
    excluded: set[str],
    vehicle_fixed_cost_s: int,
    seed: int,
    balance: bool,
    iterations: int | None,
) -> Construction:
    """PyVRP's first plan; with owned work, of the jobs still free, after each courier's own.

    PyVRP has no form for "this job belongs to that courier": the constructor spends a load
    dimension per courier owning work, and refuses past ``MAX_DIMENSIONS`` (12), which a
    lunchtime with a dozen couriers holding accepted jobs passes. Then the first plan came from
    OR-Tools' own insertion alone, which left most jobs out (issue 21). Here each courier first
    does their owned work (:func:`routing.model_limits.owned_stops`), and PyVRP plans the free
    jobs for couriers who start where and when that work ends, having worked it; OR-Tools then
    interleaves both under the full model.
    """
    run = partial(
        construct,
        time_budget_s=time_budget_s,
        vehicle_fixed_cost_s=vehicle_fixed_cost_s,
        planning_load_share=PLANNING_LOAD_SHARE,
        seed=seed,
        balance=balance,
        iterations=iterations,
    )
    own = {c.id: owned_stops(problem, c) for c in problem.couriers}
    if not any(own.values()):
        return run(problem, excluded=excluded)
    built = run(_after_owned_work(problem, own), excluded=excluded - set(owners(problem)))
    routes = {cid: [*stops, *(built.routes or {}).get(cid, [])] for cid, stops in own.items()}
    return replace(built, routes=routes, after_owned_work=True)


def _after_owned_work(problem: Problem, own: Routes) -> Problem:
    """The free jobs, for couriers who start where and when their owned work ends, having worked it."""
    couriers = []
    for c in problem.couriers:
        stops = own[c.id]
        if not stops:
            couriers.append(c)
            continue
        done = route_finish(problem, c, stops, to_end=False)
        free_from = c.shift_end if done is None else max(done, problem.now)
        last = problem.shipment(stops[-1].shipment)
        couriers.append(
            replace(
                c,
                start=last.dropoff,
                shift_start=free_from,
                shift_end=max(c.shift_end, free_from),
                on_board=(),
                worked_s_today=c.worked_s_today + round(evaluate_route(problem, c, stops).work_s),
                planned_shift_s=c.shift_length_s,
            )
        )
    owned = owners(problem)
    return replace(
        problem,
        couriers=tuple(couriers),
        shipments=tuple(s for s in problem.shipments if s.id not in owned),
        locks=(),
        _index={},
    )


# -- share -----------------------------------------------------------------------------------------


def share_start(r: Round, start: Start) -> Shared:
    """Under a riding budget, the start with the work shared within the cap.

    A fresh plan shares all of its work; a re-plan that keeps the previous plan only the new
    jobs, so that no proposal a dispatcher has seen changes (the churn) while new work still
    goes to whoever has the least of it, as far as the budget allows. OR-Tools then polishes the
    plan under the same cap.
    """
    if not r.budgeted:
        return Shared(start.routes, None)
    budget = _riding_budget(r.problem, set(r.unservable), start.efficient)
    routes = start.routes
    movable: set[str] | None = None
    if budget.cap_s is not None and r.previous:
        kept, budget = _keep_previous(r.problem, set(r.unservable), r.previous, budget)
        routes = kept or start.efficient
        if kept is not None:
            seen = {stop.shipment for stops in r.previous.values() for stop in stops}
            movable = {s.id for s in r.problem.shipments} - seen
    if budget.cap_s is None or routes is None:
        return Shared(routes, budget)
    settings = r.settings
    deadline = (
        math.inf if settings.iterations is not None else r.at(settings.constructor_share + settings.sharing_share / 2)
    )
    sharing = share_work(r.problem, routes, budget.cap_s, deadline, movable)
    return Shared(sharing.routes, replace(budget, sharing=sharing.stats()))


def _riding_budget(problem: Problem, excluded: set[str], efficient: Routes | None) -> RidingBudget:
    """The cap on the plan's riding: the efficient plan's riding plus the cooperative's budget.

    Only when the efficient plan serves every job that can be served: a job it left out would
    have to fit under a cap that never counted its riding, and a cap must never cost a job.
    """
    share = problem.fairness_riding_budget
    assert share is not None
    if efficient is None:
        return RidingBudget(share, None, None, "no_efficient_plan")
    planned = {stop.shipment for stops in efficient.values() for stop in stops}
    missing = [s.id for s in problem.shipments if s.id not in excluded and s.id not in planned]
    if missing:
        return RidingBudget(share, None, None, "efficient_left_jobs_out")
    riding = plan_riding_s(problem, efficient)
    if riding is None:
        return RidingBudget(share, None, None, "efficient_unreachable")
    return RidingBudget(share, int(riding * (1.0 + share)), riding, "ok")


def _keep_previous(
    problem: Problem, excluded: set[str], previous: Routes, budget: RidingBudget
) -> tuple[Routes | None, RidingBudget]:
    """The previous plan with the new jobs inserted, as the re-plan's start, if it serves every job.

    A re-plan that keeps the previous plan changes few proposals (the dispatchers' churn); one
    that restarts from the efficient plan changed 60-95 % of them on bench_city's days, so it
    does only when a new job fits nowhere in the previous plan. When the previous plan with the
    new jobs rides more than the cap (it used the budget, and the new jobs' rides come on top),
    the cap is raised to it for this round and ``over_cap_s`` says by how much: the search from
    there can only lower the riding, and the next round measures it afresh.
    """
    cap = budget.cap_s
    assert cap is not None
    routes = insert_missing(problem, previous, excluded, riding_cap_s=cap)
    served = {stop.shipment for stops in routes.values() for stop in stops}
    riding = plan_riding_s(problem, routes)
    if riding is None or any(s.id not in served and s.id not in excluded for s in problem.shipments):
        return None, replace(budget, start="efficient plan")
    if riding > cap:
        return routes, replace(budget, start="previous plan", over_cap_s=riding - cap, cap_s=riding)
    return routes, replace(budget, start="previous plan")


# -- improve ---------------------------------------------------------------------------------------


def improve(r: Round, start: Start, shared: Shared) -> Improved:
    """OR-Tools' search under the full model, from the shared start (under the riding cap if any).

    At scale the full model cannot be built within the budget (benchmarks/bench_scale.py):
    OR-Tools then improves the start over the jobs the start holds, the others waiting for a
    later round, or, if even that model is too large, the checked start is the plan.
    """
    initial, budget = shared.routes, shared.budget
    capped = budget is not None and budget.cap_s is not None
    left_out, skip = _model_scope(r, initial, riding_cap=capped)
    solution, model, search = None, None, SearchStats()
    if skip is None and budget is not None and budget.cap_s is not None:
        model = OrToolsModel(r.problem, _remaining(r), excluded=set(r.unservable) | left_out, riding_cap_s=budget.cap_s)
        solution, search = model.solve(initial)
        if not search.warm_start:
            # The full model rejected the efficient plan: under the cap its own first solution
            # could leave jobs out to stay within the budget. Plan without the cap instead.
            budget = replace(budget, cap_s=None, why="full_model_rejected")
            model = None
    if model is None and skip is None:
        model = OrToolsModel(r.problem, _remaining(r), excluded=set(r.unservable) | left_out)
        solution, search = model.solve(initial)
    routes: Routes = {c.id: [] for c in r.problem.couriers}
    modelled: dict[tuple[str, StopKind], float] = {}
    proposed_start = False
    if solution is not None and model is not None:
        routes, modelled = model.routes(solution), model.model_times(solution)
    elif initial:
        # The search found nothing, or was not run: the start is complete and every route of it
        # was checked against the model's limits (routing.insertion), so it is proposed rather
        # than nothing (issue 21: a round at 1,500 jobs ended with every job unplanned).
        routes = {c.id: list(initial.get(c.id, [])) for c in r.problem.couriers}
        proposed_start = True
    held = len(r.candidates) - len(left_out)
    ortools = skip or (
        f"over the {held} jobs of the start ({len(left_out)} left for a later round)" if left_out else "full model"
    )
    return Improved(
        routes=routes,
        modelled=modelled,
        search=search,
        budget=budget,
        ortools=ortools,
        left_out=left_out,
        found=solution is not None,
        had_start=bool(initial),
        objective=None if solution is None else solution.ObjectiveValue(),
        proposed_start=proposed_start,
    )


def _remaining(r: Round) -> SolverSettings:
    """The settings for the search, with what is left of the budget (at least 0.05 s)."""
    return replace(r.settings, time_budget_s=max(0.05, r.settings.time_budget_s - (time.perf_counter() - r.started)))


def _model_scope(r: Round, initial: Routes | None, *, riding_cap: bool) -> tuple[set[str], str | None]:
    """The jobs the model leaves for a later round, and why no model is built (None: one is)."""
    if not (r.clock and initial):
        return set(), None
    remaining = r.left_s()
    full = model_seconds(r.problem, r.candidates, riding_cap=riding_cap)
    if full <= remaining + MODEL_OVERRUN_S:
        return set(), None
    held = {stop.shipment for stops in initial.values() for stop in stops}
    if model_seconds(r.problem, held, riding_cap=riding_cap) <= remaining + MODEL_OVERRUN_S:
        return r.candidates - held, None
    return set(), (
        f"skipped: building the full model would take about {full:.1f} s "
        f"({len(r.candidates)} jobs), {max(0.0, remaining):.1f} s were left; the checked start is the plan"
    )


# -- evaluate --------------------------------------------------------------------------------------


def evaluate_plan(r: Round, start: Start, improved: Improved) -> Evaluated:
    """Every route timed exactly, a reason for every job not in them, and the model's ETA gap."""
    unassigned = dict(r.unservable)
    served = {stop.shipment for stops in improved.routes.values() for stop in stops}
    for sid in sorted(r.candidates - served):
        if sid in improved.left_out or (not start.completed and sid not in start.tried):
            # The completion's deadline cut it short before this job: "fits nowhere" would be a
            # guess (it asked a person to decide while a courier had room: the outside
            # attack's F2); the next round tries it. A job it tried and could not place is
            # told so, and a person sees it (a full fleet is a person's problem).
            unassigned[sid] = DEFERRED
        elif improved.found or improved.had_start:
            unassigned[sid] = FITS_NOWHERE
        else:
            status = improved.search.status
            known = None if status is None else NO_PLAN.get(status)
            unassigned[sid] = known or reason("solver_stopped", status=status)
    evaluations = {c.id: evaluate_route(r.problem, c, improved.routes[c.id]) for c in r.problem.couriers}
    modelled = improved.modelled
    timed = [t for ev in evaluations.values() for t in ev.stops] if modelled else []
    errors = [t.start - modelled[(t.shipment, t.kind)] for t in timed]
    eta_error = EtaError(
        mean_abs=float(np.mean(np.abs(errors))) if errors else 0.0,
        max_abs=float(np.max(np.abs(errors))) if errors else 0.0,
    )
    return Evaluated(evaluations, unassigned, eta_error)


# -- explain ---------------------------------------------------------------------------------------


def explain_plan(r: Round, start: Start, improved: Improved, evaluated: Evaluated) -> dict[str, Explanation]:
    """An explanation per job (unless the settings turn them off), with the sharing's reasons.

    On the clock, other couriers are compared until ``EXPLAIN_OVERRUN_S`` past the budget (or
    past now, if the plan came later); the jobs left are explained without the comparison.
    """
    explanations: dict[str, Explanation] = {}
    if r.settings.explain:
        deadline = max(r.at(1.0), time.perf_counter()) + EXPLAIN_OVERRUN_S if r.clock else None
        explanations = explain(r.problem, evaluated.routes, deadline=deadline)
    budget = improved.budget
    if budget is not None and budget.cap_s is not None and start.efficient is not None:
        explanations = sharing_reasons(
            r.problem, explanations, start.efficient, evaluated.routes, budget.budget, r.previous
        )
    return explanations


def plan_metrics(problem: Problem, routes: dict[str, RouteEvaluation]) -> dict[str, float]:
    """Efficiency and fairness figures of a plan (what bench_city and the console report)."""
    couriers = problem.couriers
    shares = []
    for c in couriers:
        shift = c.shift_length_s
        shares.append((c.worked_s_today + routes[c.id].work_s) / shift)
    heavy = []
    for c in problem.heavy_able():
        kg = sum(
            problem.shipment(t.shipment).weight_kg
            for t in routes[c.id].stops
            if t.kind is StopKind.PICKUP and problem.is_heavy(problem.shipment(t.shipment))
        )
        heavy.append(c.heavy_kg_today + kg)
    return {
        "travel_minutes": sum(r.travel_s for r in routes.values()) / 60,
        "km": sum(r.metres for r in routes.values()) / 1000,
        "lateness_minutes": sum(r.lateness_s for r in routes.values()) / 60,
        "worked_share_gini": gini(shares),
        "worked_share_max_min": max_min_ratio(shares),
        "heavy_kg_gini": gini(heavy) if heavy else 0.0,
        "couriers_used": float(sum(1 for r in routes.values() if r.stops)),
    }
