"""Insertions that leave the rest in place: one new job, completing a start, mending routes."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from routing.evaluate import RouteStop, StopKind, evaluate_route
from routing.insertion import cheapest_insertion, feasible, insert_missing, insert_shipment, repair, still_valid
from routing.problem import Lock
from tests.routing.street import bike, job, street
from tests.words import said

P, D = StopKind.PICKUP, StopKind.DROPOFF


def pair(sid: str) -> list[RouteStop]:
    return [RouteStop(sid, P), RouteStop(sid, D)]


def test_a_new_job_goes_to_the_courier_whose_route_absorbs_it_at_the_least_cost() -> None:
    problem = street([bike("far", 7), bike("near", 0)], [job("s", 1, 2)])
    found = insert_shipment(problem, {"far": [], "near": []}, "s")
    assert found.courier == "near" and list(found.stops) == pair("s")
    # 100 s to the pickup empty, 100 s with 5 kg (2 % slower), a minute at each end.
    assert found.extra_minutes == pytest.approx((100 + 100 / 0.98 + 120) / 60)


def test_a_new_job_leaves_the_other_stops_where_they_were() -> None:
    problem = street([bike("c", 0)], [job("a", 3, 6), job("s", 4, 5)])
    found = insert_shipment(problem, {"c": pair("a")}, "s")
    assert found.courier == "c"
    assert [stop for stop in found.stops if stop.shipment == "a"] == pair("a")
    assert list(found.stops) == [RouteStop("a", P), RouteStop("s", P), RouteStop("s", D), RouteStop("a", D)]


def test_a_job_nobody_can_take_or_fit_in_says_why() -> None:
    too_heavy = street([bike("c", 0)], [job("s", 1, 2, weight_kg=40.0)])
    assert said(insert_shipment(too_heavy, {"c": []}, "s").reason).startswith("no vehicle on shift can carry 40 kg")
    # The only courier must be at place 7 at 700 s, and cannot be back at place 1 before 1,000 s.
    busy = street([bike("c", 0)], [job("a", 7, 0, pickup_window=(700, 700)), job("s", 1, 2, pickup_window=(0, 1000))])
    found = insert_shipment(busy, {"c": pair("a")}, "s")
    assert found.courier is None and said(found.reason).startswith("no courier can fit it in with the other jobs")


def test_a_courier_whose_vehicle_cannot_take_the_parcel_has_no_insertion() -> None:
    problem = street([bike("c", 0)], [job("s", 1, 2, length_cm=90.0)])
    courier = problem.couriers[0]
    assert cheapest_insertion(problem, courier, [], problem.shipments[0], evaluate_route(problem, courier, [])) is None


def test_a_route_is_feasible_only_on_time_within_the_shift_and_the_load() -> None:
    late = street([bike("c", 0)], [job("s", 1, 2, dropoff_window=(0, 100))])
    route = evaluate_route(late, late.couriers[0], pair("s"))
    assert not feasible(late, route) and feasible(replace(late, soft_windows=True), route)
    heavy = street([bike("c", 0)], [job("s", 1, 2, weight_kg=30.0)])
    assert not feasible(heavy, evaluate_route(heavy, heavy.couriers[0], pair("s")))
    short = street([bike("c", 0, shift_end=300)], [job("s", 1, 2)])
    assert not feasible(short, evaluate_route(short, short.couriers[0], pair("s")))


def test_an_earlier_plan_loses_what_no_longer_applies() -> None:
    courier = bike("c", 0, on_board=("picked",))
    problem = street([courier, bike("d", 5)], [job("picked", 1, 2), job("given", 3, 4)], locks=(Lock("given", "d"),))
    earlier = {"c": [*pair("picked"), *pair("given"), *pair("done")], "gone": pair("picked")}
    assert still_valid(problem, earlier) == {"c": [RouteStop("picked", D)], "d": []}
    assert still_valid(problem, earlier, excluded=frozenset({"picked"})) == {"c": [], "d": []}


def test_completing_a_start_puts_owned_work_with_its_owner_and_skips_excluded_jobs() -> None:
    problem = street([bike("near", 0), bike("owner", 7)], [job("mine", 1, 2), job("free", 0, 1), job("out", 1, 2)])
    problem = replace(problem, locks=(Lock("mine", "owner"),))
    routes = insert_missing(problem, {"near": [], "owner": []}, {"out"})
    assert routes["owner"] == pair("mine") and routes["near"] == pair("free")


def test_past_its_deadline_completion_still_inserts_owned_work_but_no_free_job() -> None:
    problem = street([bike("c", 0)], [job("free", 1, 2), job("mine", 3, 4)], locks=(Lock("mine", "c"),))
    routes = insert_missing(problem, {"c": []}, set(), deadline=time.perf_counter() - 1.0)
    assert routes["c"] == pair("mine")


def test_repair_keeps_owned_work_and_gives_back_free_jobs_of_a_route_that_no_longer_holds() -> None:
    problem = street([bike("c", 0)], [job("free", 1, 2), job("mine", 3, 4)], locks=(Lock("mine", "c"),))
    plan = {"c": [*pair("free"), *pair("mine")]}
    assert repair(problem, plan) == plan  # it holds: unchanged
    later = replace(problem, now=3 * 3600 + 3000)  # 10 min of shift left: only the owned job stays
    assert repair(later, plan) == {"c": pair("mine")}
