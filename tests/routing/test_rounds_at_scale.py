"""Rounds too large for their budget still propose (issue 21): what the planner does instead.

The timings themselves live in benchmarks/bench_scale.py; these tests force each path by
making the measured cost constants large, on problems small enough for a unit test.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import routing.construct as construct_module
import routing.solver as solver_module
from routing import ortools_model
from routing.construct import construct
from routing.evaluate import RouteStop, StopKind
from routing.explain import explain
from routing.matrix import routable_graph
from routing.network import open_city
from routing.problem import Courier, Problem, Shipment, TravelTimes, travel_times
from routing.profiles import PROFILES
from routing.solver import SolverSettings, solve
from routing.stats import SearchStats
from routing.travel_cache import TravelCache
from tests.routing.test_construct import check_routes
from tests.routing.test_solver import euclidean
from tests.words import said


def _day(n_jobs: int = 8) -> Problem:
    """Two bikes on a line of places, jobs whose pickups close one after the other."""
    points = np.array([[700.0 * i, 0.0] for i in range(12)])
    couriers = tuple(
        Courier(
            id=f"c{i}",
            profile="bike",
            payload_kg=25.0,
            volume_l=60.0,
            max_length_cm=60.0,
            start=0 if i == 0 else 11,
            shift_start=0,
            shift_end=8 * 3600,
        )
        for i in range(2)
    )
    shipments = tuple(
        Shipment(
            id=f"j{i}",
            pickup=1 + i % 10,
            dropoff=10 - i % 10,
            pickup_window=(0, 3600 + 600 * i),
            dropoff_window=(0, 8 * 3600),
            weight_kg=2.0,
        )
        for i in range(n_jobs)
    )
    return Problem(
        couriers=couriers,
        shipments=shipments,
        travel={"bike": euclidean(points, 15.0, 0.05)},
        fairness_weight=0.5,
    )


def _served(routes: dict[str, list[RouteStop]] | Any) -> set[str]:
    return {stop.shipment for stops in routes.values() for stop in getattr(stops, "stops", stops)}


def test_a_round_whose_search_finds_nothing_proposes_its_start(monkeypatch: pytest.MonkeyPatch) -> None:
    def nothing(self: Any, initial: Any) -> tuple[None, SearchStats]:
        return None, SearchStats(status=4)

    monkeypatch.setattr(ortools_model.OrToolsModel, "solve", nothing)
    problem = _day()
    plan = solve(problem, SolverSettings(time_budget_s=0.5, explain=False))
    assert plan.solver.proposed_start
    assert _served(plan.routes) == {s.id for s in problem.shipments}
    assert not plan.unassigned
    check_routes(problem, {cid: [RouteStop(t.shipment, t.kind) for t in r.stops] for cid, r in plan.routes.items()})


def test_a_model_too_large_to_build_in_time_is_not_built_and_the_start_is_the_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the OR-Tools model was built")

    monkeypatch.setattr(ortools_model, "MODEL_S_PER_ENTRY_CLASS", 1.0)
    monkeypatch.setattr(ortools_model.OrToolsModel, "__init__", refuse)
    problem = _day()
    plan = solve(problem, SolverSettings(time_budget_s=0.5))
    assert plan.solver.ortools.startswith("skipped")
    assert _served(plan.routes) == {s.id for s in problem.shipments}
    assert set(plan.explanations) == {s.id for s in problem.shipments}


def test_without_any_start_a_large_model_is_replaced_by_insertion(monkeypatch: pytest.MonkeyPatch) -> None:
    """OR-Tools' own first solution does not stop at its time limit; insertion builds the start."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the OR-Tools model was built")

    monkeypatch.setattr(ortools_model, "MODEL_S_PER_ENTRY_CLASS", 1.0)
    monkeypatch.setattr(ortools_model.OrToolsModel, "__init__", refuse)
    problem = _day()
    plan = solve(problem, SolverSettings(time_budget_s=0.5, constructor="ortools"))
    assert plan.solver.ortools.startswith("skipped")
    assert _served(plan.routes) == {s.id for s in problem.shipments}


def test_when_only_the_starts_jobs_fit_the_model_the_others_wait_for_a_later_round(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    problem = _day()
    real = ortools_model.model_seconds

    def costly_beyond_the_start(p: Problem, jobs: set[str], *, riding_cap: bool) -> float:
        return 100.0 if len(jobs) == len(problem.shipments) else real(p, jobs, riding_cap=riding_cap)

    start: dict[str, list[RouteStop]] = {"c0": [], "c1": []}
    for sid in ("j0", "j1"):
        start["c0"] += [RouteStop(sid, kind) for kind in (StopKind.PICKUP, StopKind.DROPOFF)]
    monkeypatch.setattr(solver_module, "model_seconds", costly_beyond_the_start)
    # No time for the completion by insertion: the start keeps its two jobs.
    monkeypatch.setattr(solver_module, "insert_missing", lambda p, routes, excluded, deadline=None, tried=None: routes)
    plan = solve(problem, SolverSettings(time_budget_s=0.5, explain=False), initial=start)
    assert plan.solver.ortools.startswith("over the 2 jobs of the start")
    assert _served(plan.routes) == {"j0", "j1"}
    assert set(plan.unassigned) == {s.id for s in problem.shipments} - {"j0", "j1"}
    assert set(plan.unassigned.values()) == {solver_module.DEFERRED}


def test_pyvrp_plans_the_most_urgent_jobs_when_all_of_them_would_overrun_its_share(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the random start of all of them would overrun its share: (0.8 x 0.36 / 0.018) ** 0.4 = 3 jobs
    monkeypatch.setattr(construct_module, "RANDOM_START_S_PER_JOB2_5", 0.018)
    problem = _day()
    built = construct(problem, time_budget_s=0.36, use_vroom=False)
    assert built.stats is not None and built.stats.deferred == len(problem.shipments) - 3
    assert built.stats.start == "random"  # the subset is what a random start holds in time
    assert built.routes is not None
    assert _served(built.routes) == {"j0", "j1", "j2"}  # the pickups that close first
    check_routes(problem, built.routes)
    # By the work allowed (replays), every job is planned whatever the clock would say.
    built = construct(problem, time_budget_s=0.36, iterations=50, use_vroom=False)
    assert built.stats is not None and built.stats.deferred == 0


def test_the_travel_cache_grows_across_rounds_larger_than_half_its_bound() -> None:
    graph = routable_graph(open_city(None), PROFILES["bike"])
    cache = TravelCache(max_nodes=100)
    first = np.arange(0, 60, dtype=np.int64)
    second = np.arange(5, 65, dtype=np.int64)  # a round later: 55 places known, 5 new
    cache.travel_times(graph, first)
    got = cache.travel_times(graph, second)
    assert cache.searched_nodes == 65
    want: TravelTimes = travel_times(graph, second)
    np.testing.assert_allclose(got.ride_s, want.ride_s, rtol=1e-9, atol=1e-6)


def test_explanations_past_their_deadline_say_that_other_couriers_were_not_compared() -> None:
    problem = _day()
    plan = solve(problem, SolverSettings(time_budget_s=0.3, explain=False))
    late = explain(problem, plan.routes, deadline=0.0)
    assert set(late) == _served(plan.routes)
    assert all(not e.alternatives and "not compared" in said(e.reasons[-1]) for e in late.values())
    on_time = explain(problem, plan.routes)
    assert any(e.alternatives for e in on_time.values())
