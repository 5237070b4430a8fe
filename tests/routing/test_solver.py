"""The planner on random small instances: hard limits are never broken, every job is accounted for."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.evaluate import StopKind
from routing.fairness import fair_share_targets, gini, jain, max_min_ratio
from routing.plan import Plan
from routing.problem import Courier, Lock, Problem, ProblemError, Shipment, TravelTimes
from routing.solver import SolverSettings, solve


def euclidean(points: np.ndarray, kmh: float, slowdown: float) -> TravelTimes:
    metres = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    return TravelTimes(
        ride_s=metres / (kmh / 3.6),
        walk_s=np.zeros_like(metres),
        metres=metres,
        cruise_kmh=kmh,
        slowdown_per_25kg=slowdown,
        min_riding_kmh=5.0,
    )


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    n_ship = draw(st.integers(1, 7))
    n_cour = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    points = rng.uniform(0, 4000, size=(2 * n_ship + n_cour, 2))
    travel = {"bike": euclidean(points, 15.0, 0.05), "cargo": euclidean(points, 13.0, 0.04)}
    shipments = []
    for i in range(n_ship):
        open_at = int(rng.integers(0, 3 * 3600))
        width = int(rng.choice([0, 600, 1800, 3600, 7200]))
        shipments.append(
            Shipment(
                id=f"s{i}",
                pickup=2 * i,
                dropoff=2 * i + 1,
                pickup_window=(open_at, open_at + width),
                dropoff_window=(open_at, open_at + width + int(rng.integers(0, 5400))),
                weight_kg=float(rng.choice([1, 5, 20, 45, 90, 250])),
                volume_l=float(rng.choice([5, 30, 200])),
                length_cm=float(rng.choice([30, 90, 150, 220])),
                pickup_service_s=120,
                dropoff_service_s=120,
            )
        )
    couriers = []
    for j in range(n_cour):
        cargo = bool(rng.integers(0, 2))
        start = int(rng.integers(0, 2 * 3600))
        couriers.append(
            Courier(
                id=f"c{j}",
                profile="cargo" if cargo else "bike",
                payload_kg=150.0 if cargo else 25.0,
                volume_l=400.0 if cargo else 60.0,
                max_length_cm=160.0 if cargo else 60.0,
                start=2 * n_ship + j,
                shift_start=start,
                shift_end=start + int(rng.choice([2, 4, 6])) * 3600,
                end=None if rng.integers(0, 2) else 2 * n_ship + j,
            )
        )
    # Some parcels already on board, some jobs locked by a person (only where it can physically fit).
    on_board: dict[int, list[str]] = {}
    locks = []
    for s in shipments:
        fits = [
            j
            for j, c in enumerate(couriers)
            if s.weight_kg <= c.payload_kg and s.volume_l <= c.volume_l and s.length_cm <= c.max_length_cm
        ]
        roll = rng.uniform()
        if fits and roll < 0.15:
            on_board.setdefault(int(rng.choice(fits)), []).append(s.id)
        elif fits and roll < 0.3:
            locks.append(Lock(s.id, couriers[int(rng.choice(fits))].id, keep_order=bool(rng.integers(0, 2))))
    couriers = [Courier(**{**c.__dict__, "on_board": tuple(on_board.get(j, []))}) for j, c in enumerate(couriers)]
    # A parcel on board cannot be over the vehicle's limits together with the others on board.
    for j, c in enumerate(couriers):
        if sum(s.weight_kg for s in shipments if s.id in c.on_board) > c.payload_kg:
            couriers[j] = Courier(**{**c.__dict__, "on_board": ()})
    weight = draw(st.sampled_from([0.0, 1.0]))
    return Problem(
        couriers=tuple(couriers),
        shipments=tuple(shipments),
        travel=travel,
        locks=tuple(locks),
        fairness_weight=weight,
        now=int(rng.integers(0, 3600)),
    )


def check_plan(problem: Problem, plan: Plan) -> None:
    on_board = {s: c.id for c in problem.couriers for s in c.on_board}
    seen: dict[str, str] = {}
    for courier in problem.couriers:
        route = plan.routes[courier.id]
        assert route.lateness_s == 0, "a hard window was missed"
        assert route.after_shift_s == 0, "the route ends after the shift"
        assert route.start_time >= max(courier.shift_start, problem.now)
        assert not route.over_capacity and route.max_load_kg <= courier.payload_kg + 1e-9
        picked: set[str] = set()
        for stop in route.stops:
            s = problem.shipment(stop.shipment)
            assert s.length_cm <= courier.max_length_cm, "a parcel too long for the vehicle"
            assert seen.setdefault(s.id, courier.id) == courier.id, "a job split between couriers"
            if stop.kind is StopKind.PICKUP:
                assert s.id not in on_board, "an on-board parcel picked up again"
                picked.add(s.id)
            else:
                assert s.id in picked or on_board.get(s.id) == courier.id, "drop-off before pickup"
        assert picked <= {t.shipment for t in route.stops if t.kind is StopKind.DROPOFF}, "picked up, never dropped"
    for sid, owner in on_board.items():
        assert seen.get(sid) == owner or sid in plan.unassigned
    for lock in problem.locks:
        assert seen.get(lock.shipment, lock.courier) == lock.courier, "a person's decision was overridden"
    for s in problem.shipments:
        assert (s.id in seen) != (s.id in plan.unassigned), f"{s.id} is neither served nor explained"
        if s.id in plan.unassigned:
            assert plan.unassigned[s.id].strip(), "an unassigned job without a reason"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_hard_limits_hold_and_every_job_is_accounted_for(problem: Problem) -> None:
    plan = solve(problem, SolverSettings(time_budget_s=0.2))
    check_plan(problem, plan)


def _one_courier_problem(**shipment: object) -> Problem:
    points = np.array([[0.0, 0.0], [1000.0, 0.0], [2000.0, 0.0]])
    travel = {"bike": euclidean(points, 15.0, 0.05)}
    args = {
        "id": "s",
        "pickup": 0,
        "dropoff": 1,
        "pickup_window": (0, 7200),
        "dropoff_window": (0, 7200),
        "weight_kg": 5.0,
    } | shipment
    courier = Courier(
        id="c", profile="bike", payload_kg=25, volume_l=60, max_length_cm=60, start=2, shift_start=0, shift_end=4 * 3600
    )
    return Problem(couriers=(courier,), shipments=(Shipment(**args),), travel=travel)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("shipment", "reason"),
    [
        ({"weight_kg": 240.0}, "no vehicle on shift can carry 240 kg"),
        ({"length_cm": 150.0}, "no vehicle on shift takes a parcel 150 cm long"),
        ({"volume_l": 500.0}, "no vehicle on shift has room for 500 L"),
        ({"pickup_window": (0, 60)}, "the pickup window closes before any courier can get there"),
        ({"dropoff_window": (0, 200)}, "the drop-off window closes before any courier can bring the parcel there"),
        (
            {"pickup_window": (5 * 3600, 6 * 3600), "dropoff_window": (5 * 3600, 6 * 3600)},
            "no courier's shift lasts long enough",
        ),
    ],
)
def test_unservable_jobs_say_why(shipment: dict[str, object], reason: str) -> None:
    plan = solve(_one_courier_problem(**shipment), SolverSettings(time_budget_s=0.2))
    assert plan.unassigned["s"].startswith(reason)
    assert plan.routes["c"].stops == ()


def test_no_courier_on_shift() -> None:
    problem = _one_courier_problem()
    empty = Problem(couriers=(), shipments=problem.shipments, travel=problem.travel)
    assert solve(empty).unassigned == {"s": "no courier is on shift"}


def test_a_servable_job_is_served_with_exact_times() -> None:
    plan = solve(_one_courier_problem(), SolverSettings(time_budget_s=0.2))
    route = plan.routes["c"]
    assert [t.kind for t in route.stops] == [StopKind.PICKUP, StopKind.DROPOFF]
    # 2 km to the pickup empty, then 1 km with 5 kg at 15 km/h slowed by 1 %.
    assert route.stops[0].arrival == pytest.approx(2000 / (15 / 3.6))
    assert route.stops[1].leg_s == pytest.approx(1000 / (15 * 0.99 / 3.6))


def test_problem_validation() -> None:
    problem = _one_courier_problem()
    with pytest.raises(ProblemError, match="unknown shipment or courier"):
        Problem(
            couriers=problem.couriers, shipments=problem.shipments, travel=problem.travel, locks=(Lock("s", "nobody"),)
        )
    with pytest.raises(ProblemError, match="out of range"):
        _one_courier_problem(dropoff=9)


def test_fairness_metrics() -> None:
    assert gini([1, 1, 1, 1]) == 0 and gini([0, 0, 0, 4]) == pytest.approx(0.75)
    assert max_min_ratio([2, 4]) == 2 and math.isinf(max_min_ratio([0, 1])) and max_min_ratio([]) == 1
    assert jain([1, 1]) == 1 and jain([0, 2]) == 0.5
    # Equal shifts, one hour already worked by the first, one hour of new work: it all goes to the second.
    assert fair_share_targets([3600, 0], [4 * 3600, 4 * 3600], 3600) == pytest.approx([0, 3600])
    # Someone already past an even share gets nothing; the rest is shared among the others.
    assert fair_share_targets([7200, 0, 0], [14400] * 3, 3600) == pytest.approx([0, 1800, 1800])
    # Shares follow shift length.
    assert fair_share_targets([0, 0], [3600, 3 * 3600], 4000) == pytest.approx([1000, 3000])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_insertion_keeps_hard_limits_and_moves_nothing_else(problem: Problem) -> None:
    from routing.evaluate import RouteStop, evaluate_route
    from routing.insertion import insert_shipment

    plan = solve(problem, SolverSettings(time_budget_s=0.1, explain=False))
    routes = {cid: [RouteStop(t.shipment, t.kind) for t in r.stops] for cid, r in plan.routes.items()}
    for sid in list(plan.unassigned)[:2]:
        result = insert_shipment(problem, routes, sid)
        if result.courier is None:
            assert result.reason
            continue
        courier = next(c for c in problem.couriers if c.id == result.courier)
        before = routes[courier.id]
        assert [s for s in result.stops if s.shipment != sid] == before  # the others keep their order
        evaluation = evaluate_route(problem, courier, result.stops)
        assert evaluation.lateness_s == 0 and evaluation.after_shift_s == 0 and not evaluation.over_capacity
        kinds = [s.kind for s in result.stops if s.shipment == sid]
        assert kinds == [StopKind.PICKUP, StopKind.DROPOFF]


def test_insertion_into_an_empty_day() -> None:
    from routing.insertion import insert_shipment

    problem = _one_courier_problem()
    result = insert_shipment(problem, {"c": []}, "s")
    assert result.courier == "c" and [s.kind for s in result.stops] == [StopKind.PICKUP, StopKind.DROPOFF]
    assert result.extra_minutes > 0
    heavy = _one_courier_problem(weight_kg=240.0)
    assert insert_shipment(heavy, {"c": []}, "s").reason == "no vehicle on shift can carry 240 kg"
