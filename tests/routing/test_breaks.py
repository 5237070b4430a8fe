"""Breaks in a shift (issue 18): every ETA includes them, and the OR-Tools plan holds them."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from routing.construct import available_until
from routing.evaluate import RouteStop, StopKind, evaluate_route
from routing.model_limits import route_holds
from routing.ortools_model import OrToolsModel
from routing.problem import Break, Courier, Problem, ProblemError, Shipment
from routing.settings import SolverSettings
from routing.solver import solve
from tests.routing.street import bike, street
from tests.routing.street import job as street_job

P, D = StopKind.PICKUP, StopKind.DROPOFF
H, M = 3600, 60
#: 30 minutes between 12:00 and 12:45.
LUNCH = Break(earliest=12 * H, latest=12 * H + 45 * M, duration_s=30 * M)
SHIFT = {"shift_start": 11 * H, "shift_end": 15 * H}


def job(sid: str, pickup: int, dropoff: int, **fields: object) -> Shipment:
    """The street's job, open until the evening (the street's own closes at 8:00)."""
    return street_job(sid, pickup, dropoff, **({"pickup_window": (0, 18 * H), "dropoff_window": (0, 18 * H)} | fields))


def on_shift(cid: str, start: int, *breaks: Break) -> Courier:
    return bike(cid, start, breaks=breaks, **SHIFT)


def test_a_break_must_last_and_fit_its_window() -> None:
    with pytest.raises(ProblemError):
        Break(earliest=12 * H, latest=12 * H + 20 * M, duration_s=30 * M)
    with pytest.raises(ProblemError):
        Break(earliest=12 * H, latest=13 * H, duration_s=0)


def test_the_etas_after_the_break_are_later_by_the_break() -> None:
    # Picked up at 11:58 (its window opens then), the drop-off leg is ridden across 12:00: the
    # break interrupts it at 12:00 and the rest of the leg is ridden after 12:30.
    jobs = [job("a", 1, 2, pickup_window=(11 * H + 58 * M, 13 * H)), job("b", 3, 4)]
    stops = [RouteStop("a", P), RouteStop("a", D), RouteStop("b", P), RouteStop("b", D)]
    plain = street([on_shift("c", 0)], jobs, now=11 * H)
    pausing = street([on_shift("c", 0, LUNCH)], jobs, now=11 * H)
    before = evaluate_route(plain, plain.couriers[0], stops)
    after = evaluate_route(pausing, pausing.couriers[0], stops)
    assert after.stops[0] == before.stops[0]  # the pickup is before the break
    for was, now in zip(before.stops[1:], after.stops[1:], strict=True):
        assert now.start == pytest.approx(was.start + 30 * M)
    assert after.end_time == pytest.approx(before.end_time + 30 * M)
    assert after.breaks == ((12 * H, 12 * H + 30 * M),) and after.missed_breaks == 0
    assert after.travel_s == pytest.approx(before.travel_s)  # riding is not lengthened, only paused
    assert route_holds(pausing, pausing.couriers[0], stops)


def test_a_wait_for_a_window_absorbs_the_break() -> None:
    # At the pickup by 11:55, its window opens at 12:40: the break is taken while waiting.
    jobs = [job("a", 1, 2, pickup_window=(12 * H + 40 * M, 13 * H))]
    problem = street([on_shift("c", 0, LUNCH)], jobs, now=11 * H + 53 * M)
    route = evaluate_route(problem, problem.couriers[0], [RouteStop("a", P), RouteStop("a", D)])
    assert route.stops[0].start == 12 * H + 40 * M
    assert route.breaks == ((12 * H, 12 * H + 30 * M),)


def test_a_route_serving_through_the_whole_window_misses_the_break_and_does_not_hold() -> None:
    # A 50-minute pickup from 11:58 fills the window: no moment is left for the break.
    long = job("a", 1, 2, pickup_window=(11 * H + 58 * M, 12 * H), pickup_service_s=50 * M)
    problem = street([on_shift("c", 0, LUNCH)], [long], now=11 * H)
    stops = [RouteStop("a", P), RouteStop("a", D)]
    assert evaluate_route(problem, problem.couriers[0], stops).missed_breaks == 1
    assert not route_holds(problem, problem.couriers[0], stops)


def busy_day(*breaks: Break) -> Problem:
    """Four jobs of 10-minute handovers from 11:30 on: the courier is busy until past 13:00."""
    opens = {"pickup_window": (11 * H + 30 * M, 14 * H + 30 * M), "pickup_service_s": 10 * M}
    jobs = [
        job(sid, a, b, dropoff_service_s=10 * M, **opens)
        for sid, a, b in (("a", 1, 2), ("b", 3, 4), ("c", 5, 6), ("d", 7, 1))
    ]
    return street([on_shift("x", 0, *breaks)], jobs, now=11 * H)


def test_the_ortools_plan_serves_no_stop_inside_the_break() -> None:
    settings = SolverSettings(time_budget_s=1.0, constructor="ortools")
    plain, pausing = solve(busy_day(), settings), solve(busy_day(LUNCH), settings)
    assert not plain.unassigned and not pausing.unassigned
    route = pausing.routes["x"]
    assert route.missed_breaks == 0 and len(route.breaks) == 1
    begin, end = route.breaks[0]
    assert LUNCH.earliest <= begin and end <= LUNCH.latest and end - begin == LUNCH.duration_s
    for stop in route.stops:
        assert stop.departure <= begin or stop.start >= end, stop
    assert route.end_time == pytest.approx(plain.routes["x"].end_time + 30 * M, abs=2 * M)
    assert route.end_time >= plain.routes["x"].end_time + 25 * M


def test_the_models_own_times_leave_room_for_the_break() -> None:
    problem = busy_day(LUNCH)
    model = OrToolsModel(problem, SolverSettings(time_budget_s=0.5, constructor="ortools"), set())
    solution, _ = model.solve(None)
    # The model's own cumuls (model_times recomputes them for a courier with breaks).
    times = {(x, kind): solution.Min(model.time.CumulVar(i)) for x, kind, i in model._visits(solution)[0]}
    route = model.routes(solution)["x"]
    courier = problem.couriers[0]
    seconds = problem.travel["bike"].seconds(courier.payload_kg)
    room = []  # idle seconds inside the break's window between one stop's end and the next start
    for first, second in itertools.pairwise(route):
        a, b = problem.shipment(first.shipment), problem.shipment(second.shipment)
        leaves = times[(first.shipment, first.kind)] + (a.pickup_service_s if first.kind is P else a.dropoff_service_s)
        starts = times[(second.shipment, second.kind)]
        place_a = a.pickup if first.kind is P else a.dropoff
        place_b = b.pickup if second.kind is P else b.dropoff
        free = min(starts, LUNCH.latest) - max(leaves, LUNCH.earliest)
        if free >= LUNCH.duration_s and starts - leaves - round(seconds[place_a, place_b]) >= LUNCH.duration_s:
            room.append(free)
    last = route[-1]
    done = times[(last.shipment, last.kind)] + 60
    assert room or done <= LUNCH.latest_start, (route, times)


def test_a_job_that_cannot_fit_for_the_break_goes_to_another_courier() -> None:
    # A 20-minute pickup from 11:55, to be dropped by 12:40: the near courier would have to
    # break at 12:15 and arrive at 12:47, or skip the break. The far one has no break.
    slow = job(
        "a",
        1,
        2,
        pickup_window=(11 * H + 55 * M, 12 * H + 5 * M),
        dropoff_window=(11 * H, 12 * H + 40 * M),
        pickup_service_s=20 * M,
        dropoff_service_s=10 * M,
    )
    settings = SolverSettings(time_budget_s=0.5)
    free = street([on_shift("near", 0), on_shift("far", 7)], [slow], now=11 * H)
    assert solve(free, settings).assignment() == {"a": "near"}
    busy = replace(free, couriers=(on_shift("near", 0, LUNCH), on_shift("far", 7)), _index={})
    plan = solve(busy, settings)
    assert plan.assignment() == {"a": "far"}
    assert not plan.routes["near"].stops


def test_a_break_already_past_is_not_planned() -> None:
    problem = street([on_shift("c", 0, LUNCH)], [job("a", 1, 2)], now=12 * H + 20 * M)
    plan = solve(problem, SolverSettings(time_budget_s=0.3))
    route = plan.routes["c"]
    assert route.breaks == () and route.start_time == 12 * H + 20 * M
    assert plan.assignment() == {"a": "c"}


def test_pyvrp_sees_the_shift_shortened_by_its_breaks_and_its_start_is_mended_to_hold_them() -> None:
    problem = busy_day(LUNCH)
    assert available_until(problem, problem.couriers[0]) == 15 * H - 30 * M
    late = replace(problem, now=12 * H + 20 * M, _index={})  # the break can no longer be taken
    assert available_until(late, late.couriers[0]) == 15 * H
    plan = solve(problem, SolverSettings(time_budget_s=1.0, constructor="pyvrp"))
    assert plan.solver.constructor.name == "pyvrp" and plan.solver.constructor.result == "ok"
    route = plan.routes["x"]
    assert not plan.unassigned and route.missed_breaks == 0 and len(route.breaks) == 1
    assert route_holds(problem, problem.couriers[0], [RouteStop(s.shipment, s.kind) for s in route.stops])


def test_the_models_times_with_a_break_are_as_close_to_the_etas_as_without() -> None:
    settings = SolverSettings(time_budget_s=0.5, constructor="ortools")
    plain, pausing = (solve(busy_day(*b), settings).solver.eta_error_s for b in ((), (LUNCH,)))
    assert 0 < pausing.max_abs <= max(plain.max_abs, 120.0)


def test_the_break_waits_for_a_later_gap_when_the_earliest_would_make_a_stop_late() -> None:
    # Picked up at 11:59, due at 12:10: a break at 12:00 on the way would make it 20 minutes
    # late. The wait for the next pickup (opening at 12:50) takes the break instead, as the model may.
    jobs = [
        job("a", 1, 2, pickup_window=(11 * H + 59 * M, 12 * H), dropoff_window=(11 * H, 12 * H + 10 * M)),
        job("b", 3, 4, pickup_window=(12 * H + 50 * M, 13 * H)),
    ]
    problem = street([on_shift("c", 0, LUNCH)], jobs, now=11 * H)
    stops = [RouteStop("a", P), RouteStop("a", D), RouteStop("b", P), RouteStop("b", D)]
    route = evaluate_route(problem, problem.couriers[0], stops)
    assert route.lateness_s == 0 and route.missed_breaks == 0
    (begin, end), dropped = route.breaks[0], route.stops[1]
    assert begin >= dropped.departure and end <= route.stops[2].start
    assert route_holds(problem, problem.couriers[0], stops)
    assert solve(problem, SolverSettings(time_budget_s=0.3)).routes["c"].lateness_s == 0
