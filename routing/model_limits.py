"""What the OR-Tools model accepts, checked outside it: the limits of a route, and its riding.

The solver times every leg at ``PLANNING_LOAD_SHARE`` of the courier's payload and in whole
seconds. Whatever edits a plan outside OR-Tools (inserting the jobs a warm start lacks, sharing
the work under a riding budget) must judge a route the same way, or the model would refuse the
plan as a warm start, and measure riding the same way, or the budget's cap would not hold.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from routing.encoding import locked_jobs, room_kg
from routing.evaluate import Pauses, RouteStop, StopKind, pending_breaks, placements
from routing.problem import Courier, Problem, Shipment, may_take

#: The model times legs at this share of a courier's payload (the evaluator uses the real load).
#: 1.0 is conservative: the exact times can only be earlier, so hard windows hold.
PLANNING_LOAD_SHARE = 1.0


def owned_stops(problem: Problem, courier: Courier) -> list[RouteStop]:
    """What a person gave this courier (locks) and what is on board, in one plain order.

    The order is the earliest drop-off deadline first, each pickup just before its drop-off: a
    route that does only this work. It defines how late the courier's owned work alone can run
    (:func:`shift_limit`), the same way for the model and for every check outside it.
    """
    locked = [lock.shipment for lock in problem.locks if lock.courier == courier.id]
    jobs = sorted({*courier.on_board, *locked}, key=lambda x: (problem.shipment(x).dropoff_window[1], x))
    # Locks that keep their order take the places of such locks in that order.
    ordered = [lock.shipment for lock in problem.locks if lock.courier == courier.id and lock.keep_order]
    ordered = [x for x in ordered if x not in courier.on_board]
    slots = iter(ordered)
    kept = set(ordered)
    jobs = [next(slots) if x in kept else x for x in jobs]
    stops: list[RouteStop] = []
    for sid in jobs:
        if sid not in courier.on_board:
            stops.append(RouteStop(sid, StopKind.PICKUP))
        stops.append(RouteStop(sid, StopKind.DROPOFF))
    return stops


def shift_limit(problem: Problem, courier: Courier) -> int:
    """The latest a route may end: the shift's end, or later when the owned work alone runs later.

    A person's decision (a lock) and a parcel on board stay with the courier whatever the clock
    says: when time moved on (a restart, a long pause, a shift shortened) that work may no longer
    fit the shift. It is then planned late or past the shift's end, reported as such, and never
    a reason to leave the round without a plan (issue 21: such locks made every round propose
    nothing). New work must still fit before the shift's end, or within what the owned work
    already runs over.
    """
    end = max(courier.shift_end, problem.now)
    own = owned_stops(problem, courier)
    if not own:
        return end
    finish = route_finish(problem, courier, own)
    return end if finish is None else max(end, finish)


@dataclass(frozen=True)
class _Visit:
    shipment: Shipment
    pickup: bool
    begin: int  #: service starts, after waiting for the window to open
    departure: int
    place: int


def _visits(problem: Problem, courier: Courier, stops: list[RouteStop], pauses: Pauses) -> Iterator[_Visit | None]:
    """The route's stops as the model times them; None, and the end, at a leg that cannot be ridden.

    The shift's breaks are taken where ``pauses`` places them (kept by the caller for the leg
    to the end): a placement OR-Tools' break intervals allow, so a route holding here holds in
    the model.
    """
    seconds = problem.travel[courier.profile].seconds(PLANNING_LOAD_SHARE * courier.payload_kg)
    at = max(courier.shift_start, problem.now)
    place = courier.start
    for stop in stops:
        s = problem.shipment(stop.shipment)
        pickup = stop.kind is StopKind.PICKUP
        target, window = (s.pickup, s.pickup_window) if pickup else (s.dropoff, s.dropoff_window)
        leg = float(seconds[place, target])
        if not math.isfinite(leg):
            yield None
            return
        begin = max(round(pauses.arrive(at, round(leg), window[0])), window[0])
        at = begin + (s.pickup_service_s if pickup else s.dropoff_service_s)
        place = target
        yield _Visit(s, pickup, begin, at, place)


def _placements(problem: Problem, courier: Courier) -> Iterator[Pauses]:
    """Where the route may take its breaks, earliest first (:func:`routing.evaluate.placements`)."""
    return placements(courier, max(courier.shift_start, problem.now))


def service_starts(problem: Problem, courier: Courier, stops: list[RouteStop]) -> list[int]:
    """When each stop's service starts as the model times the route, its breaks placed as
    :func:`route_holds` places them (the earliest placement when none holds).

    With break intervals OR-Tools' scheduler leaves the stops' times free wherever no cost
    binds them (measured: an hour late on a four-job route), so these are the model's times.
    """
    room, limit = _room(problem, courier), _shift_limit_once(problem, courier)
    holding = (p for p in _placements(problem, courier) if _holds(problem, courier, stops, p, room, limit))
    after = next((p.after for p in holding), 0)
    pauses = Pauses(pending_breaks(courier, max(courier.shift_start, problem.now)), after)
    return [visit.begin for visit in _visits(problem, courier, stops, pauses) if visit is not None]


def _to_end(problem: Problem, courier: Courier, place: int) -> float:
    """Seconds from the last stop to the route's end place (0 for an open end; inf if unreachable)."""
    if courier.end is None:
        return 0.0
    seconds = problem.travel[courier.profile].seconds(PLANNING_LOAD_SHARE * courier.payload_kg)
    return float(seconds[place, courier.end])


