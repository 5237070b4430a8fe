"""Why this courier: an explanation for every proposed job, as reasons a dispatcher reads at a glance.

For each served job: what it adds to the chosen courier's route (exactly, with the evaluator),
the load after pickup against the vehicle's payload, the courier's share of shift worked after
the plan against the cooperative's, why the vehicle matters (weight, length, heavy-load sharing),
and what the best other couriers would cost. Alternatives are found by the cheapest insertion
into each other courier's route, ranked by travel-time matrix and confirmed by the evaluator.
Each reason is a code with parameters (``routing/reasons.py``): the edge says it in words.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from routing.evaluate import RouteEvaluation, RouteStop, StopKind, evaluate_route
from routing.fairness import expected_day_share
from routing.insertion import cheapest_insertion
from routing.plan import Alternative, Explanation
from routing.problem import Courier, Problem, Shipment, TravelTimes, capable
from routing.reasons import Reason, reason

#: How many other couriers are confirmed with the exact evaluator per job.
CANDIDATES = 4
#: Seconds a climb must set two vehicles apart, on its own, before an explanation names it
#: (issue 20): under two minutes the slope is not why one was chosen.
HILL_S = 120.0


def explain(
    problem: Problem,
    routes: dict[str, RouteEvaluation],
    *,
    max_alternatives: int = 2,
    deadline: float | None = None,
) -> dict[str, Explanation]:
    """An :class:`Explanation` for every shipment served in ``routes``.

    Comparing other couriers is most of the cost (a few insertions per job: 1.5 s for 447 jobs
    and 4.4 s for 1,029 in benchmarks/bench_scale.py, all of it past the round's budget). Past
    ``deadline`` (a ``time.perf_counter()`` instant) the remaining jobs are explained without
    that comparison, and say so.
    """
    couriers = {c.id: c for c in problem.couriers}
    total_shift = sum(c.shift_length_s for c in problem.couriers) or 1.0
    coop_share = sum(c.worked_s_today + routes[c.id].work_s for c in problem.couriers) / total_shift
    owned = _Owned(
        locked=frozenset(lock.shipment for lock in problem.locks),
        on_board=frozenset(s for c in problem.couriers for s in c.on_board),
        heavy_able=tuple(problem.heavy_able()),
    )
    plain_stops = {cid: [RouteStop(t.shipment, t.kind) for t in r.stops] for cid, r in routes.items()}
    reach = _Reach(problem, routes)
    out: dict[str, Explanation] = {}
    for cid, route in routes.items():
        courier = couriers[cid]
        share = (courier.worked_s_today + route.work_s) / courier.shift_length_s
        for timing in route.stops:
            if timing.kind is not StopKind.PICKUP and timing.shipment not in owned.on_board:
                continue
            s = problem.shipment(timing.shipment)
            without = evaluate_route(problem, courier, [t for t in plain_stops[cid] if t.shipment != s.id])
            extra = (route.work_s - without.work_s) / 60.0
            reasons = _reasons(problem, courier, s, extra, owned)
            if problem.fairness_weight > 0:
                reasons.append(
                    reason("worked_share", courier=cid, share=round(share, 3), cooperative=round(coop_share, 3))
                )
            alternatives: tuple[Alternative, ...] = ()
            if deadline is not None and time.perf_counter() > deadline:
                reasons.append(reason("not_compared"))
            else:
                alternatives = _alternatives(problem, s, cid, routes, plain_stops, max_alternatives, reach)
                reasons += _hill(problem, courier, s, [couriers[a.courier] for a in alternatives])
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


def _hill(problem: Problem, courier: Courier, s: Shipment, others: list[Courier]) -> list[Reason]:
    """The climb that set the chosen vehicle apart from those compared, if one did."""
    hill = hill_reason(problem, courier, s, others)
    return [] if hill is None else [hill]


@dataclass(frozen=True)
class _Owned:
    """What the reasons of every job look up, gathered once per plan."""

    locked: frozenset[str]
    on_board: frozenset[str]
    heavy_able: tuple[Courier, ...]


def _reasons(problem: Problem, courier: Courier, s: Shipment, extra: float, owned: _Owned) -> list[Reason]:
    """Why this courier, on the job's own terms: what it adds, a person's decision or the parcel
    on board, how few vehicles can take it, and who carries the heavy loads."""
    cid = courier.id
    reasons = [reason("adds_minutes", minutes=round(extra, 1), courier=cid)]
    if s.id in owned.locked:
        reasons.insert(0, reason("locked"))
    if s.id in owned.on_board:
        reasons.insert(0, reason("on_board"))
    able = [c for c in problem.couriers if capable(c, s)]
    if len(able) < len(problem.couriers):
        reasons.append(
            reason(
                "few_vehicles",
                able=len(able),
                total=len(problem.couriers),
                kg=s.weight_kg,
                litres=s.volume_l,
                cm=s.length_cm,
            )
        )
    heavy_able = owned.heavy_able
    if problem.is_heavy(s) and len(heavy_able) > 1:
        fewest = min(c.heavy_kg_today for c in heavy_able)
        if courier.heavy_kg_today <= fewest:
            reasons.append(reason("heavy_fewest", courier=cid, kg=round(courier.heavy_kg_today, 3)))
        else:
            reasons.append(
                reason("heavy_carried", courier=cid, kg=round(courier.heavy_kg_today, 3), fewest=round(fewest, 3))
            )
    return reasons


def hill_reason(problem: Problem, courier: Courier, s: Shipment, compared: list[Courier]) -> Reason | None:
    """The slope as the reason for the vehicle, when it is one: "uphill with 60 kg: by e-cargo
    bike it takes 9 min less than by cargo bike".

    Only in a city with heights, and only against the couriers compared whose vehicle kind
    differs (it compares vehicles, never the people riding them). The loaded leg, pickup to
    drop-off with the parcel's weight, is timed for each vehicle from the travel matrices, and
    again as if the streets were flat (the vehicle's way at its loaded cruise speed, the same
    pushing): the slope is why when the chosen vehicle is at least :data:`HILL_S` faster, and
    at least that much of the gap is the climb's, not what the vehicles differ by on the
    flat. Of several such vehicles compared, the one the climb sets furthest apart is named.
    """
    mine = problem.travel[courier.profile]
    if mine.ride_loaded_s is None:
        return None
    best: tuple[float, str] | None = None
    for other in compared:
        theirs = problem.travel[other.profile]
        if other.profile == courier.profile or theirs.ride_loaded_s is None:
            continue
        saved = _loaded_leg(theirs, s) - _loaded_leg(mine, s)
        on_the_flat = _flat_leg(theirs, s) - _flat_leg(mine, s)
        if saved >= HILL_S and saved - on_the_flat >= HILL_S and (best is None or saved > best[0]):
            best = (saved, other.profile)
    if best is None:
        return None
    saved, profile = best
    return reason("hill_vehicle", kg=s.weight_kg, minutes=round(saved / 60.0), vehicle=courier.profile, other=profile)


def _loaded_leg(travel: TravelTimes, s: Shipment) -> float:
    return travel.leg_seconds(s.pickup, s.dropoff, s.weight_kg)


def _flat_leg(travel: TravelTimes, s: Shipment) -> float:
    """The leg with the parcel on board as if its streets were flat: the way's metres at the
    vehicle's loaded cruise speed (walked metres counted as ridden, so a flat leg is never
    taken for a climb), plus the pushing."""
    a, b = s.pickup, s.dropoff
    cruise_s = float(travel.metres[a, b]) / (travel.cruise_kmh / 3.6)
    return cruise_s * travel.speed_factor(s.weight_kg) + float(travel.walk_s[a, b])


class _Reach:
    """Each courier's nearest approach to a place (empty riding seconds from any of their stops).

    Asked once per explained job for every courier; one gather per profile instead of one per
    courier (bench_scale: 1.0 of a 1,500-job round's 2.9 s of explanations were these look-ups).
    """

    def __init__(self, problem: Problem, routes: dict[str, RouteEvaluation]) -> None:
        self.groups: list[tuple[TravelTimes, NDArray[np.int64], NDArray[np.intp], NDArray[np.int64]]] = []
        by_profile: dict[str, list[int]] = {}
        for v, c in enumerate(problem.couriers):
            by_profile.setdefault(c.profile, []).append(v)
        self.n = len(problem.couriers)
        for profile, members in by_profile.items():
            places = [
                [problem.couriers[v].start] + [t.place for t in routes[problem.couriers[v].id].stops] for v in members
            ]
            offsets = np.cumsum([0] + [len(p) for p in places[:-1]]).astype(np.intp)
            flat = np.array([x for p in places for x in p], dtype=np.int64)
            self.groups.append((problem.travel[profile], flat, offsets, np.array(members, dtype=np.int64)))

    def to(self, place: int) -> NDArray[np.float64]:
        out = np.empty(self.n, dtype=np.float64)
        for travel, flat, offsets, members in self.groups:
            out[members] = np.minimum.reduceat(travel.between(flat, place), offsets)
        return out


def _alternatives(
    problem: Problem,
    shipment: Shipment,
    chosen: str,
    routes: dict[str, RouteEvaluation],
    stops: dict[str, list[RouteStop]],
    limit: int,
    reach: _Reach | None = None,
) -> tuple[Alternative, ...]:
    if limit <= 0:
        return ()
    reach = reach or _Reach(problem, routes)
    nearest = reach.to(shipment.pickup)
    others = [c for c in problem.couriers if c.id != chosen]
    seconds_to_pickup = [float(nearest[v]) for v, c in enumerate(problem.couriers) if c.id != chosen]
    found: list[Alternative] = []
    refused: list[Alternative] = []
    for k in np.argsort(seconds_to_pickup, kind="stable")[:CANDIDATES]:
        c = others[int(k)]
        found_at = cheapest_insertion(problem, c, stops[c.id], shipment, routes[c.id])
        extra = None if found_at is None else found_at[0]
        if extra is None:
            refused.append(Alternative(c.id, None, reason("cannot_fit")))
        else:
            found.append(Alternative(c.id, extra))
    found.sort(key=lambda a: a.extra_minutes or 0.0)
    return tuple((found + refused)[:limit])


def sharing_reasons(
    problem: Problem,
    explanations: dict[str, Explanation],
    efficient: dict[str, list[RouteStop]],
    routes: dict[str, RouteEvaluation],
    budget_share: float,
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

    def why_shared(sid: str, chosen: str, other: str) -> Reason:
        if share(chosen) < share(other):
            return reason("sharing_moved", other=other, other_share=round(share(other), 3), budget=budget_share)
        if proposed.get(sid) == chosen:
            # kept as proposed before, so that proposals do not change under people's eyes
            return reason("sharing_kept", courier=chosen, other=other)
        if expected(chosen) < expected(other):
            # The objective balances the share expected at the day's end: one who leaves soon
            # has less of their shift left to catch up in, though they worked more of it so far.
            return reason(
                "sharing_shift_ends",
                other=other,
                courier=chosen,
                minutes_left=max(0, couriers[chosen].shift_end - problem.now) // 60,
                expected=round(expected(chosen), 3),
                other_expected=round(expected(other), 3),
                budget=budget_share,
            )
        return reason("sharing_fits_better", other=other, courier=chosen)

    out = dict(explanations)
    for sid, ex in explanations.items():
        other = before.get(sid)
        if other is None or other == ex.courier:
            continue
        # Only a move to someone with less of the day's work is "sharing"; a job left with a
        # busier courier stays there because an earlier proposal did (issue 15: the console
        # said sharing moved work *to* the busier courier).
        out[sid] = replace(ex, reasons=(*ex.reasons, why_shared(sid, ex.courier, other)))
    return out
