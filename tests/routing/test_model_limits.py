"""The model's limits checked outside it: what a route holds, when it ends, what it rides."""

from __future__ import annotations

from dataclasses import replace

from routing.evaluate import RouteStop, StopKind
from routing.model_limits import (
    owned_stops,
    owners,
    plan_riding_s,
    route_finish,
    route_holds,
    route_riding_s,
    shift_limit,
)
from routing.problem import Lock
from tests.routing.street import WALL, bike, job, street

P, D = StopKind.PICKUP, StopKind.DROPOFF


def pair(sid: str) -> list[RouteStop]:
    return [RouteStop(sid, P), RouteStop(sid, D)]


def test_the_model_times_every_leg_at_the_full_payload() -> None:
    # A 25 kg bike slowing 10 % per 25 kg: every leg at 100 / 0.9 s per place, rounded, even empty.
    problem = street([bike("c", 0)], [job("s", 1, 3, weight_kg=1.0)])
    courier = problem.couriers[0]
    assert route_riding_s(problem, courier, pair("s")) == round(100 / 0.9) + round(200 / 0.9)
    assert route_finish(problem, courier, pair("s")) == round(100 / 0.9) + 60 + round(200 / 0.9) + 60


def test_a_route_holds_within_its_windows_shift_and_room() -> None:
    problem = street([bike("c", 0)], [job("s", 1, 3)])
    courier = problem.couriers[0]
    assert route_holds(problem, courier, pair("s"))
    late = replace(problem, shipments=(job("s", 1, 3, dropoff_window=(0, 300)),), _index={})
    assert not route_holds(late, courier, pair("s"))  # the drop-off starts at 111 + 60 + 222 = 393 s
    assert route_holds(replace(late, soft_windows=True), courier, pair("s"))
    short = replace(problem, couriers=(bike("c", 0, shift_end=400),))
    assert not route_holds(short, short.couriers[0], pair("s"))  # it ends at 453 s
    heavy = replace(problem, shipments=(job("s", 1, 3, weight_kg=26.0),), _index={})
    assert not route_holds(heavy, courier, pair("s"))


def test_a_person_may_lock_a_job_over_the_payload_and_the_room_is_raised_for_it_only() -> None:
    problem = street([bike("c", 0)], [job("big", 1, 3, weight_kg=30.0), job("small", 2, 3, weight_kg=1.0)])
    locked = replace(problem, locks=(Lock("big", "c"),))
    courier = problem.couriers[0]
    assert not route_holds(problem, courier, pair("big"))
    assert route_holds(locked, courier, pair("big"))
    # The raised room is for the locked job: carrying more on top of it still breaks the limit.
    both = [RouteStop("big", P), RouteStop("small", P), RouteStop("small", D), RouteStop("big", D)]
    assert not route_holds(locked, courier, both)


def test_a_route_whose_end_place_cannot_be_reached_does_not_hold() -> None:
    problem = street([bike("c", 0, end=WALL)], [job("s", 1, 3)])
    courier = problem.couriers[0]
    assert not route_holds(problem, courier, pair("s"))
    assert route_finish(problem, courier, pair("s")) is None
    assert route_finish(problem, courier, pair("s"), to_end=False) is not None
    assert route_riding_s(problem, courier, pair("s")) is None
    assert plan_riding_s(problem, {"c": pair("s")}) is None


def test_owned_work_goes_by_the_earliest_deadline_and_may_run_past_the_shift() -> None:
    jobs = [job("a", 1, 2, dropoff_window=(0, 9000)), job("b", 3, 4, dropoff_window=(0, 5000)), job("c", 5, 6)]
    courier = bike("x", 0, on_board=("a",), shift_end=100)
    problem = street([courier, bike("y", 0)], jobs, locks=(Lock("b", "x"),))
    assert owned_stops(problem, courier) == [RouteStop("b", P), RouteStop("b", D), RouteStop("a", D)]
    assert owners(problem) == {"a": "x", "b": "x"}
    finish = route_finish(problem, courier, owned_stops(problem, courier))
    assert finish is not None and shift_limit(problem, courier) == finish > 100
    assert shift_limit(problem, problem.couriers[1]) == 4 * 3600  # nothing owned: the shift's end


def test_locks_that_keep_their_order_keep_it_among_the_owned_stops() -> None:
    jobs = [job("a", 1, 2, dropoff_window=(0, 9000)), job("b", 3, 4, dropoff_window=(0, 5000))]
    problem = street([bike("x", 0)], jobs, locks=(Lock("a", "x"), Lock("b", "x")))
    assert [s.shipment for s in owned_stops(problem, problem.couriers[0])] == ["a", "a", "b", "b"]
    free = replace(problem, locks=(Lock("a", "x", keep_order=False), Lock("b", "x", keep_order=False)))
    assert [s.shipment for s in owned_stops(free, free.couriers[0])] == ["b", "b", "a", "a"]


def test_a_plan_rides_the_sum_of_its_routes() -> None:
    problem = street([bike("c", 0), bike("d", 7)], [job("s", 1, 3), job("t", 6, 5)])
    routes = {"c": pair("s"), "d": pair("t")}
    total = plan_riding_s(problem, routes)
    assert total == sum(route_riding_s(problem, c, routes[c.id]) or 0 for c in problem.couriers)
    assert total == round(100 / 0.9) + round(200 / 0.9) + round(100 / 0.9) + round(100 / 0.9)
