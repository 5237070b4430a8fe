"""The OR-Tools model: pickup-and-delivery with windows, loads, shifts, locks and fairness.

One model per round (two with the capped balanced start): nodes for each courier's start and
end and each job's pickup and drop-off, the shifts' breaks as break intervals, one travel class
per (vehicle profile, planning load), and dimensions for time, work, weight, volume, heavy
kilograms and, under a riding budget, riding. How the problem is encoded (units, windows, raised rooms, penalties) is
:mod:`routing.encoding`'s; the objective's terms are :mod:`routing.objective`'s. The model reads
a start (``initial``) and its best solution back as courier routes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.encoding import (
    LOCKED_UNSERVED_PENALTY,
    UNSERVED_PENALTY,
    decilitres,
    grams,
    on_board_grams,
    room_grams,
    window_bounds,
    window_due,
)
from routing.evaluate import RouteStop, StopKind, pending_breaks
from routing.model_limits import PLANNING_LOAD_SHARE, service_starts, shift_limit
from routing.objective import HEAVY_KG_SECONDS, SHIFT_END_COST_PER_S, Objective
from routing.problem import Courier, Problem, may_take
from routing.settings import SolverSettings
from routing.stats import SearchStats

#: Objective units per second (OR-Tools works in integers).
SCALE = 100
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
#: Slack added to the horizon past the latest shift end, window or ``now``.
HORIZON_SLACK_S = 86_400


def model_seconds(problem: Problem, jobs: set[str], *, riding_cap: bool) -> float:
    """About how long building the OR-Tools model over ``jobs`` takes (``MODEL_S_PER_ENTRY_CLASS``)."""
    on_board = {s for c in problem.couriers for s in c.on_board}
    nodes = 2 * len(problem.couriers) + sum(1 if sid in on_board else 2 for sid in jobs)
    classes = len({_travel_class(c) for c in problem.couriers})
    return MODEL_S_PER_ENTRY_CLASS * nodes**2 * classes * (1.5 if riding_cap else 1.0)


def _travel_class(courier: Courier) -> tuple[str, float]:
    """Couriers who ride alike in the model: the same profile at the same planning load."""
    return (courier.profile, round(PLANNING_LOAD_SHARE * courier.payload_kg, 1))


@dataclass
class _Node:
    place: int  #: -1: an open route's end, anywhere
    shipment: str | None = None
    kind: StopKind | None = None


class OrToolsModel:
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
        self.locked = {lock.shipment: lock.courier for lock in problem.locks}
        self.on_board = {s: c.id for c in problem.couriers for s in c.on_board}
        starts, ends = self._add_nodes(excluded)
        self.manager = pywrapcp.RoutingIndexManager(len(self.nodes), len(problem.couriers), starts, ends)
        self.routing = pywrapcp.RoutingModel(self.manager)
        self._build()
        #: The search's time limit counts from before the build: a build of 0.6 s (500 jobs / 60
        #: couriers) otherwise came on top of the budget (benchmarks/bench_scale.py).
        self.build_seconds = time.perf_counter() - building

    def _add_nodes(self, excluded: set[str]) -> tuple[list[int], list[int]]:
        """Each courier's start and end, then each job's pickup (none when on board) and drop-off."""
        self.nodes: list[_Node] = []
        starts, ends = [], []
        for c in self.problem.couriers:
            starts.append(len(self.nodes))
            self.nodes.append(_Node(c.start))
            ends.append(len(self.nodes))
            self.nodes.append(_Node(-1 if c.end is None else c.end))
        self.pairs: dict[str, tuple[int | None, int]] = {}
        for s in self.problem.shipments:
            if s.id in excluded:
                continue
            pickup = None
            if s.id not in self.on_board:
                pickup = len(self.nodes)
                self.nodes.append(_Node(s.pickup, s.id, StopKind.PICKUP))
            self.nodes.append(_Node(s.dropoff, s.id, StopKind.DROPOFF))
            self.pairs[s.id] = (pickup, len(self.nodes) - 1)
        return starts, ends

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
        # Node-numbered: RegisterTransitMatrix maps routing indices to nodes itself.
        return np.rint(matrix).astype(np.int64), self._service()

    def _service(self) -> NDArray[np.int64]:
        """Each node's service seconds (0 at a route's start and end)."""
        service = np.zeros(len(self.nodes))
        for i, node in enumerate(self.nodes):
            if node.shipment is not None:
                s = self.problem.shipment(node.shipment)
                service[i] = s.pickup_service_s if node.kind is StopKind.PICKUP else s.dropoff_service_s
        return np.rint(service).astype(np.int64)

    def _build(self) -> None:
        p = self.problem
        horizon = max([c.shift_end for c in p.couriers] + [s.dropoff_window[1] for s in p.shipments] + [p.now])
        horizon += HORIZON_SLACK_S
        transit, riding = self._transits()
        self.routing.AddDimensionWithVehicleTransits(transit, horizon, horizon, False, "time")
        self.time = self.routing.GetDimensionOrDie("time")
        self.routing.AddDimensionWithVehicleTransits(transit, 0, horizon, True, "work")
        work = self.routing.GetDimensionOrDie("work")
        self._shifts()
        self._breaks()
        heavy = self._loads()
        self._jobs(horizon)
        self._ordered_locks()
        if p.fairness_weight > 0 and p.couriers:
            self._fairness(work, heavy)
        if self.riding_cap_s is not None:
            self._riding_cap(riding, horizon)

    def _transits(self) -> tuple[list[int], list[int]]:
        """Each courier's time transit (riding and service) and arc cost, registered once per
        travel class; with a riding cap, each courier's riding transit (service excluded)."""
        routing = self.routing
        classes: dict[tuple[str, float], tuple[int, int, NDArray[np.int64]]] = {}
        riding_class: dict[tuple[str, float], int] = {}
        transit: list[int] = []
        riding: list[int] = []
        for v, c in enumerate(self.problem.couriers):
            key = _travel_class(c)
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
        return transit, riding

    def _shifts(self) -> None:
        """Each route starts within the shift and ends by :func:`shift_limit`, its last minutes soft."""
        p, routing = self.problem, self.routing
        for v, c in enumerate(p.couriers):
            self.time.CumulVar(routing.Start(v)).SetRange(max(c.shift_start, p.now), max(c.shift_end, p.now))
            self.time.CumulVar(routing.End(v)).SetRange(0, shift_limit(p, c))
            # The objective's end of a shift (routing.objective.Objective.shift_end_cost).
            if p.shift_end_margin_s > 0:
                end_free = max(0, c.shift_end - p.shift_end_margin_s)
                self.time.SetCumulVarSoftUpperBound(routing.End(v), end_free, round(SCALE * SHIFT_END_COST_PER_S))
            routing.AddVariableMinimizedByFinalizer(self.time.CumulVar(routing.Start(v)))
            routing.AddVariableMinimizedByFinalizer(self.time.CumulVar(routing.End(v)))

    def _breaks(self) -> None:
        """The shift's breaks as OR-Tools break intervals on the time dimension (issue 18).

        Each break is a fixed-duration interval starting inside its window; it may not overlap a
        stop's service (the node visit transits), so it falls on a leg (riding resumes after it)
        or in a wait, as :class:`routing.evaluate.Pauses` takes it, or before the route's start
        or after its end. Breaks already past (:func:`routing.evaluate.pending_breaks`) are left out.
        """
        p, routing = self.problem, self.routing
        if not any(c.breaks for c in p.couriers):
            return
        service = self._service()
        visits = [int(service[self.manager.IndexToNode(i)]) for i in range(routing.Size())]
        solver = routing.solver()
        for v, c in enumerate(p.couriers):
            pending = pending_breaks(c, max(c.shift_start, p.now))
            if not pending:
                continue
            intervals = [
                solver.FixedDurationIntervalVar(b.earliest, b.latest_start, b.duration_s, False, f"break {c.id} {k}")
                for k, b in enumerate(pending)
            ]
            self.time.SetBreakIntervalsOfVehicle(intervals, v, visits)

    def _loads(self) -> list[int]:
        """Weight and volume dimensions (room raised for owned work, :mod:`routing.encoding`);
        returns each node's heavy kilograms picked up, for the fairness terms."""
        p, routing = self.problem, self.routing
        weight = [0] * len(self.nodes)
        volume = [0] * len(self.nodes)
        heavy = [0] * len(self.nodes)
        for sid, (pickup, dropoff) in self.pairs.items():
            s = p.shipment(sid)
            g, dl = grams(s.weight_kg), decilitres(s.volume_l)
            if pickup is not None:
                weight[pickup], volume[pickup] = g, dl
                heavy[pickup] = round(s.weight_kg) if p.is_heavy(s) else 0
            weight[dropoff], volume[dropoff] = -g, -dl
        rooms = [room_grams(p, c, [s for s, who in self.locked.items() if who == c.id]) for c in p.couriers]
        aboard = [on_board_grams(p, c) for c in p.couriers]
        for k, (name, demand) in enumerate((("kg", weight), ("litres", volume))):
            index = routing.RegisterUnaryTransitVector(demand)
            routing.AddDimensionWithVehicleCapacity(index, 0, [room[k] for room in rooms], False, name)
            dim = routing.GetDimensionOrDie(name)
            for v in range(len(p.couriers)):
                dim.CumulVar(routing.Start(v)).SetValue(aboard[v][k])
        return heavy

    def _jobs(self, horizon: int) -> None:
        """Windows, who may take each job, pickup before drop-off on one vehicle, and what
        leaving a job out costs (owned work: far more than any free job)."""
        p, routing, manager = self.problem, self.routing, self.manager
        solver = routing.solver()
        for sid, (pickup, dropoff) in self.pairs.items():
            s = p.shipment(sid)
            d_index = manager.NodeToIndex(dropoff)
            owner = self.locked.get(sid) or self.on_board.get(sid)
            # Owned work (a person's decision, a parcel on board) is done late rather than dropped.
            self._window(d_index, s.dropoff_window, horizon, soft=owner is not None)
            allowed = (
                [i for i, c in enumerate(p.couriers) if c.id == owner]
                if owner
                else [i for i, c in enumerate(p.couriers) if may_take(c, s)]
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

    def _ordered_locks(self) -> None:
        """Locks that keep their order: each locked pickup no later than the next one."""
        previous: dict[str, int] = {}
        solver = self.routing.solver()
        for lock in self.problem.locks:
            pair = self.pairs.get(lock.shipment)
            if not lock.keep_order or pair is None or pair[0] is None:
                continue
            idx = self.manager.NodeToIndex(pair[0])
            if lock.courier in previous:
                solver.Add(self.time.CumulVar(previous[lock.courier]) <= self.time.CumulVar(idx))
            previous[lock.courier] = idx

    def _riding_cap(self, riding: list[int], horizon: int) -> None:
        """The riding budget: the plan's riding (the model's, service excluded) summed over all
        couriers stays under the cap. Routing dimensions bound one route each, so the sum is a
        plain constraint, checked on every move the local search proposes."""
        assert self.riding_cap_s is not None
        routing = self.routing
        routing.AddDimensionWithVehicleTransits(riding, 0, horizon, True, "riding")
        ride = routing.GetDimensionOrDie("riding")
        ends = [ride.CumulVar(routing.End(v)) for v in range(len(self.problem.couriers))]
        solver = routing.solver()
        solver.Add(solver.Sum(ends) <= self.riding_cap_s)

    def _allow(self, vehicles: list[int], index: int) -> None:
        """Only these couriers may visit ``index`` (-1: the stop may stay unperformed).

        The SWIG wrapper of SetAllowedVehiclesForIndex rejects Python lists in OR-Tools 9.15,
        so the vehicle variable's domain is restricted directly, which is what it does inside.
        """
        self.routing.VehicleVar(index).SetValues([-1, *vehicles])

    def _window(self, index: int, window: tuple[int, int], horizon: int, *, soft: bool = False) -> None:
        opens, closes = window_bounds(window)
        if self.problem.soft_windows or soft:
            self.time.CumulVar(index).SetRange(opens, horizon)
            self.time.SetCumulVarSoftUpperBound(
                index, window_due(window), max(1, round(SCALE * self.problem.lateness_cost_per_s))
            )
        else:
            self.time.CumulVar(index).SetRange(opens, closes)

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

    def _parameters(self) -> Any:
        """The search's parameters: first solution, neighbours, metaheuristic and limits."""
        settings = self.settings
        params = pywrapcp.DefaultRoutingSearchParameters()
        strategy = {
            "parallel_insertion": routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION,
            "local_insertion": routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION,
        }
        params.first_solution_strategy = strategy[settings.first_solution]
        ratio = settings.neighbors_ratio
        if ratio is None:
            ratio = 1.0 if len(self.nodes) < AUTO_NEIGHBOURS_FROM else 0.1
        params.global_cheapest_insertion_first_solution_parameters.neighbors_ratio = ratio
        if settings.ls_neighbors_ratio is not None:
            params.ls_operator_neighbors_ratio = settings.ls_neighbors_ratio
            params.ls_operator_min_neighbors = settings.min_neighbors
        params.global_cheapest_insertion_first_solution_parameters.min_neighbors = settings.min_neighbors
        if settings.first_solution_only:
            params.solution_limit = 1
        elif settings.iterations is not None:
            # Down to a local optimum and no further: it ends by itself, the same way every
            # time. (Guided local search with a solution limit took 1.3 s a round on the demo
            # day at fairness 0, finding few solutions it counted.)
            params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
            # At most this many improving moves: a 500-job day's rounds took minutes to reach
            # their local optimum; the count ends the search the same way every time.
            params.solution_limit = max(10, settings.iterations // 2)
        else:
            params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        limit_s = max(min(0.05, settings.time_budget_s), settings.time_budget_s - self.build_seconds)
        params.time_limit.FromMilliseconds(max(1, round(limit_s * 1000)))
        return params

    def solve(self, initial: dict[str, list[RouteStop]] | None) -> tuple[Any, SearchStats]:
        """The best solution found (None: none) from ``initial`` when the model accepts it."""
        params = self._parameters()
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
        return solution, SearchStats(
            seconds=round(time.perf_counter() - started, 3),
            build_seconds=round(self.build_seconds, 3),
            warm_start=warm,
            kept_warm_start=kept,
            status=int(self.routing.status()),
        )

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

    def _visits(self, solution: Any) -> list[list[tuple[str, StopKind, int]]]:
        """Each courier's visits in order: the job, the kind of stop, and its routing index."""
        out = []
        for v in range(len(self.problem.couriers)):
            visits = []
            index = solution.Value(self.routing.NextVar(self.routing.Start(v)))
            while not self.routing.IsEnd(index):
                node = self.nodes[self.manager.IndexToNode(index)]
                assert node.shipment is not None and node.kind is not None
                visits.append((node.shipment, node.kind, index))
                index = solution.Value(self.routing.NextVar(index))
            out.append(visits)
        return out

    def routes(self, solution: Any) -> dict[str, list[RouteStop]]:
        """Each courier's stops in the solution."""
        return {
            c.id: [RouteStop(shipment, kind) for shipment, kind, _ in visits]
            for c, visits in zip(self.problem.couriers, self._visits(solution), strict=True)
        }

    def model_times(self, solution: Any) -> dict[tuple[str, StopKind], float]:
        """When each stop's service starts in the model (to measure the ETAs' gap).

        A courier with breaks: the route timed the model's way outside it
        (:func:`routing.model_limits.service_starts`), as the scheduler leaves those times loose.
        """
        times: dict[tuple[str, StopKind], float] = {}
        for c, visits in zip(self.problem.couriers, self._visits(solution), strict=True):
            if c.breaks:
                stops = [RouteStop(shipment, kind) for shipment, kind, _ in visits]
                starts = service_starts(self.problem, c, stops)
                times.update({(s.shipment, s.kind): float(t) for s, t in zip(stops, starts, strict=False)})
            else:
                times.update({(x, kind): float(solution.Min(self.time.CumulVar(i))) for x, kind, i in visits})
        return times
