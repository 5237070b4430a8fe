"""The exact evaluator: a route timed leg by leg with the load really on board."""

from __future__ import annotations

import pytest

from routing.evaluate import RouteStop, StopKind, evaluate_route
from tests.routing.street import bike, job, street

P, D = StopKind.PICKUP, StopKind.DROPOFF


def test_each_leg_is_ridden_at_the_load_on_board_and_waits_for_its_window() -> None:
    # 25 kg on a bike slowing 10 % per 25 kg: the loaded leg of 100 s takes 100 / 0.9 s.
    problem = street([bike("c", 0)], [job("s", 1, 2, weight_kg=25.0, dropoff_window=(500, 600))])
    route = evaluate_route(problem, problem.couriers[0], [RouteStop("s", P), RouteStop("s", D)])
    pickup, dropoff = route.stops
    assert (pickup.arrival, pickup.start, pickup.departure, pickup.load_kg) == (100.0, 100.0, 160.0, 25.0)
    assert dropoff.leg_s == pytest.approx(100 / 0.9)
    assert dropoff.arrival == pytest.approx(160 + 100 / 0.9)
    assert (dropoff.start, dropoff.departure, dropoff.load_kg) == (500.0, 560.0, 0.0)
    assert route.travel_s == pytest.approx(100 + 100 / 0.9)
    assert route.wait_s == pytest.approx(500 - 160 - 100 / 0.9)
    assert (route.service_s, route.metres, route.end_time, route.max_load_kg) == (120.0, 1000.0, 560.0, 25.0)
    assert route.work_s == pytest.approx(route.travel_s + 120)
    assert route.lateness_s == 0 and not route.over_capacity and route.after_shift_s == 0


def test_a_window_that_closes_before_the_arrival_counts_as_lateness() -> None:
    problem = street([bike("c", 0)], [job("s", 1, 2, weight_kg=0.0, dropoff_window=(0, 200))])
    route = evaluate_route(problem, problem.couriers[0], [RouteStop("s", P), RouteStop("s", D)])
    assert route.stops[1].lateness_s == pytest.approx(60.0)  # 100 + 60 + 100 = 260 s, 60 s past 200
    assert route.lateness_s == pytest.approx(60.0)


def test_a_load_over_the_payload_or_the_volume_is_reported() -> None:
    heavy = street([bike("c", 0)], [job("s", 1, 2, weight_kg=30.0)])
    bulky = street([bike("c", 0)], [job("s", 1, 2, volume_l=61.0)])
    for problem in (heavy, bulky):
        route = evaluate_route(problem, problem.couriers[0], [RouteStop("s", P), RouteStop("s", D)])
        assert route.over_capacity


def test_a_parcel_on_board_weighs_from_the_start_and_the_route_ends_at_its_end_place() -> None:
    courier = bike("c", 0, on_board=("s",), end=0)
    problem = street([courier], [job("s", 5, 2, weight_kg=25.0)])
    route = evaluate_route(problem, courier, [RouteStop("s", D)])
    assert route.stops[0].leg_s == pytest.approx(200 / 0.9)  # loaded from the start
    assert route.max_load_kg == 25.0 and route.stops[0].load_kg == 0.0
    # Back to place 0 empty: 200 s more, counted as riding, and the route ends there.
    assert route.travel_s == pytest.approx(200 / 0.9 + 200)
    assert route.end_time == pytest.approx(200 / 0.9 + 60 + 200)
    assert route.metres == 2000.0


def test_a_route_leaves_no_earlier_than_now_and_reports_the_time_past_the_shift() -> None:
    courier = bike("c", 0, shift_start=0, shift_end=400)
    problem = street([courier], [job("s", 1, 2, weight_kg=0.0)], now=300)
    route = evaluate_route(problem, courier, [RouteStop("s", P), RouteStop("s", D)])
    assert route.start_time == 300.0
    assert route.end_time == 300 + 100 + 60 + 100 + 60
    assert route.after_shift_s == route.end_time - 400


def test_an_empty_route_is_the_courier_standing_still() -> None:
    problem = street([bike("c", 3, shift_start=600)], [])
    route = evaluate_route(problem, problem.couriers[0], [])
    assert route.stops == () and route.travel_s == 0 and route.start_time == route.end_time == 600.0