def route_finish(problem: Problem, courier: Courier, stops: list[RouteStop], *, to_end: bool = True) -> int | None:
    """When the route ends as the model times it (windows only delay), None if a leg is impossible.

    ``to_end=False``: when the last stop is done, before riding to the route's end place. The
    breaks are placed where the route ends soonest without missing one (the earliest placement
    when every one misses).
    """
    finishes: list[tuple[int, int]] = []
    for pauses in _placements(problem, courier):
        finish = _finish(problem, courier, stops, pauses, to_end=to_end)
        if finish is None:
            return None
        finishes.append((pauses.missed, finish))
    return min(finishes)[1]


def _finish(problem: Problem, courier: Courier, stops: list[RouteStop], pauses: Pauses, *, to_end: bool) -> int | None:
    at, place = max(courier.shift_start, problem.now), courier.start
    for visit in _visits(problem, courier, stops, pauses):
        if visit is None:
            return None
        at, place = visit.departure, visit.place
    if to_end and courier.end is not None:
        leg = _to_end(problem, courier, place)
        if not math.isfinite(leg):
            return None
        at = round(pauses.arrive(at, round(leg), 0))
    pauses.close(at)
    return at


def route_holds(problem: Problem, courier: Courier, stops: list[RouteStop]) -> bool:
    """The route keeps every hard limit as the OR-Tools model times it, so the model accepts it.

    Legs at the planning load rounded to whole seconds, service at the stop, waiting for a
    window to open, the shift's breaks (each taken within its window, in the first gaps that
    let the route hold), the shift's end (:func:`shift_limit`); weight and volume within the
    vehicle's room, raised, as in the model, for what is on board or a person locked onto it.
    The windows of owned work (locked, on board) are soft in the model, as here: it is done
    late rather than dropped.
    """
    room, limit = _room(problem, courier), _shift_limit_once(problem, courier)
    return any(_holds(problem, courier, stops, pauses, room, limit) for pauses in _placements(problem, courier))


