"""One objective (routing/objective.py), used by insertion: the job goes where the plan's cost is least."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from routing.evaluate import RouteStop
from routing.insertion import insert_missing
from routing.objective import HEAVY_KG_SECONDS, Objective
from routing.problem import Problem
from tests.routing.test_solver import _two_courier_day
from tests.words import said


def _day(weight: float, busy_worked_s: int) -> tuple[Problem, str, str]:
    # One job at 0 -> 1000 m; c0 starts 100 m from its pickup, c1 600 m away.
    points = np.array([[0.0, 0.0], [1000.0, 0.0], [0.0, 100.0], [0.0, 600.0]])
    problem = _two_courier_day(points, 1, service_s=60, slowdown=0.0)
    near, far = problem.couriers
    couriers = (replace(near, worked_s_today=busy_worked_s), far)
    return replace(problem, couriers=couriers, fairness_weight=weight, _index={}), near.id, far.id


def test_without_fairness_the_new_job_goes_to_the_nearest_courier() -> None:
    problem, near, _ = _day(0.0, busy_worked_s=3 * 3600)
    routes = insert_missing(problem, {c.id: [] for c in problem.couriers}, set())
    assert [s.shipment for s in routes[near]] == ["s0", "s0"]


def test_with_fairness_it_goes_to_the_courier_who_worked_less_today() -> None:
    problem, near, far = _day(1.0, busy_worked_s=3 * 3600)
    routes = insert_missing(problem, {c.id: [] for c in problem.couriers}, set())
    assert routes[near] == [] and [s.shipment for s in routes[far]] == ["s0", "s0"]
    # Nobody busier: the nearest courier again, fairness costs nothing then.
    problem, near, _ = _day(1.0, busy_worked_s=0)
    routes = insert_missing(problem, {c.id: [] for c in problem.couriers}, set())
    assert [s.shipment for s in routes[near]] == ["s0", "s0"]


def test_the_cost_charges_only_work_above_a_share_and_heavy_kilograms_above_an_even_share() -> None:
    problem, near, far = _day(2.0, busy_worked_s=3 * 3600)
    objective = Objective.of(problem, ["s0"])
    assert objective.targets[near] == 0.0 and objective.targets[far] > 0
    assert objective.courier_cost(far, objective.targets[far], 0.0) == 0.0
    assert objective.courier_cost(near, 100.0, 0.0) == 200.0
    heavy = Objective(2.0, {"c": 1e9}, heavy_share_kg=40.0, heavy_able=frozenset({"c"}), heavy_today={"c": 30.0})
    assert heavy.courier_cost("c", 0.0, 20.0) == 2.0 * HEAVY_KG_SECONDS * 10.0


def test_under_a_riding_cap_the_fair_choice_gives_way_to_the_least_riding() -> None:
    problem, near, far = _day(1.0, busy_worked_s=3 * 3600)
    empty: dict[str, list[RouteStop]] = {c.id: [] for c in problem.couriers}
    roomy = insert_missing(problem, empty, set(), riding_cap_s=10_000)
    assert roomy[near] == [] and roomy[far]  # the cap leaves room for the fair choice
    tight = insert_missing(problem, empty, set(), riding_cap_s=1)
    assert tight[far] == [] and [s.shipment for s in tight[near]] == ["s0", "s0"]


def test_a_single_insertion_weighs_the_same_objective() -> None:
    from routing.insertion import insert_shipment

    problem, near, far = _day(1.0, busy_worked_s=3 * 3600)
    empty: dict[str, list[RouteStop]] = {c.id: [] for c in problem.couriers}
    assert insert_shipment(problem, empty, "s0").courier == far
    problem, near, _ = _day(0.0, busy_worked_s=3 * 3600)
    assert insert_shipment(problem, empty, "s0").courier == near


def test_an_explanation_says_sharing_only_for_a_move_to_someone_with_less_of_the_day() -> None:
    """Issue 15: the console said sharing moved a job *to* the busier courier."""
    from routing.evaluate import StopKind, evaluate_route
    from routing.explain import sharing_reasons
    from routing.plan import Explanation

    problem, near, far = _day(1.0, busy_worked_s=3 * 3600)
    job = [RouteStop("s0", StopKind.PICKUP), RouteStop("s0", StopKind.DROPOFF)]

    def explained(to: str, efficient: str, previous: str | None) -> str:
        routes = {c.id: evaluate_route(problem, c, job if c.id == to else []) for c in problem.couriers}
        ex = {"s0": Explanation("s0", to, 5.0, 3.0, 25.0, 0.5, 0.4, ())}
        plans = {c.id: (job if c.id == efficient else []) for c in problem.couriers}
        before = None if previous is None else {c.id: (job if c.id == previous else []) for c in problem.couriers}
        out = sharing_reasons(problem, ex, plans, routes, 0.05, before)
        return said(out["s0"].reasons[-1])

    assert "sharing the work may add at most 5%" in explained(far, efficient=near, previous=None)
    kept = explained(near, efficient=far, previous=near)  # near worked 3 h: a move to them is no sharing
    assert "sharing" not in kept and "as proposed before" in kept
    assert "sharing" not in explained(near, efficient=far, previous=None)


def test_fair_shares_of_a_day_with_no_new_work_are_zero_not_nan() -> None:
    import warnings

    from routing.fairness import fair_share_targets

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fair_share_targets([3600.0 * 0.3], [3600.0], 0.0) == [0.0]
        assert fair_share_targets([1000.0, 3000.0], [3600.0, 3600.0], 0.0) == [0.0, 0.0]
        assert fair_share_targets([1000.0, 3000.0], [3600.0, 3600.0], 2000.0) == [2000.0, 0.0]
        assert fair_share_targets([], [], 0.0) == []


def _leaver_and_stayer(weight: float) -> tuple[Problem, str, str]:
    """At 3 h into the day both have worked a quarter of their shift: c0 (4 h, leaving at 4 h) and
    c1 (8 h, staying until 8 h); the job's pickup is 100 m from c1 and 400 m from c0."""
    points = np.array([[0.0, 0.0], [1000.0, 0.0], [0.0, 400.0], [0.0, 100.0]])
    problem = _two_courier_day(points, 1, service_s=60, slowdown=0.0)
    leaver, stayer = problem.couriers
    now = 3 * 3600
    couriers = (
        replace(leaver, shift_start=now, shift_end=4 * 3600, planned_shift_s=4 * 3600, worked_s_today=3600),
        replace(stayer, shift_start=now, shift_end=8 * 3600, planned_shift_s=8 * 3600, worked_s_today=2 * 3600),
    )
    shipment = replace(problem.shipments[0], pickup_window=(now, 4 * 3600), dropoff_window=(now, 5 * 3600))
    day = replace(problem, couriers=couriers, shipments=(shipment,), now=now, fairness_weight=weight, _index={})
    return day, leaver.id, stayer.id


