"""The OR-Tools model: pickup-and-delivery with windows, loads, shifts, locks and fairness.

The solver *proposes*. Jobs a person has decided (locks) and parcels already on board stay with
their courier; everything else may move. The model works with one speed per courier: the speed
with ``PLANNING_LOAD_SHARE`` of the payload on board. At the full payload (the default) every
leg is timed no faster than it can really be ridden, so a route the model finds feasible is
feasible under the exact speed model too (windows, shift end). The routes are then timed
exactly, load by load, by :mod:`routing.evaluate`; those are the ETAs people see, and the gap
to the model's times is reported in ``Plan.solver["eta_error_s"]``.

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
is raised to it for the round (``Plan.solver["riding_budget"]["over_cap_s"]``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.construct import Construction, construct
from routing.evaluate import RouteEvaluation, RouteStop, StopKind, evaluate_route
from routing.explain import explain
from routing.fairness import expected_day_share, gini, max_min_ratio
from routing.insertion import insert_missing, repair
from routing.model_limits import (
    PLANNING_LOAD_SHARE,
    UNSERVED_PENALTY,
    owned_stops,
    owners,
    plan_riding_s,
    route_finish,
    shift_limit,
)
from routing.objective import HEAVY_KG_SECONDS, SHIFT_END_COST_PER_S, SHIFT_END_MARGIN_S, Objective
from routing.plan import Explanation, Plan
from routing.problem import Courier, Problem, may_take, unservable_reason
from routing.sharing import share_work

#: Objective units per second (OR-Tools works in integers).
SCALE = 100
#: Why there is no plan at all, by OR-Tools' routing status.
NO_PLAN = {
    3: "no plan satisfies the locked decisions and the vehicles' limits",
    4: "the solver found no plan within the time budget",
    5: "the solver refused its settings (an invalid model or search parameter)",
    6: "no plan satisfies the locked decisions and the vehicles' limits",
}
#: The balanced start caps a courier's work at this multiple of their fair share plus a margin.
CAP_FACTOR = 1.2
CAP_MARGIN_S = 20 * 60
#: Above this many stops the insertion heuristic only looks at near neighbours.
AUTO_NEIGHBOURS_FROM = 200
#: Building the OR-Tools model costs about this many seconds per matrix entry and travel class
#: (a node-to-node seconds matrix and a centiseconds cost matrix per class, turned into Python
#: lists and copied into OR-Tools: neither takes a numpy array). Measured with
#: benchmarks/bench_scale.py: 1,500 jobs / 80 couriers (3,160 nodes, 3 classes) took 4.6 s a
#: model, far over a 1 s budget; 200 jobs / 80 couriers 0.1 s.
MODEL_S_PER_ENTRY_CLASS = 1.5e-7
#: A model may take this long past the round's budget to build (its search then gets its
#: minimum); one expected to take longer is not built: OR-Tools then works on the jobs of the
#: start only, or, if even that model is too large, the checked start is the plan.
MODEL_OVERRUN_S = 0.3
#: Why a job is not in a plan that ran out of time before trying it (at scale). The same words
#: every round, so that a log recording reasons once per change records it once.
DEFERRED = "not planned yet: the round's time ran out before this job was tried; the next round tries again"
#: Explanations compare other couriers for each job until this long past the budget (or past
#: the plan, if that came later); the jobs left are explained without the comparison.
EXPLAIN_OVERRUN_S = 0.3
LOCKED_UNSERVED_PENALTY = 10**14


@dataclass(frozen=True)
class SolverSettings:
    time_budget_s: float = 1.0
    first_solution_only: bool = False
    #: "parallel_insertion" or "local_insertion": insertion heuristics find first solutions on
    #: tight windows where arc-based ones (PATH_CHEAPEST_ARC) find none.
    first_solution: str = "parallel_insertion"
    minimise_couriers: bool = False  #: a fixed cost per used courier (benchmarks: fewest vehicles first)
    explain: bool = True  #: compute an explanation per job (benchmarks of the solver alone turn it off)
    #: Share of nearest neighbours the insertion heuristic considers (1.0: all). Lower is faster
    #: on large instances; see benchmarks/bench_city.py for the measured trade-off.
    #: None: all neighbours below ``AUTO_NEIGHBOURS_FROM`` stops, 10 % (at least 10) above: on
    #: 200 jobs / 30 couriers that brings the first proposal from 2.2 s to 0.75 s for a 3 s
    #: plan within 0.5 % of the full search's (measured with bench_city's generator).
    neighbors_ratio: float | None = None
    min_neighbors: int = 10
    ls_neighbors_ratio: float | None = None
    #: With fairness on, first build a plan under hard caps of each courier's work (fair share
    #: plus a margin), then improve it with the soft fairness terms. Local search alone moves
    #: work between couriers too slowly on large days (measured in benchmarks/bench_city.py).
    balanced_start: bool = True
    vehicle_fixed_cost: int = 10**9
    #: Who builds the first plan: "pyvrp" (routing/construct.py: PyVRP, started from VROOM's
    #: quick plan, on an approximation of the model; OR-Tools then improves it under the full
    #: model) or "ortools" (its own insertion heuristic, with fairness the capped balanced
    #: start). PyVRP finds far better plans of tight pickup-and-delivery days than OR-Tools' own
    #: search (Li & Lim and bench_city, benchmarks/README.md). If the constructor skips the
    #: problem or its plan does not hold under the full model, OR-Tools starts on its own.
    constructor: str = "pyvrp"
    #: Share of the time budget the constructor gets; OR-Tools has the rest, to build and check
    #: the full model and improve under it. On all 56 Li & Lim instances at 1 s (2 runs side by
    #: side), 0.6 / 0.8 / 0.95 reached the best-known vehicle count on 35 / 37 / 37 without the
    #: VROOM start, 0.8 / 0.9 on 41 / 42 with it, mean gaps 0.71 % / 0.91 %: PyVRP's time is
    #: worth more than OR-Tools', but OR-Tools needs about 0.1-0.2 s to take over.
    constructor_share: float = 0.8
    #: With a riding budget, the most of the time budget sharing the work may take
    #: (routing/sharing.py), half from the constructor's and half from OR-Tools' share: the
    #: efficient plan is what the budget is measured against, and sharing needs time on large
    #: days (it stops on its own when no move is left, and OR-Tools gets what it leaves). From
    #: w0's 5 s plan with no time limit, sharing within +5 % took 0.1 s on bench_city's 50 jobs /
    #: 10 couriers, 0.9 s on 200 / 30 and 2.0 s on 500 / 60 (Gini 0.37 to 0.25 there). With
    #: 0.75 s (0.15 of 5 s) it stopped at the time limit on 200 jobs and before its first move on
    #: 500; 0.25 all from the constructor left efficient plans riding 4-6 % more.
    sharing_share: float = 0.3
    seed: int = 1  #: PyVRP's random seed (OR-Tools' routing search has none)
    #: Limits by work instead of the clock, for replays that must give the same day on any
    #: machine under any load: PyVRP stops after this many iterations (and starts without
    #: VROOM, whose plan depends on its timeout), OR-Tools' search at its first local optimum,
    #: and sharing and the completion of a start run to their end. ``time_budget_s`` is then
    #: only a safety net, set it well above what the work takes. None: the live planner's
    #: wall-clock budget.
    iterations: int | None = None


@dataclass
class _Node:
    place: int  #: -1: an open route's end, anywhere
    shipment: str | None = None
    kind: StopKind | None = None


class _Model:
    """Builds the OR-Tools model of a Problem and reads its solution back."""

    def __init__(
        self,
        problem: Problem,
        settings: SolverSettings,
        excluded: set[str],
        *,
        cap_work: bool = False,
        riding_cap_s: int | None = None,
    ) -> None:
        building = time.perf_counter()
        self.problem, self.settings, self.cap_work = problem, settings, cap_work
        self.riding_cap_s = riding_cap_s
        couriers = problem.couriers
        self.locked = {lock.shipment: lock.courier for lock in problem.locks}
        on_board = {s: c.id for c in couriers for s in c.on_board}
        self.nodes: list[_Node] = []
        starts, ends = [], []
        for c in couriers:
            starts.append(len(self.nodes))
            self.nodes.append(_Node(c.start))
            ends.append(len(self.nodes))
            self.nodes.append(_Node(-1 if c.end is None else c.end))
        self.pairs: dict[str, tuple[int | None, int]] = {}
        for s in problem.shipments:
            if s.id in excluded:
                continue
            pickup = None
            if s.id not in on_board:
                pickup = len(self.nodes)
                self.nodes.append(_Node(s.pickup, s.id, StopKind.PICKUP))
            self.nodes.append(_Node(s.dropoff, s.id, StopKind.DROPOFF))
            self.pairs[s.id] = (pickup, len(self.nodes) - 1)
        self.on_board = on_board
        self.manager = pywrapcp.RoutingIndexManager(len(self.nodes), len(couriers), starts, ends)
        self.routing = pywrapcp.RoutingModel(self.manager)
        self._build()
        #: The search's time limit counts from before the build: a build of 0.6 s (500 jobs / 60
        #: couriers) otherwise came on top of the budget (benchmarks/bench_scale.py).
        self.build_seconds = time.perf_counter() - building

    # -- transits ----------------------------------------------------------------------------

    def _time_matrix(self, courier: Courier) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Node-to-node riding seconds for a courier (at the planning load), and each node's service."""
        travel = self.problem.travel[courier.profile]
        seconds = travel.seconds(PLANNING_LOAD_SHARE * courier.payload_kg)
        places = np.array([max(n.place, 0) for n in self.nodes])
        matrix = seconds[np.ix_(places, places)]
        open_end = np.array([n.place < 0 for n in self.nodes])
        matrix[:, open_end] = 0.0
        matrix[open_end, :] = 0.0
        service = np.zeros(len(self.nodes))
        for i, node in enumerate(self.nodes):
            if node.shipment is not None:
                s = self.problem.shipment(node.shipment)
                service[i] = s.pickup_service_s if node.kind is StopKind.PICKUP else s.dropoff_service_s
        # Node-numbered: RegisterTransitMatrix maps routing indices to nodes itself.
        return np.rint(matrix).astype(np.int64), np.rint(service).astype(np.int64)

    def _build(self) -> None:
        p, routing, manager = self.problem, self.routing, self.manager
        couriers = p.couriers
        horizon = max([c.shift_end for c in couriers] + [s.dropoff_window[1] for s in p.shipments] + [p.now]) + 86_400
        classes: dict[tuple[str, float], tuple[int, int, NDArray[np.int64]]] = {}
        riding_class: dict[tuple[str, float], int] = {}
        transit: list[int] = []
        riding: list[int] = []
        for v, c in enumerate(couriers):
            key = (c.profile, round(PLANNING_LOAD_SHARE * c.payload_kg, 1))
            if key not in classes:
                ride, service = self._time_matrix(c)
                seconds = ride + service[:, None]
                classes[key] = (
                    routing.RegisterTransitMatrix(seconds.tolist()),
                    routing.RegisterTransitMatrix((SCALE * seconds).tolist()),
                    ride,
                )
            transit.append(classes[key][0])
            if self.riding_cap_s is not None:
                if key not in riding_class:  # once per class: a registration costs as much as a model
                    riding_class[key] = routing.RegisterTransitMatrix(classes[key][2].tolist())
                riding.append(riding_class[key])
            routing.SetArcCostEvaluatorOfVehicle(classes[key][1], v)
            if self.settings.minimise_couriers:
                routing.SetFixedCostOfVehicle(self.settings.vehicle_fixed_cost, v)

        routing.AddDimensionWithVehicleTransits(transit, horizon, horizon, False, "time")
        self.time = routing.GetDimensionOrDie("time")
        routing.AddDimensionWithVehicleTransits(transit, 0, horizon, True, "work")
        work = routing.GetDimensionOrDie("work")
        solver = routing.solver()

        for v, c in enumerate(couriers):
            self.time.CumulVar(routing.Start(v)).SetRange(max(c.shift_start, p.now), max(c.shift_end, p.now))
            self.time.CumulVar(routing.End(v)).SetRange(0, shift_limit(p, c))
            # The objective's end of a shift (routing.objective.Objective.shift_end_cost).
            end_free = max(0, c.shift_end - SHIFT_END_MARGIN_S)
            self.time.SetCumulVarSoftUpperBound(routing.End(v), end_free, round(SCALE * SHIFT_END_COST_PER_S))
            routing.AddVariableMinimizedByFinalizer(self.time.CumulVar(routing.Start(v)))
            routing.AddVariableMinimizedByFinalizer(self.time.CumulVar(routing.End(v)))

        grams = [0] * len(self.nodes)
        decilitres = [0] * len(self.nodes)
        heavy = [0] * len(self.nodes)
        for sid, (pickup, dropoff) in self.pairs.items():
            s = p.shipment(sid)
            g, dl = round(s.weight_kg * 1000), round(s.volume_l * 10)
            if pickup is not None:
                grams[pickup], decilitres[pickup] = g, dl
                heavy[pickup] = round(s.weight_kg) if p.is_heavy(s) else 0
            grams[dropoff], decilitres[dropoff] = -g, -dl
        onboard_g = {c.id: sum(round(p.shipment(s).weight_kg * 1000) for s in c.on_board) for c in couriers}
        onboard_dl = {c.id: sum(round(p.shipment(s).volume_l * 10) for s in c.on_board) for c in couriers}
        # A person may have forced a job over a vehicle's payload: the model must still hold what
        # is on board, and the heaviest single locked job, but never more than the payload otherwise.
        locked_g = {
            c.id: max(
                [onboard_g[c.id]]
                + [round(p.shipment(s).weight_kg * 1000) for s, who in self.locked.items() if who == c.id]
            )
            for c in couriers
        }
        for name, demand, capacity, start in (
            ("kg", grams, [max(round(c.payload_kg * 1000), locked_g[c.id]) for c in couriers], onboard_g),
            ("litres", decilitres, [max(round(c.volume_l * 10), onboard_dl[c.id]) for c in couriers], onboard_dl),
        ):
            index = routing.RegisterUnaryTransitVector(demand)
            routing.AddDimensionWithVehicleCapacity(index, 0, capacity, False, name)
            dim = routing.GetDimensionOrDie(name)
            for v, c in enumerate(couriers):
                dim.CumulVar(routing.Start(v)).SetValue(start[c.id])

        for sid, (pickup, dropoff) in self.pairs.items():
            s = p.shipment(sid)
            d_index = manager.NodeToIndex(dropoff)
            owner = self.locked.get(sid) or self.on_board.get(sid)
            # Owned work (a person's decision, a parcel on board) is done late rather than dropped.
            self._window(d_index, s.dropoff_window, horizon, soft=owner is not None)
            allowed = (
                [i for i, c in enumerate(couriers) if c.id == owner]
                if owner
                else [i for i, c in enumerate(couriers) if may_take(c, s)]
            )
            if pickup is not None:
                p_index = manager.NodeToIndex(pickup)
                self._window(p_index, s.pickup_window, horizon, soft=owner is not None)
                routing.AddPickupAndDelivery(p_index, d_index)
                solver.Add(routing.VehicleVar(p_index) == routing.VehicleVar(d_index))
                self._allow(allowed, p_index)
                penalty = LOCKED_UNSERVED_PENALTY if owner else UNSERVED_PENALTY
                routing.AddDisjunction([p_index, d_index], penalty, 2)
            else:
                routing.AddDisjunction([d_index], LOCKED_UNSERVED_PENALTY)
            self._allow(allowed, d_index)

        # Locks that keep their order: each locked pickup no later than the next one.
        previous: dict[str, int] = {}
        for lock in p.locks:
            pair = self.pairs.get(lock.shipment)
            if not lock.keep_order or pair is None or pair[0] is None:
                continue
            idx = manager.NodeToIndex(pair[0])
            if lock.courier in previous:
                solver.Add(self.time.CumulVar(previous[lock.courier]) <= self.time.CumulVar(idx))
            previous[lock.courier] = idx

        if p.fairness_weight > 0 and couriers:
            self._fairness(work, heavy)
        if self.riding_cap_s is not None:
            # The riding budget: the plan's riding (the model's, service excluded) summed over
            # all couriers stays under the cap. Routing dimensions bound one route each, so the
            # sum is a plain constraint, checked on every move the local search proposes.
            routing.AddDimensionWithVehicleTransits(riding, 0, horizon, True, "riding")
            ride = routing.GetDimensionOrDie("riding")
            ends = [ride.CumulVar(routing.End(v)) for v in range(len(couriers))]
            solver.Add(solver.Sum(ends) <= self.riding_cap_s)

    def _allow(self, vehicles: list[int], index: int) -> None:
        """Only these couriers may visit ``index`` (-1: the stop may stay unperformed).

        The SWIG wrapper of SetAllowedVehiclesForIndex rejects Python lists in OR-Tools 9.15,
        so the vehicle variable's domain is restricted directly, which is what it does inside.
        """
        self.routing.VehicleVar(index).SetValues([-1, *vehicles])

    def _window(self, index: int, window: tuple[int, int], horizon: int, *, soft: bool = False) -> None:
        lo, hi = max(window[0], 0), max(window[1], 0)
        if self.problem.soft_windows or soft:
            self.time.CumulVar(index).SetRange(lo, horizon)
            self.time.SetCumulVarSoftUpperBound(index, hi, max(1, round(SCALE * self.problem.lateness_cost_per_s)))
        else:
            self.time.CumulVar(index).SetRange(lo, max(lo, hi))

    def _fairness(self, work: Any, heavy: list[int]) -> None:
        """The objective's fairness terms (:mod:`routing.objective`) as OR-Tools soft bounds."""
        p, routing = self.problem, self.routing
        couriers = p.couriers
        objective = Objective.of(p, self.pairs)
        weight = max(1, round(SCALE * objective.weight))
        for v, c in enumerate(couriers):
            target = objective.targets[c.id]
            work.SetCumulVarSoftUpperBound(routing.End(v), round(target), weight)
            if self.cap_work:
                locked_floor = work.CumulVar(routing.End(v)).Min()
                work.CumulVar(routing.End(v)).SetMax(max(locked_floor, round(CAP_FACTOR * target + CAP_MARGIN_S)))
        if sum(heavy) <= 0:
            return
        index = routing.RegisterUnaryTransitVector(heavy)
        routing.AddDimension(index, 0, 10**6, False, "heavy")
        heavy_dim = routing.GetDimensionOrDie("heavy")
        for v, c in enumerate(couriers):
            heavy_dim.CumulVar(routing.Start(v)).SetValue(round(c.heavy_kg_today))
            if c.id in objective.heavy_able:
                heavy_dim.SetCumulVarSoftUpperBound(
                    routing.End(v), round(objective.heavy_share_kg), weight * HEAVY_KG_SECONDS
                )

    # -- solving -----------------------------------------------------------------------------

    def solve(self, initial: dict[str, list[RouteStop]] | None) -> tuple[Any, dict[str, Any]]:
        params = pywrapcp.DefaultRoutingSearchParameters()
        strategy = {
            "parallel_insertion": routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION,
            "local_insertion": routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION,
        }
        params.first_solution_strategy = strategy[self.settings.first_solution]
        ratio = self.settings.neighbors_ratio
        if ratio is None:
            ratio = 1.0 if len(self.nodes) < AUTO_NEIGHBOURS_FROM else 0.1
        params.global_cheapest_insertion_first_solution_parameters.neighbors_ratio = ratio
        if self.settings.ls_neighbors_ratio is not None:
            params.ls_operator_neighbors_ratio = self.settings.ls_neighbors_ratio
            params.ls_operator_min_neighbors = self.settings.min_neighbors
        params.global_cheapest_insertion_first_solution_parameters.min_neighbors = self.settings.min_neighbors
        if self.settings.first_solution_only:
            params.solution_limit = 1
        elif self.settings.iterations is not None:
            # Down to a local optimum and no further: it ends by itself, the same way every
            # time. (Guided local search with a solution limit took 1.3 s a round on the demo
            # day at fairness 0, finding few solutions it counted.)
            params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
            # At most this many improving moves: a 500-job day's rounds took minutes to reach
            # their local optimum; the count ends the search the same way every time.
            params.solution_limit = max(10, self.settings.iterations // 2)
        else:
            params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        limit_s = max(min(0.05, self.settings.time_budget_s), self.settings.time_budget_s - self.build_seconds)
        params.time_limit.FromMilliseconds(max(1, round(limit_s * 1000)))
        started = time.perf_counter()
        solution = None
        warm = False
        kept = False
        if initial:
            routes = self._initial_routes(initial)
            start = self.routing.ReadAssignmentFromRoutes(routes, True)
            if start is not None:
                warm = True
                solution = self.routing.SolveFromAssignmentWithParameters(start, params)
                # Under CPU contention a very short search can stop before it has restored the
                # warm start and return a worse plan (measured: every job unperformed on Li &
                # Lim lr104 with 0.05 s left). The warm start is a complete, checked assignment
                # of this model: keep it whenever the search did not beat it.
                if solution is None or solution.ObjectiveValue() > start.ObjectiveValue():
                    solution, kept = start, True
        if solution is None:
            solution = self.routing.SolveWithParameters(params)
        return solution, {
            "seconds": round(time.perf_counter() - started, 3),
            "build_seconds": round(self.build_seconds, 3),
            "warm_start": warm,
            "kept_warm_start": kept,
            "status": int(self.routing.status()),
        }

    def _initial_routes(self, initial: dict[str, list[RouteStop]]) -> list[list[int]]:
        routes = []
        for c in self.problem.couriers:
            route = []
            for stop in initial.get(c.id, []):
                pair = self.pairs.get(stop.shipment)
                if pair is None:
                    continue
                node = pair[0] if stop.kind is StopKind.PICKUP else pair[1]
                if node is not None:
                    route.append(self.manager.NodeToIndex(node))
            routes.append(route)
        return routes

    def routes(self, solution: Any) -> dict[str, list[RouteStop]]:
        out: dict[str, list[RouteStop]] = {}
        for v, c in enumerate(self.problem.couriers):
            stops = []
            index = solution.Value(self.routing.NextVar(self.routing.Start(v)))
            while not self.routing.IsEnd(index):
                node = self.nodes[self.manager.IndexToNode(index)]
                assert node.shipment is not None and node.kind is not None
                stops.append(RouteStop(node.shipment, node.kind))
                index = solution.Value(self.routing.NextVar(index))
            out[c.id] = stops
        return out

    def model_times(self, solution: Any) -> dict[tuple[str, StopKind], float]:
        times = {}
        for v in range(len(self.problem.couriers)):
            index = solution.Value(self.routing.NextVar(self.routing.Start(v)))
            while not self.routing.IsEnd(index):
                node = self.nodes[self.manager.IndexToNode(index)]
                assert node.shipment is not None and node.kind is not None
                times[(node.shipment, node.kind)] = float(solution.Min(self.time.CumulVar(index)))
                index = solution.Value(self.routing.NextVar(index))
        return times


def solve(
    problem: Problem, settings: SolverSettings | None = None, *, initial: dict[str, list[RouteStop]] | None = None
) -> Plan:
    """Propose routes for ``problem`` within the time budget; never raises on infeasibility.

    Jobs that cannot be served come back in ``Plan.unassigned`` with the reason.
    """
    settings = settings or SolverSettings()
    started = time.perf_counter()
    unassigned: dict[str, str] = {}
    owned = {x for c in problem.couriers for x in c.on_board} | {lock.shipment for lock in problem.locks}
    for s in problem.shipments:
        if s.id in owned:  # owned work is planned whatever (late rather than dropped)
            continue
        reason = unservable_reason(problem, s)
        if reason is not None:
            unassigned[s.id] = reason
    if not problem.couriers:
        return Plan(routes={}, unassigned=unassigned, metrics={}, solver={"seconds": 0.0})
    balanced = None
    fair_start = problem.fairness_weight > 0 and settings.balanced_start
    constructed: dict[str, Any] | None = None
    # With a riding budget the constructor plans for riding alone, even for a re-plan: that plan
    # is the reference the budget is measured against, and OR-Tools then shares the work under
    # the cap, from the previous plan when it fits under the cap, else from the efficient one.
    budgeted = (
        problem.fairness_weight > 0
        and problem.fairness_riding_budget is not None
        and settings.constructor == "pyvrp"
        and not settings.first_solution_only
    )
    previous = initial
    efficient: dict[str, list[RouteStop]] | None = None
    first: dict[str, list[RouteStop]] | None = None  #: the constructor's plan, mended
    if settings.constructor == "pyvrp" and not settings.first_solution_only and (budgeted or not initial):
        share = settings.constructor_share - (settings.sharing_share / 2 if budgeted else 0.0)
        built = _construct(
            problem,
            time_budget_s=max(0.0, share) * settings.time_budget_s,
            excluded=set(unassigned),
            vehicle_fixed_cost_s=settings.vehicle_fixed_cost // SCALE if settings.minimise_couriers else 0,
            seed=settings.seed,
            balance=not budgeted,
            iterations=settings.iterations,
        )
        # The approximation may break what it cannot express (a decline, a lock's raised room):
        # such routes give their free jobs back, to be inserted again where they may go.
        first = repair(problem, built.routes) if built.routes is not None else None
        initial = initial or first
        efficient = first if budgeted else None
        constructed = {
            "name": "pyvrp",
            "result": built.reason,
            "seconds": round(built.seconds, 3),
            "left_out": built.left_out,
            **built.stats,
        }
    elif settings.constructor not in ("pyvrp", "ortools"):
        raise ValueError(f"unknown constructor {settings.constructor!r}")
    clock = settings.iterations is None  # replays limit work, not time: they never skip a model
    completed = True  #: every job missing from the start was tried (no deadline cut the completion)
    candidates = {s.id for s in problem.shipments if s.id not in unassigned}
    capped_cost = _model_seconds(problem, candidates, riding_cap=False)
    if clock and not initial and capped_cost > settings.time_budget_s / 2 and not settings.first_solution_only:
        # No start, and OR-Tools' own model is too large to build in time (its first-solution
        # heuristic does not stop at its time limit either: 20 s on a 0.5 s limit at 1,500 jobs,
        # benchmarks/bench_scale.py). Insertion into empty routes builds a checked start instead.
        initial = {c.id: [] for c in problem.couriers}
    if fair_start and not settings.first_solution_only and not initial:
        capped = _Model(
            problem,
            replace(settings, first_solution_only=True, time_budget_s=settings.time_budget_s / 2),
            excluded=set(unassigned),
            cap_work=True,
        )
        first, _ = capped.solve(None)
        if first is not None:
            initial = capped.routes(first)
            balanced = True
    if initial:
        # Every start is completed here, each missing job inserted where it adds least riding
        # and everything else left in place: with a solution limit of one, OR-Tools returns the
        # start itself, every job missing from it unperformed (issue 9), and from a start that
        # leaves many jobs out its search within a second inserted few of them (issue 21: 125 of
        # 143 open jobs after 62 acceptances). A route of an earlier plan that no longer holds
        # (time moved on) keeps its owned work and gives its other jobs back first, else the
        # model would refuse the whole start.
        completion_deadline = (
            None if settings.iterations is not None else started + settings.constructor_share * settings.time_budget_s
        )
        start = initial if initial is first else repair(problem, initial)  # the constructor's is mended already
        initial = insert_missing(problem, start, set(unassigned), deadline=completion_deadline)
        completed = completion_deadline is None or time.perf_counter() <= completion_deadline
    budget = _riding_budget(problem, set(unassigned), efficient) if budgeted else None
    if budget is not None and budget["cap_s"] is not None and previous:
        initial = _keep_previous(problem, set(unassigned), previous, budget) or efficient
    if budget is not None and budget["cap_s"] is not None and initial is not None:
        # Share the work within the cap before OR-Tools polishes the plan under the same cap: all
        # of it in a fresh plan; in a re-plan that keeps the previous plan, only the new jobs,
        # so that no proposal a dispatcher has seen changes (the churn) while new work still
        # goes to whoever has the least of it, as far as the budget allows.
        movable = None
        if initial is not efficient and previous:
            seen = {stop.shipment for stops in previous.values() for stop in stops}
            movable = {s.id for s in problem.shipments} - seen
        sharing = share_work(
            problem,
            initial,
            budget["cap_s"],
            math.inf
            if settings.iterations is not None
            else started + (settings.constructor_share + settings.sharing_share / 2) * settings.time_budget_s,
            movable,
        )
        initial, budget["sharing"] = sharing.routes, sharing.stats()
    model = solution = None
    # At scale the full model cannot be built within the budget (benchmarks/bench_scale.py):
    # OR-Tools then improves the start over the jobs the start holds, the others waiting for a
    # later round, or, if even that model is too large, the checked start is the plan.
    capped_riding = budget is not None and budget.get("cap_s") is not None
    left_out: set[str] = set()
    skip: str | None = None
    if clock and initial:
        remaining = started + settings.time_budget_s - time.perf_counter()
        full = _model_seconds(problem, candidates, riding_cap=capped_riding)
        if full > remaining + MODEL_OVERRUN_S:
            held = {stop.shipment for stops in initial.values() for stop in stops}
            if _model_seconds(problem, held, riding_cap=capped_riding) <= remaining + MODEL_OVERRUN_S:
                left_out = candidates - held
            else:
                skip = (
                    f"skipped: building the full model would take about {full:.1f} s "
                    f"({len(candidates)} jobs), {max(0.0, remaining):.1f} s were left; the checked start is the plan"
                )
    if skip is not None:
        assert initial is not None
        stats: dict[str, Any] = {"seconds": 0.0, "warm_start": False, "kept_warm_start": False, "status": None}
    elif capped_riding:
        assert budget is not None
        model = _Model(
            problem,
            replace(settings, time_budget_s=max(0.05, settings.time_budget_s - (time.perf_counter() - started))),
            excluded=set(unassigned) | left_out,
            riding_cap_s=budget["cap_s"],
        )
        solution, stats = model.solve(initial)
        if not stats["warm_start"]:
            # The full model rejected the efficient plan: under the cap its own first solution
            # could leave jobs out to stay within the budget. Plan without the cap instead.
            budget.update(cap_s=None, why="the full model rejected the efficient plan")
            model = None
    if model is None and skip is None:
        model = _Model(
            problem,
            replace(settings, time_budget_s=max(0.05, settings.time_budget_s - (time.perf_counter() - started))),
            excluded=set(unassigned) | left_out,
        )
        solution, stats = model.solve(initial)
    stats["riding_budget"] = budget
    stats["balanced_start"] = bool(balanced)
    stats["constructor"] = constructed or {"name": "ortools"}
    stats["ortools"] = skip or (
        f"over the {len(candidates) - len(left_out)} jobs of the start ({len(left_out)} left for a later round)"
        if left_out
        else "full model"
    )
    routes: dict[str, list[RouteStop]] = {c.id: [] for c in problem.couriers}
    eta_error: list[float] = []
    modelled: dict[tuple[str, StopKind], float] = {}
    if solution is not None and model is not None:
        routes = model.routes(solution)
        modelled = model.model_times(solution)
    elif initial:
        # The search found nothing, or was not run: the start is complete and every route of it
        # was checked against the model's limits (routing.insertion), so it is proposed rather
        # than nothing (issue 21: a round at 1,500 jobs ended with every job unplanned).
        routes = {c.id: list(initial.get(c.id, [])) for c in problem.couriers}
        stats["proposed_start"] = True
    served = {stop.shipment for stops in routes.values() for stop in stops}
    for sid in sorted(candidates - served):
        if sid in left_out or (skip is not None and not completed):
            unassigned[sid] = DEFERRED
        elif solution is not None or initial:
            unassigned[sid] = "no courier can fit it in with the other jobs (windows, loads or shift)"
        else:
            unassigned[sid] = NO_PLAN.get(
                stats["status"], f"the solver stopped without a plan (status {stats['status']})"
            )
    evaluations = {c.id: evaluate_route(problem, c, routes[c.id]) for c in problem.couriers}
    if modelled:
        for ev in evaluations.values():
            for t in ev.stops:
                eta_error.append(t.start - modelled[(t.shipment, t.kind)])
    explained_at = time.perf_counter()
    explanations = (
        explain(
            problem,
            evaluations,
            deadline=None if not clock else max(started + settings.time_budget_s, explained_at) + EXPLAIN_OVERRUN_S,
        )
        if settings.explain
        else {}
    )
    if budget is not None and budget.get("cap_s") is not None and efficient is not None:
        explanations = _explain_sharing(problem, explanations, efficient, evaluations, budget, previous)
    stats.update(
        total_seconds=round(time.perf_counter() - started, 3),
        explain_seconds=round(time.perf_counter() - explained_at, 3),
        objective=None if solution is None else solution.ObjectiveValue(),
        eta_error_s={
            "mean_abs": float(np.mean(np.abs(eta_error))) if eta_error else 0.0,
            "max_abs": float(np.max(np.abs(eta_error))) if eta_error else 0.0,
        },
    )
    return Plan(
        routes=evaluations,
        unassigned=unassigned,
        explanations=explanations,
        metrics=plan_metrics(problem, evaluations),
        solver=stats,
    )


def _model_seconds(problem: Problem, jobs: set[str], *, riding_cap: bool) -> float:
    """About how long building the OR-Tools model over ``jobs`` takes (``MODEL_S_PER_ENTRY_CLASS``)."""
    on_board = {s for c in problem.couriers for s in c.on_board}
    nodes = 2 * len(problem.couriers) + sum(1 if sid in on_board else 2 for sid in jobs)
    classes = len({(c.profile, round(PLANNING_LOAD_SHARE * c.payload_kg, 1)) for c in problem.couriers})
    return MODEL_S_PER_ENTRY_CLASS * nodes**2 * classes * (1.5 if riding_cap else 1.0)


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
    own = {c.id: owned_stops(problem, c) for c in problem.couriers}
    if not any(own.values()):
        return construct(
            problem,
            time_budget_s=time_budget_s,
            excluded=excluded,
            vehicle_fixed_cost_s=vehicle_fixed_cost_s,
            planning_load_share=PLANNING_LOAD_SHARE,
            seed=seed,
            balance=balance,
            iterations=iterations,
        )
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
    free = replace(
        problem,
        couriers=tuple(couriers),
        shipments=tuple(s for s in problem.shipments if s.id not in owned),
        locks=(),
        _index={},
    )
    built = construct(
        free,
        time_budget_s=time_budget_s,
        excluded=excluded - set(owned),
        vehicle_fixed_cost_s=vehicle_fixed_cost_s,
        planning_load_share=PLANNING_LOAD_SHARE,
        seed=seed,
        balance=balance,
        iterations=iterations,
    )
    routes = {cid: [*stops, *(built.routes or {}).get(cid, [])] for cid, stops in own.items()}
    return replace(built, routes=routes, stats={**built.stats, "after_owned_work": True})


def _riding_budget(
    problem: Problem, excluded: set[str], efficient: dict[str, list[RouteStop]] | None
) -> dict[str, Any]:
    """The cap on the plan's riding: the efficient plan's riding plus the cooperative's budget.

    Only when the efficient plan serves every job that can be served: a job it left out would
    have to fit under a cap that never counted its riding, and a cap must never cost a job.
    """
    share = problem.fairness_riding_budget
    assert share is not None
    out: dict[str, Any] = {"budget": share, "cap_s": None, "efficient_riding_s": None, "why": ""}
    if efficient is None:
        out["why"] = "no efficient plan to measure the budget against"
        return out
    planned = {stop.shipment for stops in efficient.values() for stop in stops}
    missing = [s.id for s in problem.shipments if s.id not in excluded and s.id not in planned]
    if missing:
        out["why"] = f"the efficient plan left {len(missing)} job(s) out"
        return out
    riding = plan_riding_s(problem, efficient)
    if riding is None:
        out["why"] = "the efficient plan rides between places that do not reach each other"
        return out
    out.update(efficient_riding_s=riding, cap_s=int(riding * (1.0 + share)), why="ok")
    return out


def _keep_previous(
    problem: Problem, excluded: set[str], previous: dict[str, list[RouteStop]], budget: dict[str, Any]
) -> dict[str, list[RouteStop]] | None:
    """The previous plan with the new jobs inserted, as the re-plan's start, if it serves every job.

    A re-plan that keeps the previous plan changes few proposals (the dispatchers' churn); one
    that restarts from the efficient plan changed 60-95 % of them on bench_city's days, so it
    does only when a new job fits nowhere in the previous plan. When the previous plan with the
    new jobs rides more than the cap (it used the budget, and the new jobs' rides come on top),
    the cap is raised to it for this round and ``budget["over_cap_s"]`` says by how much: the
    search from there can only lower the riding, and the next round measures it afresh.
    """
    routes = insert_missing(problem, previous, excluded, riding_cap_s=budget["cap_s"])
    served = {stop.shipment for stops in routes.values() for stop in stops}
    riding = plan_riding_s(problem, routes)
    if riding is None or any(s.id not in served and s.id not in excluded for s in problem.shipments):
        budget["start"] = "efficient plan"
        return None
    budget["start"] = "previous plan"
    if riding > budget["cap_s"]:
        budget.update(over_cap_s=riding - budget["cap_s"], cap_s=riding)
    return routes


def _explain_sharing(
    problem: Problem,
    explanations: dict[str, Explanation],
    efficient: dict[str, list[RouteStop]],
    routes: dict[str, RouteEvaluation],
    budget: dict[str, Any],
    previous: dict[str, list[RouteStop]] | None = None,
) -> dict[str, Explanation]:
    """Say so on every job whose courier is not the one of the efficient plan.

    The plain explanation gives this courier's share of shift; a dispatcher also needs to know
    that the plan with the least riding gave the job to someone else (to share the work, or, in
    a re-plan, because the previous plan did), and that the extra riding is bounded.
    """
    before = {stop.shipment: cid for cid, stops in efficient.items() for stop in stops}
    proposed = {stop.shipment: cid for cid, stops in (previous or {}).items() for stop in stops}
    couriers = {c.id: c for c in problem.couriers}

    def share(cid: str) -> float:
        c = couriers[cid]
        return (c.worked_s_today + routes[cid].work_s) / c.shift_length_s

    def expected(cid: str) -> float:
        return expected_day_share(couriers[cid], problem.now, routes[cid].work_s)

    out = dict(explanations)
    for sid, ex in explanations.items():
        other = before.get(sid)
        if other is None or other == ex.courier:
            continue
        # Only a move to someone with less of the day's work is "sharing"; a job left with a
        # busier courier stays there because an earlier proposal did (issue 15: the console
        # said sharing moved work *to* the busier courier).
        if share(ex.courier) < share(other):
            reason = (
                f"the plan with the least riding found gives it to {other} ({share(other):.0%} of their shift "
                f"worked in this plan); sharing the work may add at most {budget['budget']:.0%} riding to that plan"
            )
        elif proposed.get(sid) == ex.courier:
            reason = (
                f"kept with {ex.courier} as proposed before, so that proposals do not change under people's eyes "
                f"(the plan with the least riding found gives it to {other})"
            )
        elif expected(ex.courier) < expected(other):
            # The objective balances the share expected at the day's end: one who leaves soon
            # has less of their shift left to catch up in, though they worked more of it so far.
            left = max(0, couriers[ex.courier].shift_end - problem.now) // 60
            reason = (
                f"the plan with the least riding found gives it to {other}; sharing the work gives it to "
                f"{ex.courier}, whose shift ends in {left} min with less of it left to catch up "
                f"({expected(ex.courier):.0%} of their shift expected worked at the day's end, {other} "
                f"{expected(other):.0%}); sharing may add at most {budget['budget']:.0%} riding to that plan"
            )
        else:
            reason = (
                f"the plan with the least riding found gives it to {other}; within the riding budget, it fits "
                f"{ex.courier}'s route better"
            )
        out[sid] = replace(ex, reasons=(*ex.reasons, reason))
    return out


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
