"""A break counts as taken only on the courier's evidence (issue 18, review items 3 and 4): the
minutes they were on *Pause* inside its window. Where the last plan placed it is no evidence (a
courier who rode through it still owes it), and a plan of another day never counts for today's."""

from __future__ import annotations

from datetime import datetime, timedelta

from dispatch import commands as do
from dispatch.model import Vehicle
from dispatch.planning import RoundResult, breaks_left, planning_round
from dispatch.shifts import ShiftBreak
from dispatch.store import Store
from routing.network import BikeNetwork
from tests.dispatch.helsinki import ESPLANADI, KAMPPI, MARKET, NOON, STATION
from tests.dispatch.test_planning import job

MIN = timedelta(minutes=1)
DAY = timedelta(days=1)
#: 30 minutes between 11:05 and 13:00 (the first round plans at 11:00): its latest start is 12:30.
LUNCH = ShiftBreak(NOON + 5 * MIN, NOON + 120 * MIN, 30)
LEGS = [(STATION, MARKET), (MARKET, KAMPPI), (KAMPPI, ESPLANADI), (ESPLANADI, STATION)]


def _placed(result: RoundResult, courier: str) -> list[tuple[datetime, datetime]]:
    day = result.context.day_start
    return [(day + timedelta(seconds=s), day + timedelta(seconds=e)) for s, e in result.plan.routes[courier].breaks]


def _owed(result: RoundResult, courier: str) -> list[int]:
    return [b.duration_s for b in next(c for c in result.problem.couriers if c.id == courier).breaks]


def _lunch_coop(store: Store, name: str) -> tuple[str, str, str]:
    """A cooperative, its client and a courier on shift from 10:30 with :data:`LUNCH`, four jobs."""
    coop_id = store.create_cooperative(name, settings={"base": {"lon": STATION[0], "lat": STATION[1]}}).id
    client = store.add_client(coop_id, "Shop")[0].id
    courier = store.add_courier(coop_id, "Aino", Vehicle.of_kind("bike")).id
    do.start_shift(store, coop_id, courier, at=NOON - 30 * MIN, planned_end=NOON + timedelta(hours=4), breaks=[LUNCH])
    for a, b in LEGS:
        do.request_job(store, coop_id, client, job(a, b, 4, hours=3), at=NOON)
    return coop_id, client, courier


def test_a_break_the_last_plan_placed_in_the_past_is_still_owed_without_a_pause(
    store: Store, helsinki: BikeNetwork
) -> None:
    coop_id, _, courier = _lunch_coop(store, "Lunch coop")
    first = planning_round(store, coop_id, helsinki, NOON, budget_s=0.5)
    [(begin, end)] = _placed(first, courier)
    assert end - begin == 30 * MIN and begin < NOON + 60 * MIN

    # 10 minutes into where the plan put it, the courier never paused: the break is owed whole,
    # placed once, in full, inside its window
    during = planning_round(store, coop_id, helsinki, begin + 10 * MIN, budget_s=0.5, previous=first.plan)
    assert _owed(during, courier) == [30 * 60]
    [(again, until)] = _placed(during, courier)
    assert until - again == 30 * MIN and begin + 10 * MIN - timedelta(seconds=1) <= again and until <= LUNCH.latest

    # they pause 20 minutes inside the window: 10 are left, planned once
    do.pause_shift(store, coop_id, courier, at=begin + 10 * MIN)
    do.resume_shift(store, coop_id, courier, at=begin + 30 * MIN)
    after = planning_round(store, coop_id, helsinki, begin + 31 * MIN, budget_s=0.5, previous=during.plan)
    assert _owed(after, courier) == [10 * 60]
    assert [e - s for s, e in _placed(after, courier)] == [10 * MIN]


