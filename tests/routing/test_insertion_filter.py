"""The insertion's shortcut (issue 22): what :class:`routing.model_limits.Prefix` rules out,
:func:`routing.model_limits.route_holds` refuses too, and what it lets through is still timed.

The completion of a large start spent half its time timing insertions that were late at their
pickup; the prefix refuses those without timing them. It must never refuse one that holds, or
a job would be reported "fits nowhere" (or placed worse) where the full model accepts it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.evaluate import RouteStop, StopKind
from routing.insertion import insert_missing
from routing.model_limits import Prefix, route_holds
from routing.problem import Break, Problem
from tests.routing.street import bike, job, street
from tests.routing.test_solver import problems


def _insertions(stops: list[RouteStop], sid: str, on_board: bool) -> list[tuple[int, int, list[RouteStop]]]:
    n = len(stops)
    out = []
    for i in [-1] if on_board else range(n + 1):
        for j in range(max(i, 0), n + 1):
            trial = list(stops)
            trial.insert(j, RouteStop(sid, StopKind.DROPOFF))
            if i >= 0:
                trial.insert(i, RouteStop(sid, StopKind.PICKUP))
            out.append((i, j, trial))
    return out


RULED_OUT: list[int] = []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(problems(), st.integers(0, 2**32 - 1))
def test_what_the_prefix_rules_out_never_holds(problem: Problem, seed: int) -> None:
    problem = replace(problem, locks=())
    rng = np.random.default_rng(seed)
    # Each courier's route: some of the jobs (not on board elsewhere) in a random feasible-or-not
    # order, built by the completion itself, so routes that hold are common.
    routes = insert_missing(problem, {c.id: [] for c in problem.couriers}, set())
    ruled_out = 0
    for courier in problem.couriers:
        stops = routes[courier.id]
        if stops and rng.uniform() < 0.5:  # take a job out to insert it again
            drop = stops[int(rng.integers(0, len(stops)))].shipment
            if drop not in courier.on_board:
                stops = [t for t in stops if t.shipment != drop]
        prefix = Prefix.of(problem, courier, stops)
        if prefix is None:
            continue
        present = {t.shipment for t in stops}
        for s in problem.shipments:
            if s.id in present or any(s.id in c.on_board for c in problem.couriers if c.id != courier.id):
                continue
            for i, j, trial in _insertions(stops, s.id, s.id in courier.on_board):
                if prefix.rules_out(problem, s, i, j):
                    ruled_out += 1
                    assert not route_holds(problem, courier, trial), (courier.id, s.id, i, j)
    RULED_OUT.append(ruled_out)


def test_the_property_above_did_rule_insertions_out() -> None:
    """Not vacuous: the examples drawn above had insertions ruled out (run in file order)."""
    if not RULED_OUT:
        test_what_the_prefix_rules_out_never_holds()
    assert sum(RULED_OUT) > 0


def test_the_prefix_rules_out_an_overloaded_stretch_and_a_late_pickup_only() -> None:
    courier = bike("c", 0)  # 25 kg
    early = job("early", 1, 2, weight_kg=20.0)
    heavy = job("heavy", 1, 2, weight_kg=10.0)
    late = job("late", 3, 4, pickup_window=(0, 60))  # 300 s away from the start
    problem = street([courier], [early, heavy, late])
    stops = [RouteStop("early", StopKind.PICKUP), RouteStop("early", StopKind.DROPOFF)]
    prefix = Prefix.of(problem, courier, stops)
    assert prefix is not None
    assert prefix.rules_out(problem, heavy, 1, 1)  # 20 + 10 kg on board at once
    assert prefix.rules_out(problem, heavy, 0, 2)
    assert not prefix.rules_out(problem, heavy, 2, 2)  # after early's drop-off: it holds
    exact = job("exact", 1, 2, weight_kg=5.0)  # 20 + 5 kg: the payload exactly
    problem = street([courier], [early, heavy, late, exact])
    assert not prefix.rules_out(problem, exact, 1, 1)
    assert route_holds(
        problem,
        courier,
        [stops[0], RouteStop("exact", StopKind.PICKUP), RouteStop("exact", StopKind.DROPOFF), stops[1]],
    )
    assert route_holds(
        problem, courier, [*stops, RouteStop("heavy", StopKind.PICKUP), RouteStop("heavy", StopKind.DROPOFF)]
    )
    assert all(prefix.rules_out(problem, late, i, j) for i in range(3) for j in range(i, 3))
    # A courier with a break to take: where it falls moves with the route, so no shortcut.
    assert Prefix.of(problem, replace(courier, breaks=(Break(3600, 7200, 1800),)), stops) is None
