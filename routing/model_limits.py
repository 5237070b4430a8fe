"""What the OR-Tools model accepts, checked outside it: the limits of a route, and its riding.

The solver times every leg at ``PLANNING_LOAD_SHARE`` of the courier's payload and in whole
seconds. Whatever edits a plan outside OR-Tools (inserting the jobs a warm start lacks, sharing
the work under a riding budget) must judge a route the same way, or the model would refuse the
plan as a warm start, and measure riding the same way, or the budget's cap would not hold.
"""

from __future__ import annotations

import itertools
import math

from routing.evaluate import RouteStop, StopKind
from routing.problem import Courier, Problem

#: The model times legs at this share of a courier's payload (the evaluator uses the real load).
#: 1.0 is conservative: the exact times can only be earlier, so hard windows hold.
PLANNING_LOAD_SHARE = 1.0
#: Seconds added for a leg between places that do not reach each other (longer than any day).
UNSERVED_PENALTY = 10**12


def route_holds(problem: Problem, courier: Courier, stops: list[RouteStop]) -> bool:
    """The route keeps every hard limit as the OR-Tools model times it, so the model accepts it.

    Legs at the planning load rounded to whole seconds, service at the stop, waiting for a
    window to open, the shift's end; weight and volume within the vehicle's room, raised, as in
    the model, for what is on board or a person locked onto it.
    """
    seconds = problem.travel[courier.profile].seconds(PLANNING_LOAD_SHARE * courier.payload_kg)
    owned = {lock.shipment for lock in problem.locks if lock.courier == courier.id}
    load = sum(problem.shipment(x).weight_kg for x in courier.on_board)
    volume = sum(problem.shipment(x).volume_l for x in courier.on_board)
    max_kg = max([courier.payload_kg, load] + [problem.shipment(x).weight_kg for x in owned])
    max_l = max(courier.volume_l, volume)
    at = max(courier.shift_start, problem.now)
    place = courier.start
    for stop in stops:
        s = problem.shipment(stop.shipment)
        pickup = stop.kind is StopKind.PICKUP
        target, window = (s.pickup, s.pickup_window) if pickup else (s.dropoff, s.dropoff_window)
        leg = float(seconds[place, target])
        if not math.isfinite(leg):
            return False
        at = max(at + round(leg), window[0])
        if at > max(window) and not problem.soft_windows:
            return False
        at += s.pickup_service_s if pickup else s.dropoff_service_s
        sign = 1 if pickup else -1
        load, volume = load + sign * s.weight_kg, volume + sign * s.volume_l
        if load > max_kg + 1e-9 or volume > max_l + 1e-9:
            return False
        place = target
    if courier.end is not None:
        leg = float(seconds[place, courier.end])
        at += round(leg) if math.isfinite(leg) else UNSERVED_PENALTY
    return at <= max(courier.shift_end, problem.now)


def owners(problem: Problem) -> dict[str, str]:
    """Jobs only one courier may have: locked by a person, or already on board."""
    owner = {lock.shipment: lock.courier for lock in problem.locks}
    return owner | {x: c.id for c in problem.couriers for x in c.on_board}


def route_riding_s(problem: Problem, courier: Courier, stops: list[RouteStop]) -> int | None:
    """Riding seconds of one route as the model counts them (each leg at the planning load, rounded).

    None if a leg joins places that do not reach each other.
    """
    seconds = problem.travel[courier.profile].seconds(PLANNING_LOAD_SHARE * courier.payload_kg)
    places = [courier.start]
    for stop in stops:
        s = problem.shipment(stop.shipment)
        places.append(s.pickup if stop.kind is StopKind.PICKUP else s.dropoff)
    if courier.end is not None:
        places.append(courier.end)
    legs = [float(seconds[a, b]) for a, b in itertools.pairwise(places)]
    if not all(math.isfinite(x) for x in legs):
        return None
    return sum(round(x) for x in legs)


def plan_riding_s(problem: Problem, routes: dict[str, list[RouteStop]]) -> int | None:
    """Riding seconds of ``routes`` as the model counts them; None if some leg cannot be ridden."""
    total = 0
    for c in problem.couriers:
        riding = route_riding_s(problem, c, routes.get(c.id, []))
        if riding is None:
            return None
        total += riding
    return total
