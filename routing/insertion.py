"""Proposing a new job by insertion into the current plan: fast, and leaving the rest in place.

A full re-optimisation of a large day takes seconds; a client's new job needs a proposal at
once. The cheapest feasible insertion into each courier's current route is ranked with the
travel-time matrix and confirmed with the exact evaluator, and nothing else moves, so no
unrelated proposal changes. A background re-plan may later improve on it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from routing.evaluate import RouteEvaluation, RouteStop, StopKind, evaluate_route
from routing.model_limits import Prefix, owned_stops, owners, route_finish, route_holds, route_riding_s
from routing.objective import Objective
from routing.problem import Courier, Problem, Shipment, may_take, unservable_reason
from routing.reasons import Reason, reason

#: Candidate positions confirmed with the exact evaluator per courier.
POSITIONS_CHECKED = 3
#: Couriers whose matrix estimate exceeds the best confirmed insertion by this much are skipped
#: (loads make real detours a little longer than the empty-speed estimate, hence the margin).
PRUNE_FACTOR = 1.15
PRUNE_SLACK_MIN = 1.0


def feasible(problem: Problem, route: RouteEvaluation) -> bool:
    """The route keeps every hard limit under the exact speed model, its breaks included."""
    late_ok = problem.soft_windows or route.lateness_s == 0
    return late_ok and route.after_shift_s == 0 and not route.over_capacity and route.missed_breaks == 0


@functools.lru_cache(maxsize=256)
def _below_diagonal(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Drop-off before pickup: the same few route lengths come back for every job and courier."""
    rows, cols = np.tril_indices(n, -1)
    return rows, cols


def _deltas(problem: Problem, courier: Courier, shipment: Shipment, base: RouteEvaluation) -> np.ndarray | None:
    """Extra travel seconds (empty speeds) of every pickup/drop-off position pair; inf where invalid."""
    if not may_take(courier, shipment):
        return None
    seconds = problem.travel[courier.profile].seconds(0.0)
    places = np.array([courier.start] + [t.place for t in base.stops])
    following = np.append(places[1:], -1 if courier.end is None else courier.end)
    has_next = following >= 0
    nxt = np.where(has_next, following, 0)
    a, b = shipment.pickup, shipment.dropoff

    def detour(x: int) -> np.ndarray:
        return np.asarray(seconds[places, x] + np.where(has_next, seconds[x, nxt] - seconds[places, nxt], 0.0))

    n = places.shape[0]
    delta = detour(a)[:, None] + detour(b)[None, :]
    together = seconds[places, a] + seconds[a, b] + np.where(has_next, seconds[b, nxt] - seconds[places, nxt], 0.0)
    delta[np.arange(n), np.arange(n)] = together  # pickup and drop-off one after the other
    delta[_below_diagonal(n)] = np.inf
    return np.asarray(delta, dtype=np.float64)


def _confirm(
    problem: Problem,
    courier: Courier,
    stops: list[RouteStop],
    shipment: Shipment,
    base: RouteEvaluation,
    delta: np.ndarray,
) -> tuple[float, list[RouteStop]] | None:
    """The best of the matrix's cheapest positions that keeps every limit under the exact model."""
    n = delta.shape[0]
    for flat in np.argsort(delta, axis=None)[:POSITIONS_CHECKED]:
        i, j = divmod(int(flat), n)
        if not np.isfinite(delta[i, j]):
            break
        trial = list(stops)
        trial.insert(j, RouteStop(shipment.id, StopKind.DROPOFF))
        trial.insert(i, RouteStop(shipment.id, StopKind.PICKUP))
        evaluation = evaluate_route(problem, courier, trial)
        if feasible(problem, evaluation):
            return (evaluation.work_s - base.work_s) / 60.0, trial
    return None


def cheapest_insertion(
    problem: Problem, courier: Courier, stops: list[RouteStop], shipment: Shipment, base: RouteEvaluation
) -> tuple[float, list[RouteStop]] | None:
    """Extra work minutes and the new stops of the cheapest feasible insertion, or None."""
    delta = _deltas(problem, courier, shipment, base)
    return None if delta is None else _confirm(problem, courier, stops, shipment, base, delta)


@dataclass(frozen=True)
class Insertion:
    shipment: str
    courier: str | None  #: None: no courier can take it without breaking a limit
    stops: tuple[RouteStop, ...] = ()  #: the chosen courier's new route
    extra_minutes: float = 0.0
    reason: Reason | None = None  #: why no courier takes it (``routing/reasons.py``)


