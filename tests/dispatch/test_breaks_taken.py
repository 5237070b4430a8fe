"""A break is planned once (issue 18): the courier rides the plan their phone shows, break
included, so the next round leaves out a break the last plan had them take, and plans only what
is left of one under way, even while its window is still open."""

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
#: 30 minutes between 11:05 and 13:00 (the first round plans at 11:00): long after it is taken,
#: its latest start (12:30) has not passed, so the window alone would plan it again.
LUNCH = ShiftBreak(NOON + 5 * MIN, NOON + 120 * MIN, 30)


def _placed(result: RoundResult, courier: str) -> list[tuple[datetime, datetime]]:
    day = result.context.day_start
    return [(day + timedelta(seconds=s), day + timedelta(seconds=e)) for s, e in result.plan.routes[courier].breaks]


def test_a_break_taken_is_not_planned_again_and_one_under_way_only_for_what_is_left(
    store: Store, helsinki: BikeNetwork
) -> None:
    coop_id = store.create_cooperative("Lunch coop", settings={"base": {"lon": STATION[0], "lat": STATION[1]}}).id
    client = store.add_client(coop_id, "Shop")[0].id
    courier = store.add_courier(coop_id, "Aino", Vehicle.of_kind("bike")).id
    do.start_shift(store, coop_id, courier, at=NOON - 30 * MIN, planned_end=NOON + timedelta(hours=4), breaks=[LUNCH])
    legs = [(STATION, MARKET), (MARKET, KAMPPI), (KAMPPI, ESPLANADI), (ESPLANADI, STATION)]
    for a, b in legs:
        do.request_job(store, coop_id, client, job(a, b, 4, hours=3), at=NOON)

    first = planning_round(store, coop_id, helsinki, NOON, budget_s=0.5)
    [(begin, end)] = _placed(first, courier)
    assert end - begin == 30 * MIN and begin < NOON + 60 * MIN

    # 10 minutes into it: 20 minutes are left, taken from now on
    during = planning_round(store, coop_id, helsinki, begin + 10 * MIN, budget_s=0.5, previous=first.plan)
    [owed] = next(c for c in during.problem.couriers if c.id == courier).breaks
    assert owed.duration_s == 20 * 60
    [(again, until)] = _placed(during, courier)
    assert until - again == 20 * MIN and again >= begin + 10 * MIN - timedelta(seconds=1)

    # once over, nothing is owed, though the window is still open: no second break
    after = planning_round(store, coop_id, helsinki, until + 5 * MIN, budget_s=0.5, previous=during.plan)
    assert next(c for c in after.problem.couriers if c.id == courier).breaks == ()
    assert _placed(after, courier) == []

    # without a last plan (a restart), taken breaks are not known: the break is owed whole
    fresh = planning_round(store, coop_id, helsinki, until + 5 * MIN, budget_s=0.5)
    assert [b.duration_s for b in next(c for c in fresh.problem.couriers if c.id == courier).breaks] == [30 * 60]


def test_a_placement_counts_for_the_break_whose_window_it_starts_in() -> None:
    tea = ShiftBreak(NOON + 180 * MIN, NOON + 210 * MIN, 15)
    placed = [(NOON + 10 * MIN, NOON + 40 * MIN)]
    # at 11:20 lunch is under way (20 minutes left, from now); tea is not touched
    assert breaks_left((tea, LUNCH), placed, NOON + 20 * MIN) == (
        ShiftBreak(LUNCH.earliest, LUNCH.latest, 20),
        tea,
    )
    assert breaks_left((LUNCH, tea), placed, NOON + 50 * MIN) == (tea,)
    assert breaks_left((LUNCH, tea), placed, NOON + 5 * MIN) == (LUNCH, tea)  # placed later than now: owed whole
    # what was left of it last round, placed a little later: still only that, from now
    rest = [(NOON + 25 * MIN, NOON + 45 * MIN)]
    assert breaks_left((LUNCH,), rest, NOON + 20 * MIN) == (ShiftBreak(LUNCH.earliest, LUNCH.latest, 20),)
    assert breaks_left((LUNCH, tea), [], NOON + 50 * MIN) == (LUNCH, tea)


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
    assert breaks_left((LUNCH,), [], NOON + 40 * MIN, [(NOON + 30 * MIN, NOON + 60 * MIN)]) == (
        ShiftBreak(LUNCH.earliest, LUNCH.latest, 20),  # paused until now: only the minutes gone count
    )
