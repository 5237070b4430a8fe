"""A shift's breaks (issue 18) through the domain: announced, kept, and planned around in a round."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from dispatch import commands as do
from dispatch.errors import InvalidInput
from dispatch.model import Vehicle
from dispatch.planning import planning_round
from dispatch.shifts import ShiftBreak, shift_breaks
from dispatch.store import Store
from routing.evaluate import RouteStop, evaluate_route
from routing.network import BikeNetwork
from tests.dispatch.helsinki import ESPLANADI, KAMPPI, MARKET, NOON, STATION
from tests.dispatch.test_planning import job

MIN = timedelta(minutes=1)
#: 30 minutes between 11:05 and 11:50 (the round plans at 11:00).
LUNCH = ShiftBreak(NOON + 5 * MIN, NOON + 50 * MIN, 30)


@pytest.fixture
def coop(store: Store) -> tuple[str, str]:
    c = store.create_cooperative("Breaks coop", settings={"base": {"lon": STATION[0], "lat": STATION[1]}})
    client, _ = store.add_client(c.id, "Shop")
    return c.id, client.id


def test_a_break_outside_the_shift_or_longer_than_its_window_is_refused(store: Store, coop: tuple[str, str]) -> None:
    coop_id, _ = coop
    courier = store.add_courier(coop_id, "Aino", Vehicle.of_kind("bike")).id
    end = NOON + timedelta(hours=4)
    late = ShiftBreak(end - 10 * MIN, end + 30 * MIN, 30)
    cramped = ShiftBreak(NOON + 60 * MIN, NOON + 80 * MIN, 30)
    for wrong, why in ((late, "inside the shift"), (cramped, "fits between")):
        with pytest.raises(InvalidInput, match=why):
            do.start_shift(store, coop_id, courier, at=NOON, planned_end=end, breaks=[wrong])
    for body, why in (
        ("12:00", "a list"),
        ([{"earliest": "12:00", "latest": "13:00", "minutes": 30}], "ISO 8601"),
        ([{"earliest": LUNCH.earliest.isoformat(), "latest": LUNCH.latest.isoformat(), "minutes": "30"}], "whole"),
        ([{"earliest": "2026-11-28T11:10:00", "latest": "2026-11-28T11:50:00", "minutes": 30}], "time zone"),
    ):
        with pytest.raises(InvalidInput, match=why):
            shift_breaks(body, NOON, end)
    assert shift_breaks([LUNCH.to_json()], NOON, end) == (LUNCH,)
    assert (
        not store.projection(coop_id).couriers.get(courier) or not store.projection(coop_id).couriers[courier].on_shift
    )


def test_a_round_on_helsinki_plans_around_the_break(store: Store, coop: tuple[str, str], helsinki: BikeNetwork) -> None:
    coop_id, client = coop
    courier = store.add_courier(coop_id, "Aino", Vehicle.of_kind("bike")).id
    do.start_shift(store, coop_id, courier, at=NOON - 30 * MIN, planned_end=NOON + timedelta(hours=4), breaks=[LUNCH])
    assert store.projection(coop_id).couriers[courier].breaks == [LUNCH.to_json()]
    legs = [(STATION, MARKET), (MARKET, KAMPPI), (KAMPPI, ESPLANADI), (ESPLANADI, STATION), (STATION, KAMPPI)]
    jobs = {do.request_job(store, coop_id, client, job(a, b, 4), at=NOON).id for a, b in legs}

    result = planning_round(store, coop_id, helsinki, NOON, budget_s=1.0)
    assert {e.payload["job_id"] for e in result.proposals} == jobs and not result.unassigned
    route = result.plan.routes[courier]
    day = result.context.day_start
    assert route.missed_breaks == 0 and len(route.breaks) == 1
    begin, end = (day + timedelta(seconds=s) for s in route.breaks[0])
    assert LUNCH.earliest <= begin and end <= LUNCH.latest and end - begin == 30 * MIN
    # Every ETA shown is outside the break, and those after it are later by the whole break.
    problem = result.problem
    alone = next(c for c in problem.couriers if c.id == courier)
    without = evaluate_route(problem, replace(alone, breaks=()), [RouteStop(s.shipment, s.kind) for s in route.stops])
    after = 0
    for taken, plain in zip(route.stops, without.stops, strict=True):
        served = (day + timedelta(seconds=taken.start), day + timedelta(seconds=taken.departure))
        assert served[1] <= begin or served[0] >= end
        if served[0] >= end:
            after += 1
            assert taken.start == pytest.approx(plain.start + 1800, abs=1.0)
    assert after >= 1
    for e in result.proposals:
        explanation = e.payload["explanation"]
        for key in ("pickup_eta", "dropoff_eta"):
            eta = datetime.fromisoformat(explanation[key])
            assert not begin < eta < end, (key, eta)


def test_the_break_is_dropped_when_the_shift_ends(store: Store, coop: tuple[str, str]) -> None:
    coop_id, _ = coop
    courier = store.add_courier(coop_id, "Mikko", Vehicle.of_kind("bike")).id
    do.start_shift(store, coop_id, courier, at=NOON, planned_end=NOON + timedelta(hours=2), breaks=[LUNCH])
    do.end_shift(store, coop_id, courier, at=NOON + timedelta(hours=1))
    assert store.projection(coop_id).couriers[courier].breaks == []