def insert_shipment(
    problem: Problem,
    routes: dict[str, list[RouteStop]],
    shipment_id: str,
    evaluations: dict[str, RouteEvaluation] | None = None,
) -> Insertion:
    """The courier whose route absorbs ``shipment_id`` at the least cost, all else unchanged.

    The cost is the plan's objective (:mod:`routing.objective`): the extra riding and handling,
    what it takes of the last minutes of the courier's shift, plus, with a fairness weight, what
    the extra work costs on that courier's day (work above a fair share, a day already full,
    heavy kilograms above an even share). ``evaluations`` (the
    exact timing of ``routes``) may be passed in when the caller keeps it.
    """
    shipment = problem.shipment(shipment_id)
    why = unservable_reason(problem, shipment)
    if why is not None:
        return Insertion(shipment_id, None, reason=why)
    planned = {t.shipment for stops in routes.values() for t in stops} | {shipment_id}
    objective = Objective.of(problem, sorted(planned))
    heavy = problem.is_heavy(shipment)

    def fairness_min(courier: Courier, base: RouteEvaluation, stops: list[RouteStop], extra_min: float) -> float:
        added = objective.added_cost(
            courier, base.work_s, _heavy_kg(problem, stops), np.array([60.0 * extra_min]), shipment, heavy
        )
        return float(added[0]) / 60.0

    # Rank couriers by the matrix estimate, confirm the most promising with the exact evaluator,
    # and stop once the estimate of the next is clearly above the best confirmed insertion.
    service_min = (shipment.pickup_service_s + shipment.dropoff_service_s) / 60.0
    ranked = []
    for courier in problem.couriers:
        stops = routes.get(courier.id, [])
        base = evaluations[courier.id] if evaluations else evaluate_route(problem, courier, stops)
        delta = _deltas(problem, courier, shipment, base)
        if delta is not None and np.isfinite(delta).any():
            estimate = float(delta.min()) / 60.0 + service_min
            ranked.append((estimate + fairness_min(courier, base, stops, estimate), courier, stops, base, delta))
    ranked.sort(key=lambda r: r[0])
    best: Insertion | None = None
    best_cost = float("inf")
    for estimate, courier, stops, base, delta in ranked:
        if best is not None and estimate > PRUNE_FACTOR * best_cost + PRUNE_SLACK_MIN:
            break
        found = _confirm(problem, courier, stops, shipment, base, delta)
        if found is None:
            continue
        ending = (_end_cost(problem, courier, found[1]) - _end_cost(problem, courier, stops)) / 60.0
        cost = found[0] + fairness_min(courier, base, stops, found[0]) + ending
        if cost < best_cost:
            best, best_cost = Insertion(shipment_id, courier.id, tuple(found[1]), found[0]), cost
    return best or Insertion(shipment_id, None, reason=reason("fits_nowhere"))


#: Candidate insertions (courier and positions, cheapest on the matrix first) checked per job.
#: Most fail at their first late stop, so a check is cheap; on bench_city's 500 jobs a job that
#: fits nowhere near its cheapest positions needed about 3,000 (0.05 s).
INSERTIONS_CHECKED = 5000


def still_valid(
    problem: Problem, routes: dict[str, list[RouteStop]], excluded: set[str] | frozenset[str] = frozenset()
) -> dict[str, list[RouteStop]]:
    """An earlier plan's routes without what no longer applies, one list per courier on shift:
    jobs done or withdrawn since are gone, a parcel picked up since has only its drop-off left,
    and a job a person has given to someone else leaves this courier's route."""
    owner = owners(problem)
    known = {s.id for s in problem.shipments} - excluded
    return {
        c.id: [
            stop
            for stop in routes.get(c.id, [])
            if stop.shipment in known
            and owner.get(stop.shipment, c.id) == c.id
            and not (stop.kind is StopKind.PICKUP and stop.shipment in c.on_board)
        ]
        for c in problem.couriers
    }


