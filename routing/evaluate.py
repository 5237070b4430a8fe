"""Exact evaluation of a route under the speed model, with the real load after each stop.

The solver works with one approximate speed per vehicle; every ETA a person sees comes from
here, where each leg is timed with the load actually on board on that leg. Like VROOM's single
evaluator, this is the one place that says what a route really takes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from routing.problem import Break, Courier, Problem, Shipment, TravelTimes


class StopKind(StrEnum):
    PICKUP = "pickup"
    DROPOFF = "dropoff"


@dataclass(frozen=True)
class RouteStop:
    shipment: str
    kind: StopKind


@dataclass(frozen=True)
class StopTiming:
    shipment: str
    kind: StopKind
    place: int
    arrival: float  #: seconds since the day's start (ready to serve: after any break on the way)
    start: float  #: service starts (after waiting for the window to open)
    departure: float
    load_kg: float  #: on board when leaving the stop
    volume_l: float
    lateness_s: float  #: how far past the window's close the service starts
    leg_s: float  #: riding/walking seconds from the previous stop, at the load carried on that leg
    leg_m: float


@dataclass(frozen=True)
class RouteEvaluation:
    courier: str
    stops: tuple[StopTiming, ...]
    start_time: float
    end_time: float
    travel_s: float
    service_s: float
    wait_s: float
    metres: float
    max_load_kg: float
    max_volume_l: float
    lateness_s: float
    over_capacity: bool
    after_shift_s: float  #: how far past the shift's end the route finishes
    #: The shift's breaks as the route takes them (start, end), and how many it could not fit.
    breaks: tuple[tuple[float, float], ...] = ()
    missed_breaks: int = 0

    @property
    def work_s(self) -> float:
        """Riding and handling time: what the ledger will count as worked (waiting excluded)."""
        return self.travel_s + self.service_s


def pending_breaks(courier: Courier, start: float) -> list[Break]:
    """The breaks a route leaving at ``start`` must still hold, in time order.

    A break whose latest start is already past belongs to the past: the plan cannot change it
    (taken or not, the courier's own account says), so it is left out, here and in the model.
    """
    return sorted((b for b in courier.breaks if b.latest_start >= start), key=lambda b: (b.earliest, b.latest))


@dataclass
class Pauses:
    """The breaks a route still owes, each taken at the earliest moment it fits between stops
    from gap ``after`` on (gap k: the way to the k-th stop; past the last: after the route).

    A break is taken at the first moment inside its window when the courier is not serving a
    stop: riding is interrupted (the rest of the leg is ridden after it), waiting for a window
    absorbs it. OR-Tools' break intervals may fall in any gap, so a route is timed with the
    break in the first gap that keeps every window (:func:`placements`): always the earliest
    moment made it late where the model had put the break in a later wait (23 of 60 random
    street routes).
    """

    pending: list[Break]
    after: int = 0
    taken: list[tuple[float, float]] = field(default_factory=list)
    missed: int = 0
    gap: int = 0
    first: int | None = None  #: the gap where the first break was taken

    def arrive(self, time: float, leg: float, opens: float) -> float:
        """When a courier free at ``time`` is ready at a place ``leg`` seconds away whose window
        opens at ``opens``, having taken the breaks that fall on the way (before its service)."""
        remaining, self.gap = leg, self.gap + 1
        while self.gap > self.after and self.pending and max(time + remaining, opens) > self.pending[0].earliest:
            b = self.pending.pop(0)
            begin = max(time, b.earliest)
            self.first = self.gap if self.first is None else self.first
            if begin > b.latest_start:  # serving stops through the whole window
                self.missed += 1
            remaining -= min(remaining, begin - time)
            time = begin + b.duration_s
            self.taken.append((begin, time))
        return time + remaining

    def close(self, end: float) -> None:
        """The route ends at ``end``: a break still owed that can no longer start is missed."""
        self.missed += sum(1 for b in self.pending if b.latest_start < end)


def placements(courier: Courier, start: float) -> Iterator[Pauses]:
    """Where a route leaving at ``start`` may take its breaks, earliest first; the caller times
    each and takes the first that holds. Each next one defers the breaks past the gap where
    the last one took the first: deferring to any earlier gap changes nothing. They end when a
    break was missed (deferring only misses it again) or none was taken (the route ended, or
    failed, before it: deferring changes nothing), so a route is timed about once per gap
    inside the break's window, not once per gap."""
    pending, after = pending_breaks(courier, start), 0
    while True:
        pauses = Pauses(list(pending), after)
        yield pauses
        if pauses.missed or pauses.first is None:
            return
        after = pauses.first


def evaluate_route(
    problem: Problem, courier: Courier, stops: list[RouteStop] | tuple[RouteStop, ...]
) -> RouteEvaluation:
    """Time a courier's route stop by stop, leaving as early as the shift and ``now`` allow,
    each break in the first gap that keeps every limit (else where it does least harm)."""
    best: RouteEvaluation | None = None
    for pauses in placements(courier, max(courier.shift_start, problem.now)):
        route = _timed(problem, courier, stops, pauses)
        if route.missed_breaks == 0 and route.lateness_s == 0 and route.after_shift_s == 0:
            return route
        if best is None or _harm(route) < _harm(best):
            best = route
    assert best is not None
    return best


def _harm(route: RouteEvaluation) -> tuple[int, float, float]:
    return route.missed_breaks, route.lateness_s, route.after_shift_s


def _timed(
    problem: Problem, courier: Courier, stops: list[RouteStop] | tuple[RouteStop, ...], pauses: Pauses
) -> RouteEvaluation:
    """The route timed with its breaks taken as ``pauses`` places them."""
    travel = problem.travel[courier.profile]
    load = sum(problem.shipment(s).weight_kg for s in courier.on_board)
    volume = sum(problem.shipment(s).volume_l for s in courier.on_board)
    time = float(max(courier.shift_start, problem.now))
    start_time, place = time, courier.start
    timings: list[StopTiming] = []
    travel_s = service_s = wait_s = metres = lateness = 0.0
    max_load, max_volume = load, volume
    for stop in stops:
        shipment = problem.shipment(stop.shipment)
        timing, load, volume = _visit(travel, shipment, stop.kind, place, (time, pauses), load, volume)
        max_load, max_volume = max(max_load, load), max(max_volume, volume)
        timings.append(timing)
        travel_s += timing.leg_s
        metres += timing.leg_m
        service_s += shipment.pickup_service_s if stop.kind is StopKind.PICKUP else shipment.dropoff_service_s
        wait_s += timing.start - timing.arrival
        lateness += timing.lateness_s
        time, place = timing.departure, timing.place
    if courier.end is not None:
        leg = travel.leg_seconds(place, courier.end, load)
        travel_s += leg
        metres += float(travel.metres[place, courier.end])
        time = pauses.arrive(time, leg, 0.0)
    pauses.close(time)
    return RouteEvaluation(
        courier=courier.id,
        stops=tuple(timings),
        start_time=start_time,
        end_time=time,
        travel_s=travel_s,
        service_s=service_s,
        wait_s=wait_s,
        metres=metres,
        max_load_kg=max_load,
        max_volume_l=max_volume,
        lateness_s=lateness,
        over_capacity=max_load > courier.payload_kg + 1e-9 or max_volume > courier.volume_l + 1e-9,
        after_shift_s=max(0.0, time - courier.shift_end),
        breaks=tuple(pauses.taken),
        missed_breaks=pauses.missed,
    )


def _visit(
    travel: TravelTimes,
    shipment: Shipment,
    kind: StopKind,
    place: int,
    clock: tuple[float, Pauses],
    load: float,
    volume: float,
) -> tuple[StopTiming, float, float]:
    """One stop reached from ``place`` at ``time`` with ``load`` on board (breaks taken on the
    way by ``pauses``): its timing, and the load and volume on board after it (unrounded)."""
    time, pauses = clock
    pickup = kind is StopKind.PICKUP
    target = shipment.pickup if pickup else shipment.dropoff
    window = shipment.pickup_window if pickup else shipment.dropoff_window
    service = shipment.pickup_service_s if pickup else shipment.dropoff_service_s
    leg = travel.leg_seconds(place, target, load)
    arrival = pauses.arrive(time, leg, float(window[0]))
    begin = max(arrival, float(window[0]))
    if pickup:
        load += shipment.weight_kg
        volume += shipment.volume_l
    else:
        load -= shipment.weight_kg
        volume -= shipment.volume_l
    timing = StopTiming(
        shipment=shipment.id,
        kind=kind,
        place=target,
        arrival=arrival,
        start=begin,
        departure=begin + service,
        load_kg=round(load, 6),
        volume_l=round(volume, 6),
        lateness_s=max(0.0, begin - window[1]),
        leg_s=leg,
        leg_m=float(travel.metres[place, target]),
    )
    return timing, load, volume