@dataclass(frozen=True)
class Prefix:
    """A route that holds, as the model times it, for ruling out insertions without timing them.

    Inserting a job changes nothing before its pickup, so the pickup's time (and, right after
    it, its drop-off's) and the load carried between pickup and drop-off are known from the
    route as it is: an insertion that is late there, or over the vehicle's room, cannot hold,
    and :func:`route_holds` (a whole timing per trial) need not be asked. The rule is exact,
    never a guess: only what :func:`route_holds` would refuse is refused. Only for a courier
    without breaks to take (where they fall moves with the route). On bench_city's 500 jobs
    and 60 couriers most trials of the completion failed at their pickup (``benchmarks/``).
    """

    departures: tuple[int, ...]  #: when the courier leaves the start (index 0) and each stop
    places: tuple[int, ...]  #: where
    kg: tuple[float, ...]  #: on board after the start and after each stop
    litres: tuple[float, ...]
    room: _Room
    seconds: np.ndarray

    @staticmethod
    def of(problem: Problem, courier: Courier, stops: list[RouteStop]) -> Prefix | None:
        start = max(courier.shift_start, problem.now)
        if pending_breaks(courier, start):
            return None
        room = _room(problem, courier)
        departures, places, kg, litres = [start], [courier.start], [room.load_kg], [room.volume_l]
        for visit in _visits(problem, courier, stops, Pauses([])):
            if visit is None:
                return None
            sign = 1 if visit.pickup else -1
            departures.append(visit.departure)
            places.append(visit.place)
            kg.append(kg[-1] + sign * visit.shipment.weight_kg)
            litres.append(litres[-1] + sign * visit.shipment.volume_l)
        seconds = problem.travel[courier.profile].seconds(PLANNING_LOAD_SHARE * courier.payload_kg)
        return Prefix(tuple(departures), tuple(places), tuple(kg), tuple(litres), room, seconds)

    def rules_out(self, problem: Problem, s: Shipment, pickup_at: int, dropoff_at: int) -> bool:
        """Inserting ``s`` with its pickup before stop ``pickup_at`` and its drop-off before stop
        ``dropoff_at`` (positions in the route as it is) cannot hold."""
        if pickup_at < 0:
            return False  # on board: only its drop-off is placed
        between = slice(pickup_at, dropoff_at + 1)  # after the stop before the pickup ... before the drop-off
        if max(self.kg[between]) + s.weight_kg > self.room.max_kg + 1e-9:
            return True
        if max(self.litres[between]) + s.volume_l > self.room.max_l + 1e-9:
            return True
        if problem.soft_windows or s.id in self.room.soft:
            return False
        leg = float(self.seconds[self.places[pickup_at], s.pickup])
        if not math.isfinite(leg):
            return True
        begin = max(self.departures[pickup_at] + round(leg), s.pickup_window[0])
        if begin > s.pickup_window[1]:
            return True
        if dropoff_at != pickup_at:
            return False
        leg = float(self.seconds[s.pickup, s.dropoff])
        if not math.isfinite(leg):
            return True
        return max(begin + s.pickup_service_s + round(leg), s.dropoff_window[0]) > s.dropoff_window[1]


@dataclass(frozen=True)
class _Room:
    """What a route's check needs of its courier whatever the breaks' placement: computed once
    per check, not once per placement (route_holds runs for every insertion and sharing trial)."""

    soft: frozenset[str]  #: owned work: its windows are soft, its courier is the decision
    load_kg: float  #: on board at the start
    volume_l: float
    max_kg: float
    max_l: float


def _room(problem: Problem, courier: Courier) -> _Room:
    max_kg, max_l = room_kg(problem, courier)
    return _Room(
        soft=frozenset(locked_jobs(problem, courier)) | frozenset(courier.on_board),
        load_kg=sum(problem.shipment(x).weight_kg for x in courier.on_board),
        volume_l=sum(problem.shipment(x).volume_l for x in courier.on_board),
        max_kg=max_kg,
        max_l=max_l,
    )


def _shift_limit_once(problem: Problem, courier: Courier) -> Callable[[], int]:
    """:func:`shift_limit`, worked out at the first route that reaches its end, then kept."""
    return functools.cache(lambda: shift_limit(problem, courier))


def _holds(
    problem: Problem, courier: Courier, stops: list[RouteStop], pauses: Pauses, room: _Room, limit: Callable[[], int]
) -> bool:
    soft, load, volume, max_kg, max_l = room.soft, room.load_kg, room.volume_l, room.max_kg, room.max_l
    at, place = max(courier.shift_start, problem.now), courier.start
    for visit in _visits(problem, courier, stops, pauses):
        if visit is None or pauses.missed:
            return False
        s = visit.shipment
        if s.id not in soft and not may_take(courier, s):  # as the model's allowed couriers
            return False
        window = s.pickup_window if visit.pickup else s.dropoff_window
        if visit.begin > max(window) and not problem.soft_windows and s.id not in soft:
            return False
        sign = 1 if visit.pickup else -1
        load, volume = load + sign * s.weight_kg, volume + sign * s.volume_l
        if load > max_kg + 1e-9 or volume > max_l + 1e-9:
            return False
        at, place = visit.departure, visit.place
    leg = _to_end(problem, courier, place)
    if not math.isfinite(leg):  # the end place cannot be reached from the last stop
        return False
    end = round(pauses.arrive(at, round(leg), 0)) if courier.end is not None else at
    pauses.close(end)
    return not pauses.missed and end <= limit()


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
