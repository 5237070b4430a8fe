"""Why this courier: an explanation for every proposed job, in words a dispatcher reads at a glance.

For each served job: what it adds to the chosen courier's route (exactly, with the evaluator),
the load after pickup against the vehicle's payload, the courier's share of shift worked after
the plan against the cooperative's, why the vehicle matters (weight, length, heavy-load sharing),
and what the best other couriers would cost. Alternatives are found by the cheapest insertion
into each other courier's route, ranked by travel-time matrix and confirmed by the evaluator.
"""

from __future__ import annotations

import numpy as np

from routing.evaluate import RouteEvaluation, RouteStop, StopKind, evaluate_route
from routing.plan import Alternative, Explanation
from routing.problem import Courier, Problem, Shipment

#: How many other couriers are confirmed with the exact evaluator per job.
CANDIDATES = 4


def _feasible(problem: Problem, route: RouteEvaluation) -> bool:
    late_ok = problem.soft_windows or route.lateness_s == 0
    return late_ok and route.after_shift_s == 0 and not route.over_capacity


def _insertion(
    problem: Problem, courier: Courier, stops: list[RouteStop], shipment: Shipment, base: RouteEvaluation
) -> float | None:
    """Extra work minutes of the cheapest feasible insertion of ``shipment``, or None."""
    if (
        shipment.weight_kg > courier.payload_kg
        or shipment.volume_l > courier.volume_l
        or shipment.length_cm > courier.max_length_cm
    ):
        return None
    seconds = problem.travel[courier.profile].seconds(0.0)
    places = [courier.start] + [t.place for t in base.stops]
    nxt = places[1:] + ([courier.end] if courier.end is not None else [None])
    a, b = shipment.pickup, shipment.dropoff

    def detour(x: int) -> np.ndarray:
        return np.array(
            [
                seconds[p, x] + (seconds[x, q] - seconds[p, q] if q is not None else 0.0)
                for p, q in zip(places, nxt, strict=True)
            ]
        )

    ins_a, ins_b = detour(a), detour(b)
    n = len(places)
    delta = ins_a[:, None] + ins_b[None, :]
    for i in range(n):  # pickup and drop-off one after the other
        q = nxt[i]
        delta[i, i] = (
            seconds[places[i], a] + seconds[a, b] + (seconds[b, q] - seconds[places[i], q] if q is not None else 0.0)
        )
    delta[np.tril_indices(n, -1)] = np.inf
    for flat in np.argsort(delta, axis=None)[:3]:
        i, j = divmod(int(flat), n)
        if not np.isfinite(delta[i, j]):
            break
        trial = list(stops)
        trial.insert(j, RouteStop(shipment.id, StopKind.DROPOFF))
        trial.insert(i, RouteStop(shipment.id, StopKind.PICKUP))
        evaluation = evaluate_route(problem, courier, trial)
        if _feasible(problem, evaluation):
            return (evaluation.work_s - base.work_s) / 60.0
    return None


def explain(
    problem: Problem, routes: dict[str, RouteEvaluation], *, max_alternatives: int = 2
) -> dict[str, Explanation]:
    """An :class:`Explanation` for every shipment served in ``routes``."""
    couriers = {c.id: c for c in problem.couriers}
    total_shift = sum(c.shift_length_s for c in problem.couriers) or 1.0
    coop_share = sum(c.worked_s_today + routes[c.id].work_s for c in problem.couriers) / total_shift
    locked = {lock.shipment for lock in problem.locks}
    on_board = {s for c in problem.couriers for s in c.on_board}
    heavy_able = problem.heavy_able()
    plain_stops = {cid: [RouteStop(t.shipment, t.kind) for t in r.stops] for cid, r in routes.items()}
    out: dict[str, Explanation] = {}
    for cid, route in routes.items():
        courier = couriers[cid]
        share = (courier.worked_s_today + route.work_s) / courier.shift_length_s
        for timing in route.stops:
            if timing.kind is not StopKind.PICKUP and timing.shipment not in on_board:
                continue
            s = problem.shipment(timing.shipment)
            without = evaluate_route(problem, courier, [t for t in plain_stops[cid] if t.shipment != s.id])
            extra = (route.work_s - without.work_s) / 60.0
            reasons = [f"adds {extra:.1f} min of riding and handling to {cid}'s route"]
            if s.id in locked:
                reasons.insert(0, "a dispatcher decided it (locked)")
            if s.id in on_board:
                reasons.insert(0, "the parcel is already on board")
            capable = [
                c
                for c in problem.couriers
                if s.weight_kg <= c.payload_kg and s.volume_l <= c.volume_l and s.length_cm <= c.max_length_cm
            ]
            if len(capable) < len(problem.couriers):
                reasons.append(
                    f"only {len(capable)} of {len(problem.couriers)} couriers' vehicles take "
                    f"{s.weight_kg:g} kg, {s.volume_l:g} L, {s.length_cm:g} cm"
                )
            if problem.is_heavy(s) and len(heavy_able) > 1:
                fewest = min(c.heavy_kg_today for c in heavy_able)
                if courier.heavy_kg_today <= fewest:
                    reasons.append(
                        f"heavy parcel: {cid} has carried the fewest heavy kilograms today "
                        f"({courier.heavy_kg_today:g} kg) among those who can carry it"
                    )
                else:
                    reasons.append(
                        f"heavy parcel: {cid} has carried {courier.heavy_kg_today:g} heavy kg today "
                        f"(fewest among those able: {fewest:g} kg)"
                    )
            if problem.fairness_weight > 0:
                reasons.append(f"{cid} will have worked {share:.0%} of their shift (cooperative: {coop_share:.0%})")
            alternatives = _alternatives(problem, s, cid, routes, plain_stops, max_alternatives)
            load_after = next(
                (t.load_kg for t in route.stops if t.shipment == s.id and t.kind is StopKind.PICKUP), timing.load_kg
            )
            out[s.id] = Explanation(
                shipment=s.id,
                courier=cid,
                extra_minutes=extra,
                load_after_pickup_kg=load_after,
                payload_kg=courier.payload_kg,
                worked_share_after=share,
                cooperative_share_after=coop_share,
                reasons=tuple(reasons),
                alternatives=alternatives,
            )
    return out


def _alternatives(
    problem: Problem,
    shipment: Shipment,
    chosen: str,
    routes: dict[str, RouteEvaluation],
    stops: dict[str, list[RouteStop]],
    limit: int,
) -> tuple[Alternative, ...]:
    if limit <= 0:
        return ()
    others = [c for c in problem.couriers if c.id != chosen]
    seconds_to_pickup = []
    for c in others:
        places = [c.start] + [t.place for t in routes[c.id].stops]
        seconds_to_pickup.append(min(problem.travel[c.profile].seconds(0.0)[places, shipment.pickup]))
    found: list[Alternative] = []
    refused: list[Alternative] = []
    for k in np.argsort(seconds_to_pickup)[:CANDIDATES]:
        c = others[int(k)]
        extra = _insertion(problem, c, stops[c.id], shipment, routes[c.id])
        if extra is None:
            refused.append(Alternative(c.id, None, "cannot take it without breaking a window, its shift or its load"))
        else:
            found.append(Alternative(c.id, extra))
    found.sort(key=lambda a: a.extra_minutes or 0.0)
    return tuple((found + refused)[:limit])
