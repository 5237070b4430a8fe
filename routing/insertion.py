"""Proposing a new job by insertion into the current plan: fast, and leaving the rest in place.

A full re-optimisation of a large day takes seconds; a client's new job needs a proposal at
once. The cheapest feasible insertion into each courier's current route is ranked with the
travel-time matrix and confirmed with the exact evaluator, and nothing else moves, so no
unrelated proposal changes. A background re-plan may later improve on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from routing.evaluate import RouteEvaluation, RouteStop, StopKind, evaluate_route
from routing.problem import Courier, Problem, Shipment, may_take, unservable_reason

#: Candidate positions confirmed with the exact evaluator per courier.
POSITIONS_CHECKED = 3
#: Couriers whose matrix estimate exceeds the best confirmed insertion by this much are skipped
#: (loads make real detours a little longer than the empty-speed estimate, hence the margin).
PRUNE_FACTOR = 1.15
PRUNE_SLACK_MIN = 1.0


def feasible(problem: Problem, route: RouteEvaluation) -> bool:
    """The route keeps every hard limit under the exact speed model."""
    late_ok = problem.soft_windows or route.lateness_s == 0
    return late_ok and route.after_shift_s == 0 and not route.over_capacity


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
    delta[np.tril_indices(n, -1)] = np.inf
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
    reason: str = ""


def insert_shipment(
    problem: Problem,
    routes: dict[str, list[RouteStop]],
    shipment_id: str,
    evaluations: dict[str, RouteEvaluation] | None = None,
) -> Insertion:
    """The courier whose route absorbs ``shipment_id`` at the least extra work, all else unchanged.

    ``evaluations`` (the exact timing of ``routes``) may be passed in when the caller keeps it.
    """
    shipment = problem.shipment(shipment_id)
    reason = unservable_reason(problem, shipment)
    if reason is not None:
        return Insertion(shipment_id, None, reason=reason)
    # Rank couriers by the matrix estimate, confirm the most promising with the exact evaluator,
    # and stop once the estimate of the next is clearly above the best confirmed insertion.
    service_min = (shipment.pickup_service_s + shipment.dropoff_service_s) / 60.0
    ranked = []
    for courier in problem.couriers:
        stops = routes.get(courier.id, [])
        base = evaluations[courier.id] if evaluations else evaluate_route(problem, courier, stops)
        delta = _deltas(problem, courier, shipment, base)
        if delta is not None and np.isfinite(delta).any():
            ranked.append((float(delta.min()) / 60.0 + service_min, courier, stops, base, delta))
    ranked.sort(key=lambda r: r[0])
    best: Insertion | None = None
    for estimate, courier, stops, base, delta in ranked:
        if best is not None and estimate > PRUNE_FACTOR * best.extra_minutes + PRUNE_SLACK_MIN:
            break
        found = _confirm(problem, courier, stops, shipment, base, delta)
        if found is not None and (best is None or found[0] < best.extra_minutes):
            best = Insertion(shipment_id, courier.id, tuple(found[1]), found[0])
    return best or Insertion(
        shipment_id, None, reason="no courier can fit it into their current route (windows, loads or shift)"
    )