def test_of_two_couriers_with_the_same_share_so_far_the_one_whose_shift_ends_soon_gets_the_work() -> None:
    """Issue 15: balancing the share of the whole shift as if the day ended now gave a quiet
    morning's work to those who stay all day, and those who left at noon ended at a quarter."""
    from routing.fairness import expected_day_share

    problem, leaver, stayer = _leaver_and_stayer(1.0)
    c0, c1 = problem.couriers
    assert c0.worked_s_today / c0.shift_length_s == c1.worked_s_today / c1.shift_length_s
    assert expected_day_share(c0, problem.now, 0.0) < expected_day_share(c1, problem.now, 0.0)
    routes = insert_missing(problem, {c.id: [] for c in problem.couriers}, set())
    assert routes[stayer] == [] and [s.shipment for s in routes[leaver]] == ["s0", "s0"]
    objective = Objective.of(problem, ["s0"])
    assert objective.targets[leaver] > objective.targets[stayer]
    # Fairness off: the nearer courier, whoever leaves first.
    problem, leaver, stayer = _leaver_and_stayer(0.0)
    routes = insert_missing(problem, {c.id: [] for c in problem.couriers}, set())
    assert routes[leaver] == [] and [s.shipment for s in routes[stayer]] == ["s0", "s0"]


def _one_near_the_end_of_their_shift(weight: float) -> tuple[Problem, str, str]:
    """c0 is 100 m from the job but their 8-hour shift ends in 10 min; c1, 600 m away, has 6 hours
    left; both are expected to end the day at half their shift, so fairness prefers neither."""
    problem, near, far = _day(weight, busy_worked_s=0)
    c0, c1 = problem.couriers
    c0 = replace(c0, shift_end=10 * 60, planned_shift_s=8 * 3600, worked_s_today=4 * 3600 - 5 * 60)
    return replace(problem, couriers=(c0, c1), _index={}), near, far