def insert_missing(
    problem: Problem,
    routes: dict[str, list[RouteStop]],
    excluded: set[str],
    *,
    deadline: float | None = None,
    riding_cap_s: int | None = None,
    tried: set[str] | None = None,
) -> dict[str, list[RouteStop]]:
    """``routes`` with every job missing from them inserted where it costs least.

    Nothing else moves: each job goes in at the positions of the couriers who may take it that
    cost least by the plan's objective (:mod:`routing.objective`: the riding it adds, on the
    travel matrix, plus the fairness cost of the work it adds to that courier's day), among
    those the model accepts (:func:`route_holds`). With fairness off that is the cheapest
    detour; with it on, a job no longer queues on the courier nearest to it while others who
    worked less today wait (issue 15: the live loop and replays place every new job here
    first). A job that fits nowhere stays out, and the solver reports it unplanned. Owned work
    (locked, on board) goes in first, and all of it, past ``deadline`` (a
    ``time.perf_counter()`` instant) too; other jobs left when the deadline passes stay out for
    OR-Tools' own search.

    ``riding_cap_s``, the members' riding budget for the round (:mod:`routing.solver`): a job
    goes where the objective says only while the plan's riding (as the model counts it) stays
    under the cap; past it, where it adds the least riding. Without it, the budget bound only
    what sharing moved, never where new jobs went.

    ``tried`` collects the jobs it tried (placed or not): a job left out untried is no proof
    that it fits nowhere.
    """
    owner = owners(problem)
    out = still_valid(problem, routes, excluded)
    present = {stop.shipment for stops in out.values() for stop in stops}
    objective = Objective.of(problem, [s.id for s in problem.shipments if s.id not in excluded])
    # Each job changes one route: the others' timing and heavy kilograms are kept between jobs.
    timed: dict[str, tuple[RouteEvaluation, float]] = {}
    prefixes: dict[str, Prefix | None] = {}
    cap = _Riding(problem, out, riding_cap_s)
    for s in sorted(problem.shipments, key=lambda x: x.id not in owner):
        if s.id in present or s.id in excluded:
            continue
        if deadline is not None and s.id not in owner and time.perf_counter() > deadline:
            break
        if tried is not None:
            tried.add(s.id)
        options = _options(problem, s, out, owner, objective, timed)
        _choose(problem, s.id, out, options, cap, prefixes)
        for cid, stops in cap.changed():
            out[cid] = stops
            timed.pop(cid, None)
            prefixes.pop(cid, None)
    return out


def _options(
    problem: Problem,
    s: Shipment,
    routes: dict[str, list[RouteStop]],
    owner: dict[str, str],
    objective: Objective,
    timed: dict[str, tuple[RouteEvaluation, float]],
) -> Iterator[tuple[float, int, int, int]]:
    """Every position of ``s`` in the routes of the couriers who may take it, as (cost, courier,
    pickup position, drop-off position; -1: no pickup), cost by the plan's objective on the
    matrix, cheapest first (ties by courier, then positions), at most ``INSERTIONS_CHECKED``.
    ``timed`` keeps each route's timing and heavy kilograms until the route changes.

    The options stay numpy arrays until they are read, cheapest first: a Python tuple per
    position and a sort of them took 40 % of the completion of bench_city's 500 jobs / 60
    couriers (1.9 of 4.6 s for 168 jobs), and the choice usually stops after a few options.
    """
    costs: list[np.ndarray] = []
    columns: list[np.ndarray] = []
    heavy = problem.is_heavy(s)
    for v, c in enumerate(problem.couriers):
        if owner.get(s.id, c.id) != c.id:
            continue
        if s.id in c.on_board:  # only its drop-off is left: any position
            n = len(routes[c.id]) + 1
            costs.append(np.zeros(n))
            columns.append(np.stack([np.full(n, v), np.full(n, -1), np.arange(n)], axis=1))
            continue
        if c.id not in timed:
            timed[c.id] = (evaluate_route(problem, c, routes[c.id]), _heavy_kg(problem, routes[c.id]))
        base, heavy_kg = timed[c.id]
        delta = _deltas(problem, c, s, base)
        if delta is None:
            continue
        where = np.argwhere(np.isfinite(delta))
        riding = delta[where[:, 0], where[:, 1]]
        costs.append(
            riding
            + objective.added_cost(
                c, base.work_s, heavy_kg, riding + s.pickup_service_s + s.dropoff_service_s, s, heavy
            )
        )
        columns.append(np.column_stack([np.full(len(where), v), where]))
    if not costs:
        return iter(())
    cost = np.concatenate(costs).astype(np.float64)
    v_i_j = np.concatenate(columns).astype(np.int64)
    order = np.lexsort((v_i_j[:, 2], v_i_j[:, 1], v_i_j[:, 0], cost))[:INSERTIONS_CHECKED]
    picked = v_i_j[order]
    return zip(cost[order].tolist(), picked[:, 0].tolist(), picked[:, 1].tolist(), picked[:, 2].tolist(), strict=True)


#: Candidates that hold checked per job once the cheapest that holds runs into the end of a shift.
SHIFT_END_CHECKS = 50


