"""Why this courier: an explanation for every proposed job, with what the alternatives cost."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from routing.evaluate import RouteEvaluation, RouteStop, StopKind, evaluate_route
from routing.explain import explain, sharing_reasons
from routing.problem import Lock, Problem
from routing.reasons import Reason, reason
from tests.routing.street import bike, job, street

P, D = StopKind.PICKUP, StopKind.DROPOFF


def timed(problem: Problem, routes: dict[str, list[RouteStop]]) -> dict[str, RouteEvaluation]:
    return {c.id: evaluate_route(problem, c, routes.get(c.id, [])) for c in problem.couriers}


def pair(sid: str) -> list[RouteStop]:
    return [RouteStop(sid, P), RouteStop(sid, D)]


def said(r: Reason) -> str:
    """A reason as an English reader gets it at the edge."""
    from api.i18n import render

    return render(r.to_json())


def test_a_job_says_what_it_adds_what_it_weighs_and_what_another_courier_would_cost() -> None:
    problem = street([bike("near", 0), bike("far", 7)], [job("s", 1, 2)])
    ex = explain(problem, timed(problem, {"near": pair("s")}))["s"]
    added = (100 + 100 / 0.98 + 120) / 60  # to the pickup empty, then 5 kg aboard, a minute at each end
    assert ex.courier == "near" and ex.extra_minutes == pytest.approx(added)
    assert ex.reasons == (reason("adds_minutes", minutes=round(added, 1), courier="near"),)
    assert said(ex.reasons[0]) == f"adds {added:.1f} min of riding and handling to near's route"
    assert (ex.load_after_pickup_kg, ex.payload_kg) == (5.0, 25.0)
    (other,) = ex.alternatives
    assert other.courier == "far" and other.extra_minutes == pytest.approx((600 + 100 / 0.98 + 120) / 60)


def test_a_locked_job_and_a_parcel_on_board_say_so_first() -> None:
    courier = bike("c", 0, on_board=("aboard",))
    problem = street([courier], [job("aboard", 1, 2), job("decided", 3, 4)], locks=(Lock("decided", "c"),))
    out = explain(problem, timed(problem, {"c": [RouteStop("aboard", D), *pair("decided")]}))
    assert out["aboard"].reasons[0] == reason("on_board")
    assert out["decided"].reasons[0] == reason("locked")


def test_a_job_few_vehicles_can_take_and_a_heavy_one_say_who_can() -> None:
    cargo = {"payload_kg": 100.0, "volume_l": 200.0}
    couriers = [bike("b", 0), bike("k", 0, **cargo), bike("l", 7, heavy_kg_today=40.0, **cargo)]
    problem = street(couriers, [job("s", 1, 2, weight_kg=30.0)])
    reasons = [said(r) for r in explain(problem, timed(problem, {"k": pair("s")}))["s"].reasons]
    assert "only 2 of 3 couriers' vehicles take 30 kg, 10 L, 30 cm" in reasons
    assert "heavy parcel: k has carried the fewest heavy kilograms today (0 kg) among those who can carry it" in reasons


def test_with_fairness_on_a_job_gives_the_shares_of_shift_worked() -> None:
    problem = street([bike("c", 0, shift_end=3600), bike("d", 7, shift_end=3600)], [job("s", 1, 2)])
    problem = replace(problem, fairness_weight=1.0)
    routes = timed(problem, {"c": pair("s")})
    share = routes["c"].work_s / 3600
    reasons = [said(r) for r in explain(problem, routes)["s"].reasons]
    assert f"c will have worked {share:.0%} of their shift (cooperative: {share / 2:.0%})" in reasons


def test_past_the_deadline_other_couriers_are_not_compared() -> None:
    problem = street([bike("near", 0), bike("far", 7)], [job("s", 1, 2)])
    ex = explain(problem, timed(problem, {"near": pair("s")}), deadline=time.perf_counter() - 1)["s"]
    assert ex.alternatives == () and ex.reasons[-1] == reason("not_compared")


def test_a_job_shared_away_from_the_plan_with_the_least_riding_says_so() -> None:
    problem = street([bike("busy", 0, worked_s_today=3 * 3600), bike("idle", 7)], [job("s", 1, 2)])
    routes = timed(problem, {"idle": pair("s")})
    plain = explain(problem, routes)
    out = sharing_reasons(problem, plain, {"busy": pair("s"), "idle": []}, routes, 0.05)
    assert out["s"].reasons[:-1] == plain["s"].reasons
    assert said(out["s"].reasons[-1]).startswith("the plan with the least riding found gives it to busy")
    assert "may add at most 5% riding" in said(out["s"].reasons[-1])
    # The same courier as the plan with the least riding: nothing to add.
    assert sharing_reasons(problem, plain, {"idle": pair("s")}, routes, 0.05) == plain