def test_the_last_minutes_of_a_shift_are_kept_free_when_someone_else_has_time() -> None:
    """Issue 15: routes planned to end just before a shift's end ran past it, ridden a little
    slower than timed, while others on shift had room."""
    from routing.fairness import expected_day_share
    from routing.objective import SHIFT_END_COST_PER_S, SHIFT_END_MARGIN_S
    from routing.solver import SolverSettings, solve

    for weight in (0.0, 1.0):
        problem, near, far = _one_near_the_end_of_their_shift(weight)
        c0, c1 = problem.couriers
        assert expected_day_share(c0, 0, 0.0) == expected_day_share(c1, 0, 0.0) == 0.5
        assert Objective.shift_end_cost(c0, c0.shift_end - SHIFT_END_MARGIN_S) == 0.0
        assert Objective.shift_end_cost(c0, c0.shift_end) == SHIFT_END_COST_PER_S * SHIFT_END_MARGIN_S
        routes = insert_missing(problem, {c.id: [] for c in problem.couriers}, set())
        assert routes[near] == [] and [s.shipment for s in routes[far]] == ["s0", "s0"], weight
        plan = solve(problem, SolverSettings(time_budget_s=2.0, iterations=20, explain=False))
        assert [t.shipment for t in plan.routes[far].stops] == ["s0", "s0"], weight
    # Nobody else: the job still goes to the courier whose shift ends soon (it fits before the end).
    problem, near, far = _one_near_the_end_of_their_shift(1.0)
    alone = replace(problem, couriers=problem.couriers[:1], _index={})
    assert [s.shipment for s in insert_missing(alone, {near: []}, set())[near]] == ["s0", "s0"]


def test_a_single_insertion_keeps_the_end_of_a_shift_free_too() -> None:
    from routing.insertion import insert_shipment

    for weight in (0.0, 1.0):
        problem, _, far = _one_near_the_end_of_their_shift(weight)
        assert insert_shipment(problem, {c.id: [] for c in problem.couriers}, "s0").courier == far


def test_the_cost_of_a_route_change_is_the_objective_of_insertion() -> None:
    """An override's cost (dispatch/decisions.py) weighs a route change as the planner does."""
    from routing.evaluate import StopKind, evaluate_route

    job = [RouteStop("s0", StopKind.PICKUP), RouteStop("s0", StopKind.DROPOFF)]
    for weight in (0.0, 1.0):
        problem, near, far = _day(weight, busy_worked_s=3 * 3600)
        objective = Objective.of(problem, ["s0"])
        costs = {}
        for c in problem.couriers:
            before, after = evaluate_route(problem, c, []), evaluate_route(problem, c, job)
            costs[c.id] = objective.route_cost(problem, c, before, after, problem.shipments[0])
            assert costs[c.id] >= after.work_s - before.work_s > 0
        # Off: riding and handling only, so the nearer courier is cheaper; on: the one who worked
        # three hours today costs more, as insertion found (the far courier gets the job).
        assert (costs[near] < costs[far]) == (weight == 0.0)
    # The end of a shift counts too, fairness off.
    problem, near, far = _one_near_the_end_of_their_shift(0.0)
    c0 = problem.couriers[0]
    before, after = evaluate_route(problem, c0, []), evaluate_route(problem, c0, job)
    assert Objective.of(problem, ["s0"]).route_cost(problem, c0, before, after, problem.shipments[0]) > 2 * (
        after.work_s - before.work_s
    )


def test_an_explanation_says_when_sharing_chose_someone_whose_shift_ends_soon() -> None:
    from routing.evaluate import StopKind, evaluate_route
    from routing.explain import sharing_reasons
    from routing.plan import Explanation

    problem, leaver, stayer = _leaver_and_stayer(1.0)
    job = [RouteStop("s0", StopKind.PICKUP), RouteStop("s0", StopKind.DROPOFF)]
    routes = {c.id: evaluate_route(problem, c, job if c.id == leaver else []) for c in problem.couriers}
    ex = {"s0": Explanation("s0", leaver, 5.0, 3.0, 25.0, 0.3, 0.25, ())}
    efficient = {c.id: (job if c.id == stayer else []) for c in problem.couriers}
    reason = said(sharing_reasons(problem, ex, efficient, routes, 0.05, None)["s0"].reasons[-1])
    assert f"{leaver}, whose shift ends in 60 min" in reason and "expected worked at the day's end" in reason


def test_without_a_margin_the_end_of_a_shift_costs_nothing_and_the_model_keeps_the_shortest_plan() -> None:
    """Li & Lim's depot window is not a person's shift: with the margin kept (issue 15) OR-Tools
    lengthened lc101's plan from 828.94 to 834.45 to end routes earlier; a problem may say 0."""
    from routing.objective import SHIFT_END_COST_PER_S, Objective
    from routing.problem import Courier

    c = Courier(
        id="c", profile="bike", payload_kg=25, volume_l=60, max_length_cm=60, start=0, shift_start=0, shift_end=3600
    )
    assert Objective.shift_end_cost(c, 3600, 0) == 0.0
    assert Objective.shift_end_cost(c, 3600, 600) == SHIFT_END_COST_PER_S * 600
