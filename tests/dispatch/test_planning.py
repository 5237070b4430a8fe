"""Planning rounds on the real Helsinki network through the store: proposals, locks, explanations."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dispatch import commands as do
from dispatch.events import EventType
from dispatch.lifecycle import JobState
from dispatch.model import JobRequest, Parcel, Place, TimeWindow, Vehicle
from dispatch.planning import planning_round
from dispatch.store import Store
from routing.network import BikeNetwork
from tests.dispatch.helsinki import ESPLANADI, KAMPPI, MARKET, NOON, STATION
from tests.words import all_said, said

HAKANIEMI_EDGE = (24.9480, 60.1770)


def job(
    pickup: tuple[float, float],
    dropoff: tuple[float, float],
    kg: float,
    *,
    length_cm: float = 40,
    start: datetime = NOON,
    hours: float = 3,
) -> JobRequest:
    window = TimeWindow(start, start + timedelta(hours=hours))
    return JobRequest(
        pickup=Place(*pickup),
        dropoff=Place(*dropoff),
        pickup_window=window,
        dropoff_window=window,
        parcels=(Parcel(weight_kg=kg, volume_l=20, longest_side_cm=length_cm),),
    )


@pytest.fixture
def coop(store: Store):
    c = store.create_cooperative(
        "Planning coop", fairness_weight=1.0, settings={"base": {"lon": STATION[0], "lat": STATION[1]}}
    )
    client, _ = store.add_client(c.id, "Shop")
    return c.id, client.id


def test_a_round_proposes_and_never_assigns(store: Store, coop, helsinki: BikeNetwork) -> None:
    coop_id, client = coop
    bike = store.add_courier(coop_id, "Aino", Vehicle.of_kind("bike")).id
    cargo = store.add_courier(coop_id, "Mikko", Vehicle.of_kind("e_cargo_bike")).id
    for courier in (bike, cargo):
        do.start_shift(store, coop_id, courier, at=NOON - timedelta(minutes=30), planned_end=NOON + timedelta(hours=4))
    light = do.request_job(store, coop_id, client, job(STATION, MARKET, 3), at=NOON).id
    heavy = do.request_job(store, coop_id, client, job(KAMPPI, ESPLANADI, 60), at=NOON).id
    long = do.request_job(store, coop_id, client, job(MARKET, KAMPPI, 8, length_cm=150), at=NOON).id
    too_heavy = do.request_job(store, coop_id, client, job(MARKET, STATION, 400), at=NOON).id

    result = planning_round(store, coop_id, helsinki, NOON, budget_s=1.0)
    proposed = {e.payload["job_id"]: e.payload["courier_id"] for e in result.proposals}
    assert proposed[heavy] == cargo and proposed[long] == cargo  # only the cargo bike takes 60 kg or 150 cm
    assert light in proposed
    assert {j: said(r) for j, r in result.unassigned.items()} == {too_heavy: "no vehicle on shift can carry 400 kg"}
    # Proposals bind nobody.
    assert all(
        store.job(coop_id, j).state is JobState.PROPOSED and store.job(coop_id, j).courier_id is None for j in proposed
    )
    explanation = store.job(coop_id, heavy).proposal["explanation"]  # type: ignore[index]
    assert explanation["courier"] == cargo and explanation["extra_minutes"] > 0
    assert any("only 1 of 2 couriers" in r for r in all_said(explanation["reasons"]))
    assert datetime.fromisoformat(explanation["pickup_eta"]) >= NOON

    # Nothing changed: a second round adds no event (stable proposals).
    again = planning_round(store, coop_id, helsinki, NOON + timedelta(minutes=1), budget_s=0.5, previous=result.plan)
    assert again.proposals == [] and sorted(again.kept) == sorted(proposed)

    # A dispatcher decides otherwise: the planner then keeps that decision as a lock.
    do.override(store, coop_id, light, cargo, dispatcher_id="d1", at=NOON + timedelta(minutes=2), reason="on his way")
    third = planning_round(store, coop_id, helsinki, NOON + timedelta(minutes=3), budget_s=0.5, previous=again.plan)
    assert third.plan.assignment()[light] == cargo
    assert store.job(coop_id, light).state is JobState.ASSIGNED
    assert light not in {e.payload["job_id"] for e in third.proposals}


def test_heavy_parcel_goes_to_the_cargo_courier_with_the_lightest_heavy_history(
    store: Store, coop, helsinki: BikeNetwork
) -> None:
    coop_id, client = coop
    veteran = store.add_courier(coop_id, "Veera", Vehicle.of_kind("e_cargo_bike")).id
    fresh = store.add_courier(coop_id, "Frans", Vehicle.of_kind("e_cargo_bike")).id
    morning = NOON - timedelta(hours=3)
    for courier in (veteran, fresh):
        do.start_shift(store, coop_id, courier, at=morning, planned_end=NOON + timedelta(hours=3))
    # This morning Veera already carried 120 kg of heavy parcels, ending back at the base.
    earlier = do.request_job(store, coop_id, client, job(KAMPPI, STATION, 120, start=morning), at=morning).id
    do.override(store, coop_id, earlier, veteran, dispatcher_id="d1", at=morning)
    do.acknowledge(store, coop_id, earlier, courier_id=veteran, at=morning)
    do.pick_up(store, coop_id, earlier, courier_id=veteran, at=morning + timedelta(minutes=10))
    do.deliver(store, coop_id, earlier, courier_id=veteran, at=morning + timedelta(minutes=30), carried_m=1200)
    parcel = do.request_job(store, coop_id, client, job(STATION, HAKANIEMI_EDGE, 60), at=NOON).id

    result = planning_round(store, coop_id, helsinki, NOON, budget_s=1.0)
    [event] = [e for e in result.proposals if e.payload["job_id"] == parcel]
    assert event.type is EventType.PROPOSAL_MADE and event.payload["courier_id"] == fresh
    reasons = " ".join(all_said(event.payload["explanation"]["reasons"]))
    assert "fewest heavy kilograms today (0 kg)" in reasons
    alternatives = event.payload["explanation"]["alternatives"]
    assert alternatives and alternatives[0]["courier"] == veteran


def test_override_cost_is_stated_and_physical_limits_need_force(store: Store, coop, helsinki: BikeNetwork) -> None:
    from dispatch.decisions import decide_override, override_cost
    from dispatch.errors import InvalidInput, PhysicalLimit

    coop_id, client = coop
    bike = store.add_courier(coop_id, "Aino", Vehicle.of_kind("bike")).id
    cargo = store.add_courier(coop_id, "Mikko", Vehicle.of_kind("e_cargo_bike")).id
    for courier in (bike, cargo):
        do.start_shift(store, coop_id, courier, at=NOON, planned_end=NOON + timedelta(hours=4))
    light = do.request_job(store, coop_id, client, job(STATION, MARKET, 3), at=NOON).id
    heavy = do.request_job(store, coop_id, client, job(KAMPPI, ESPLANADI, 60), at=NOON).id
    planning_round(store, coop_id, helsinki, NOON, budget_s=0.5)

    cost = override_cost(store, coop_id, helsinki, light, bike, NOON)
    assert cost.extra_minutes is not None and cost.extra_minutes > 0 and cost.breaks == ()
    summary = "; ".join(all_said(cost.summary, names={bike: "Aino"}))
    assert "adds" in summary and "min to Aino's route" in summary

    with pytest.raises(PhysicalLimit, match="over the 25 kg payload") as broken:
        decide_override(store, coop_id, helsinki, heavy, bike, dispatcher_id="d1", now=NOON)
    assert [r.code for r in broken.value.breaks] == ["over_payload"]
    assert store.job(coop_id, heavy).state is JobState.PROPOSED  # nothing written
    with pytest.raises(InvalidInput, match="needs a reason"):
        decide_override(store, coop_id, helsinki, heavy, bike, dispatcher_id="d1", now=NOON, force=True)
    event, forced = decide_override(
        store,
        coop_id,
        helsinki,
        heavy,
        bike,
        dispatcher_id="d1",
        now=NOON,
        force=True,
        reason="client brings a trolley",
    )
    assert event.type is EventType.JOB_OVERRIDDEN and event.payload["forced"] is True
    assert event.payload["cost"]["breaks"] == [r.to_json() for r in forced.breaks]
    assert said(forced.breaks[0], names={bike: "Aino"}) == "60 kg is over the 25 kg payload of Aino's bike"
    assert store.job(coop_id, heavy).courier_id == bike

    # A slower choice is never blocked: the cost is recorded with the decision.
    event, _ = decide_override(store, coop_id, helsinki, heavy, cargo, dispatcher_id="d1", now=NOON)
    assert event.type is EventType.JOB_REASSIGNED and event.payload["forced"] is False


def test_a_warm_start_drops_what_no_longer_applies(store: Store, coop, helsinki: BikeNetwork) -> None:
    """Between two rounds a job is delivered, a parcel picked up and a job given to another
    courier by a person; the next round starts from the last plan without any of those stops."""
    from routing.evaluate import StopKind
    from routing.solver import SolverSettings

    coop_id, client = coop
    aino = store.add_courier(coop_id, "Aino", Vehicle.of_kind("bike")).id
    mikko = store.add_courier(coop_id, "Mikko", Vehicle.of_kind("cargo_bike")).id
    for courier in (aino, mikko):
        do.start_shift(store, coop_id, courier, at=NOON - timedelta(minutes=30), planned_end=NOON + timedelta(hours=4))
    done, carried, moved = (
        do.request_job(store, coop_id, client, job(STATION, MARKET, 3), at=NOON).id for _ in range(3)
    )
    first = planning_round(store, coop_id, helsinki, NOON, budget_s=1.0)
    owner = {s.shipment: cid for cid, r in first.plan.routes.items() for s in r.stops}
    at = NOON + timedelta(minutes=1)
    for j in (done, carried):
        do.override(store, coop_id, j, owner[j], dispatcher_id="d", at=at)
        do.acknowledge(store, coop_id, j, courier_id=owner[j], at=at)
        do.pick_up(store, coop_id, j, courier_id=owner[j], at=at)
    do.deliver(store, coop_id, done, courier_id=owner[done], at=at)
    other = mikko if owner[moved] == aino else aino
    do.override(store, coop_id, moved, other, dispatcher_id="d", at=at)
    new = do.request_job(store, coop_id, client, job(KAMPPI, ESPLANADI, 2), at=at).id

    again = planning_round(
        store,
        coop_id,
        helsinki,
        at,
        previous=first.plan,
        settings=SolverSettings(time_budget_s=10.0, first_solution_only=True, explain=False),
    )
    stops = {(s.shipment, s.kind): cid for cid, r in again.plan.routes.items() for s in r.stops}
    assert not any(j == done for j, _ in stops)
    assert (carried, StopKind.PICKUP) not in stops and stops[(carried, StopKind.DROPOFF)] == owner[carried]
    assert stops[(moved, StopKind.DROPOFF)] == other  # the person's choice stands
    assert new in {str(e.payload["job_id"]) for e in again.proposals}


def test_the_members_riding_budget_bounds_what_fairness_may_add(store: Store, helsinki: BikeNetwork) -> None:
    from dispatch.errors import InvalidInput

    base = {"lon": STATION[0], "lat": STATION[1]}
    coop_id = store.create_cooperative(
        "Budgeted", fairness_weight=1.0, settings={"base": base, "fairness_riding_budget": 0.05}
    ).id
    client = store.add_client(coop_id, "Shop")[0].id
    for name, kind in (("Aino", "bike"), ("Mikko", "e_cargo_bike"), ("Eero", "bike")):
        courier = store.add_courier(coop_id, name, Vehicle.of_kind(kind)).id
        do.start_shift(store, coop_id, courier, at=NOON - timedelta(minutes=30), planned_end=NOON + timedelta(hours=4))
    for a, b in ((STATION, MARKET), (KAMPPI, ESPLANADI), (MARKET, KAMPPI), (ESPLANADI, STATION)) * 2:
        do.request_job(store, coop_id, client, job(a, b, 4), at=NOON)
    result = planning_round(store, coop_id, helsinki, NOON, budget_s=2.0)
    assert result.problem.fairness_riding_budget == 0.05
    budget = result.plan.solver.riding_budget
    assert budget is not None and budget.budget == 0.05 and budget.cap_s is not None, budget
    assert budget.efficient_riding_s is not None
    assert budget.cap_s <= 1.05 * budget.efficient_riding_s + 1  # the members' bound holds
    assert not result.unassigned

    wrong = store.create_cooperative("Wrong", settings={"base": base, "fairness_riding_budget": "lots"}).id
    with pytest.raises(InvalidInput, match="fairness_riding_budget"):
        planning_round(store, wrong, helsinki, NOON, budget_s=0.5)