def test_yesterdays_plan_never_counts_for_todays_break(store: Store, helsinki: BikeNetwork) -> None:
    """The planner keeps one last plan per cooperative, with no date: a break it placed yesterday
    at the hour of today's is not today's break taken."""
    coop_id, _, courier = _lunch_coop(store, "Two days coop")
    yesterday = planning_round(store, coop_id, helsinki, NOON, budget_s=0.5)
    [(begin, _)] = _placed(yesterday, courier)
    do.end_shift(store, coop_id, courier, at=NOON + timedelta(hours=4))
    today = ShiftBreak(LUNCH.earliest + DAY, LUNCH.latest + DAY, LUNCH.minutes)
    do.start_shift(
        store, coop_id, courier, at=NOON + DAY - 30 * MIN, planned_end=NOON + DAY + timedelta(hours=4), breaks=[today]
    )
    result = planning_round(store, coop_id, helsinki, begin + DAY + 10 * MIN, budget_s=0.5, previous=yesterday.plan)
    assert _owed(result, courier) == [30 * 60]


def test_only_pauses_inside_a_window_shorten_its_break() -> None:
    tea = ShiftBreak(NOON + 180 * MIN, NOON + 210 * MIN, 15)
    # no pause: both owed whole, whatever the hour
    assert breaks_left((tea, LUNCH), NOON + 50 * MIN) == (LUNCH, tea)
    # 20 minutes paused inside lunch's window: 10 left of it, in its own window; tea untouched
    paused = [(NOON + 10 * MIN, NOON + 30 * MIN)]
    assert breaks_left((tea, LUNCH), NOON + 40 * MIN, paused) == (ShiftBreak(LUNCH.earliest, LUNCH.latest, 10), tea)
    # the whole 30 minutes: lunch is taken
    assert breaks_left((LUNCH, tea), NOON + 50 * MIN, [(NOON + 10 * MIN, NOON + 40 * MIN)]) == (tea,)
    # a pause outside every window is no break
    assert breaks_left((LUNCH, tea), NOON + 50 * MIN, [(NOON - 25 * MIN, NOON)]) == (LUNCH, tea)


def test_a_pause_from_the_phone_inside_the_window_counts_as_the_break(store: Store, helsinki: BikeNetwork) -> None:
    """A courier who paused 20 minutes inside the break's window owes 10 more; 30 and none."""
    coop_id = store.create_cooperative("Pause coop", settings={"base": {"lon": STATION[0], "lat": STATION[1]}}).id
    client = store.add_client(coop_id, "Shop")[0].id
    aino = store.add_courier(coop_id, "Aino", Vehicle.of_kind("bike")).id
    veera = store.add_courier(coop_id, "Veera", Vehicle.of_kind("bike")).id
    for courier in (aino, veera):
        do.start_shift(
            store, coop_id, courier, at=NOON - 30 * MIN, planned_end=NOON + timedelta(hours=4), breaks=[LUNCH]
        )
    do.pause_shift(store, coop_id, aino, at=NOON - 10 * MIN)  # 15 minutes before the window: 5 inside it
    do.resume_shift(store, coop_id, aino, at=NOON + 10 * MIN)
    do.pause_shift(store, coop_id, aino, at=NOON + 20 * MIN)
    do.resume_shift(store, coop_id, aino, at=NOON + 35 * MIN)
    do.pause_shift(store, coop_id, veera, at=NOON + 10 * MIN)
    do.resume_shift(store, coop_id, veera, at=NOON + 45 * MIN)
    do.request_job(store, coop_id, client, job(STATION, MARKET, 4, hours=3), at=NOON)

    result = planning_round(store, coop_id, helsinki, NOON + 40 * MIN, budget_s=0.5)
    owed = {c.id: [b.duration_s for b in c.breaks] for c in result.problem.couriers}
    assert owed == {aino: [10 * 60], veera: []}
    assert breaks_left((LUNCH,), NOON + 40 * MIN, [(NOON + 30 * MIN, NOON + 60 * MIN)]) == (
        ShiftBreak(LUNCH.earliest, LUNCH.latest, 20),  # paused until now: only the minutes gone count
    )