def _choose(
    problem: Problem,
    sid: str,
    routes: dict[str, list[RouteStop]],
    options: Iterable[tuple[float, int, int, int]],
    cap: _Riding,
    prefixes: dict[str, Prefix | None] | None = None,
) -> None:
    """Give ``sid`` the option (cost, courier, pickup and drop-off positions; cheapest first) that
    holds, fits under the riding cap, and costs least once the end of the courier's shift is
    counted (:meth:`Objective.shift_end_cost`, which only adds: the first option that does not
    run into it is the one). ``prefixes`` keeps each route's :class:`Prefix` (which rules out
    what cannot hold without timing it) until the route changes."""
    cap.new_job()
    best: tuple[float, Courier, list[RouteStop]] | None = None
    held = 0
    shipment = problem.shipment(sid)
    known = {} if prefixes is None else prefixes
    for cost, v, i, j in options:
        if best is not None and (cost >= best[0] or held > SHIFT_END_CHECKS):
            break
        c = problem.couriers[v]
        if c.id not in known:
            known[c.id] = Prefix.of(problem, c, routes[c.id])
        prefix = known[c.id]
        if prefix is not None and prefix.rules_out(problem, shipment, i, j):
            if best is None and cap.gave_up():
                break
            continue
        trial = list(routes[c.id])
        trial.insert(j, RouteStop(sid, StopKind.DROPOFF))
        if i >= 0:
            trial.insert(i, RouteStop(sid, StopKind.PICKUP))
        if route_holds(problem, c, trial) and cap.admits(c, trial):
            held += 1
            total = cost + _end_cost(problem, c, trial) - _end_cost(problem, c, routes[c.id])
            if best is None or total < best[0]:
                best = (total, c, trial)
            continue
        if best is None and cap.gave_up():
            break
    if best is not None:
        cap.take(best[1], best[2])
    else:
        cap.fall_back()


def _end_cost(problem: Problem, courier: Courier, stops: list[RouteStop]) -> float:
    finish = route_finish(problem, courier, stops)
    return 0.0 if finish is None else Objective.shift_end_cost(courier, finish, problem.shift_end_margin_s)


#: Under a riding cap, candidates checked past the first that holds but rides over the cap.
OVER_CAP_CHECKS = 200


class _Riding:
    """The plan's riding under the members' cap, kept per route as jobs go in; for each job it
    admits trials under the cap and remembers the least-riding one that is not."""

    def __init__(self, problem: Problem, routes: dict[str, list[RouteStop]], cap_s: int | None) -> None:
        self.problem, self.cap_s = problem, cap_s
        self.riding: dict[str, int | None] = (
            {c.id: route_riding_s(problem, c, routes[c.id]) for c in problem.couriers} if cap_s is not None else {}
        )
        self.best: tuple[int, Courier, list[RouteStop]] | None = None
        self.after_best = 0
        self._changed: list[tuple[str, list[RouteStop]]] = []

    def new_job(self) -> None:
        self.best, self.after_best, self._changed = None, 0, []

    def _total(self) -> int | None:
        values = list(self.riding.values())
        return None if any(x is None for x in values) else sum(x for x in values if x is not None)

    def admits(self, courier: Courier, trial: list[RouteStop]) -> bool:
        total = self._total() if self.cap_s is not None else None
        if self.cap_s is None or total is None:
            return True
        added = (route_riding_s(self.problem, courier, trial) or 0) - (self.riding[courier.id] or 0)
        if total + added <= self.cap_s:
            self.best = None
            return True
        if self.best is None or added < self.best[0]:
            self.best = (added, courier, trial)
        return False

    def gave_up(self) -> bool:
        if self.best is None:
            return False
        self.after_best += 1
        return self.after_best > OVER_CAP_CHECKS

    def take(self, courier: Courier, trial: list[RouteStop]) -> None:
        self._changed.append((courier.id, trial))
        if self.cap_s is not None:
            self.riding[courier.id] = route_riding_s(self.problem, courier, trial)

    def fall_back(self) -> None:
        """No candidate under the cap: the job goes where it adds the least riding."""
        if self.best is not None:
            _, courier, trial = self.best
            self.best = None
            self.take(courier, trial)

    def changed(self) -> list[tuple[str, list[RouteStop]]]:
        return self._changed


def _heavy_kg(problem: Problem, stops: list[RouteStop]) -> float:
    """Heavy kilograms this route picks up (what the objective's heavy term counts)."""
    return sum(
        problem.shipment(t.shipment).weight_kg
        for t in stops
        if t.kind is StopKind.PICKUP and problem.is_heavy(problem.shipment(t.shipment))
    )


def repair(problem: Problem, routes: dict[str, list[RouteStop]]) -> dict[str, list[RouteStop]]:
    """An earlier plan's routes, each made acceptable to the model again.

    A route that no longer holds (time moved on, a shift was shortened, a job was locked onto
    someone else) keeps its owned work in its order, or in the plain order of
    :func:`routing.model_limits.owned_stops` if that order no longer holds, and gives its other
    jobs back to be inserted again.
    """
    out = still_valid(problem, routes)
    owner = owners(problem)
    for c in problem.couriers:
        stops = out[c.id]
        if route_holds(problem, c, stops):
            continue
        own = [stop for stop in stops if owner.get(stop.shipment) == c.id]
        out[c.id] = own if route_holds(problem, c, own) else owned_stops(problem, c)
    return out
