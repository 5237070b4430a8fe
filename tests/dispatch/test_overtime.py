"""Overtime decided by dispatch (issue 23 item 5): a dispatcher's decision per courier and local
day, the latest standing, 0 withdrawing it; the time sheet shows it beside the minutes worked
beyond the plan, and its week is still the sum of its days."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dispatch import commands as do
from dispatch import overtime
from dispatch.errors import InvalidInput, NotFound
from dispatch.events import Actor, ActorKind, EventType, NewEvent
from dispatch.model import Vehicle
from dispatch.store import Store
from dispatch.timesheets import sheet_rows, totals
from dispatch.week import span_timesheet, week_timesheet

HELSINKI = ZoneInfo("Europe/Helsinki")
MONDAY = date(2026, 12, 7)
LATER = datetime(2026, 12, 12, 18, 0, tzinfo=HELSINKI)  # the Saturday after: the weekdays have been worked
DESK = Actor(ActorKind.DISPATCHER, "desk-1")


def _coop(store: Store) -> tuple[str, str, str]:
    coop = store.create_cooperative("Overtime", timezone="Europe/Helsinki")
    lou = store.add_courier(coop.id, "Lou", Vehicle.of_kind("bike")).id
    sam = store.add_courier(coop.id, "Sam", Vehicle.of_kind("bike")).id
    return coop.id, lou, sam


def _worked(store: Store, coop_id: str, courier_id: str, day: date, hours: float) -> None:
    start = datetime(day.year, day.month, day.day, 9, 0, tzinfo=HELSINKI)
    do.start_shift(store, coop_id, courier_id, at=start)
    do.end_shift(store, coop_id, courier_id, at=start + timedelta(hours=hours))


def test_the_latest_decision_for_a_day_stands_and_zero_withdraws_it(store: Store) -> None:
    coop_id, lou, sam = _coop(store)
    tuesday = "2026-12-08"
    overtime.decide(store, coop_id, lou, tuesday, 30, note="late bakery run", actor=DESK, at=LATER)
    overtime.decide(store, coop_id, lou, tuesday, 45, actor=DESK, at=LATER + timedelta(minutes=5))
    overtime.decide(store, coop_id, sam, tuesday, 20, actor=DESK, at=LATER + timedelta(minutes=6))
    standing = overtime.decided(store, coop_id, MONDAY, MONDAY + timedelta(days=6))
    assert {k: d.minutes for k, d in standing.items()} == {(lou, tuesday): 45, (sam, tuesday): 20}
    assert standing[(lou, tuesday)].note == "" and standing[(lou, tuesday)].by == "dispatcher desk-1"
    withdrawn = overtime.decide(store, coop_id, lou, tuesday, 0, actor=DESK, at=LATER + timedelta(minutes=7))
    assert withdrawn.type is EventType.OVERTIME_DECIDED and withdrawn.payload["minutes"] == 0
    assert set(overtime.decided(store, coop_id, MONDAY, MONDAY + timedelta(days=6))) == {(sam, tuesday)}
    with pytest.raises(InvalidInput) as again:  # nothing stands any more: nothing to withdraw
        overtime.decide(store, coop_id, lou, tuesday, 0, actor=DESK, at=LATER + timedelta(minutes=8))
    assert again.value.why == "no_overtime_to_withdraw"
    assert overtime.decided(store, coop_id, MONDAY, MONDAY, courier_id=sam) == {}  # another day: not in the span


def test_refusals_are_codes_with_their_figures(store: Store) -> None:
    coop_id, lou, _ = _coop(store)
    with pytest.raises(NotFound):
        overtime.decide(store, coop_id, "nobody", "2026-12-08", 30, actor=DESK, at=LATER)
    refused = {
        ("2026-13-01", 30): ("day", "day_by_date"),
        ("2026-12-13", 30): ("day", "overtime_in_future"),  # Sunday: not begun at LATER
        ("2026-12-08", 1441): ("minutes", "overtime_minutes"),
        ("2026-12-08", -1): ("minutes", "overtime_minutes"),
        ("2026-12-08", True): ("minutes", "overtime_minutes"),
    }
    for (day, minutes), (field, why) in refused.items():
        with pytest.raises(InvalidInput) as caught:
            overtime.decide(store, coop_id, lou, day, minutes, actor=DESK, at=LATER)
        assert (caught.value.field, caught.value.why) == (field, why), (day, minutes)
    with pytest.raises(InvalidInput) as caught:
        overtime.decide(store, coop_id, lou, "2026-12-08", 30, note="a\x00b", actor=DESK, at=LATER)
    assert caught.value.field == "note"
    assert overtime.decided(store, coop_id, MONDAY, MONDAY + timedelta(days=6)) == {}  # nothing was written
    # the day the clocks go back in Helsinki holds 25 hours: 1,500 minutes may be decided there
    assert overtime.day_minutes(date(2026, 10, 25), HELSINKI) == 1500
    overtime.decide(store, coop_id, lou, "2026-10-25", 1500, actor=DESK, at=LATER)
    # today may be decided while it is being worked
    overtime.decide(store, coop_id, lou, "2026-12-12", 15, actor=DESK, at=LATER)


def test_the_time_sheet_shows_overtime_beside_the_time_beyond_plan_and_sums_its_days(store: Store) -> None:
    coop_id, lou, sam = _coop(store)
    tuesday, wednesday = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
    _worked(store, coop_id, lou, tuesday, 5)
    _worked(store, coop_id, lou, wednesday, 3)
    overtime.decide(store, coop_id, lou, tuesday.isoformat(), 60, actor=DESK, at=LATER)
    # more than the phone recorded is allowed: the sheet shows both figures
    overtime.decide(store, coop_id, sam, wednesday.isoformat(), 90, actor=DESK, at=LATER)
    days = week_timesheet(store, coop_id, MONDAY)
    by = {(d.courier_id, d.day): d for d in days}
    assert by[(lou, tuesday.isoformat())].overtime_minutes == 60.0
    assert by[(lou, tuesday.isoformat())].beyond_plan_minutes == 300.0  # nothing was planned (no rota)
    assert (by[(sam, wednesday.isoformat())].worked_minutes, by[(sam, wednesday.isoformat())].overtime_minutes) == (
        0.0,
        90.0,
    )
    summed = totals(days)
    for cid in (lou, sam):
        for key in ("worked_minutes", "overtime_minutes", "beyond_plan_minutes"):
            assert summed[cid][key] == sum(getattr(d, key) for d in days if d.courier_id == cid)
    assert summed[lou]["overtime_minutes"] == 60.0 and summed[lou]["beyond_plan_minutes"] == 480.0
    rows = sheet_rows(days, {lou: "Lou", sam: "Sam"})
    header = rows[0]
    total = next(r for r in rows if r[0] == lou and r[2] == "total")
    assert total[header.index("overtime_minutes")] == 60.0 and total[header.index("beyond_plan_minutes")] == 480.0
    # a month holds the same decisions; one courier's sheet only theirs
    month = span_timesheet(store, coop_id, date(2026, 12, 1), date(2026, 12, 31), courier_id=sam)
    assert [(d.day, d.overtime_minutes) for d in month] == [(wednesday.isoformat(), 90.0)]


def _published(store: Store, coop_id: str, courier_id: str, day: date, start_h: int, end_h: int) -> None:
    """A published rota holding one shift (the log's own event: the proposal is not the point)."""
    monday = day - timedelta(days=day.weekday())
    shift = {"id": f"s{day:%m%d}", "courier_id": courier_id, "day": day.isoformat(), "start_h": start_h, "end_h": end_h}
    payload = {"week": monday.isoformat(), "shifts": [{**shift, "why": []}]}
    store.append(NewEvent(coop_id, LATER - timedelta(days=30), DESK, EventType.ROTA_PUBLISHED, payload))


def test_a_night_shift_ending_after_midnight_is_beyond_plan_only_by_what_passed_its_end(store: Store) -> None:
    coop_id, lou, _ = _coop(store)
    monday, tuesday = MONDAY.isoformat(), (MONDAY + timedelta(days=1)).isoformat()
    _published(store, coop_id, lou, MONDAY, 18, 24)
    start = datetime(2026, 12, 7, 18, 0, tzinfo=HELSINKI)
    do.start_shift(store, coop_id, lou, at=start)
    do.end_shift(store, coop_id, lou, at=datetime(2026, 12, 8, 0, 2, tzinfo=HELSINKI))
    days = week_timesheet(store, coop_id, MONDAY)
    by = {d.day: d for d in days if d.courier_id == lou}
    # worked minutes count on the day the stretch closed, as the fairness ledger counts them
    assert (by[monday].worked_minutes, by[monday].planned_minutes, by[monday].beyond_plan_minutes) == (0.0, 360.0, 0.0)
    assert (by[tuesday].worked_minutes, by[tuesday].planned_minutes, by[tuesday].beyond_plan_minutes) == (
        362.0,
        0.0,
        2.0,
    )
    assert sum(e.shift_minutes for e in store.ledger(coop_id, tuesday) if e.courier_id == lou) == 362.0
    summed = totals(days)[lou]
    for key in ("worked_minutes", "planned_minutes", "beyond_plan_minutes"):
        assert summed[key] == sum(getattr(d, key) for d in days if d.courier_id == lou), key
    assert (summed["worked_minutes"], summed["beyond_plan_minutes"]) == (362.0, 2.0)


def test_an_unplanned_evening_closed_the_next_day_is_beyond_plan_on_its_own_day(store: Store) -> None:
    coop_id, lou, _ = _coop(store)
    do.start_shift(store, coop_id, lou, at=datetime(2026, 12, 9, 23, 0, tzinfo=HELSINKI))
    do.end_shift(store, coop_id, lou, at=datetime(2026, 12, 10, 1, 30, tzinfo=HELSINKI))
    by = {d.day: d for d in week_timesheet(store, coop_id, MONDAY, courier_id=lou)}
    assert (by["2026-12-09"].worked_minutes, by["2026-12-09"].beyond_plan_minutes) == (0.0, 60.0)
    assert (by["2026-12-10"].worked_minutes, by["2026-12-10"].beyond_plan_minutes) == (150.0, 90.0)


def test_a_shift_over_the_change_of_the_clocks_plans_its_real_minutes(store: Store) -> None:
    coop_id, lou, _ = _coop(store)
    autumn = date(2026, 10, 25)  # Helsinki's clocks go back an hour at 04:00
    _published(store, coop_id, lou, autumn, 0, 4)
    do.start_shift(store, coop_id, lou, at=datetime(2026, 10, 25, 0, 0, tzinfo=HELSINKI))
    do.end_shift(store, coop_id, lou, at=datetime(2026, 10, 25, 4, 0, tzinfo=HELSINKI))
    (day,) = span_timesheet(store, coop_id, autumn, autumn)
    assert (day.worked_minutes, day.planned_minutes, day.beyond_plan_minutes) == (300.0, 300.0, 0.0)


def _race(stores: list[Store], moves: list[Callable[[Store], object]]) -> list[object]:
    """Each move on its own thread and store (two stores: two API workers, two engines on one
    database), all let go together once past the checks made before the append."""
    together = threading.Barrier(len(moves), timeout=10)
    checked = overtime._checked

    def checked_together(*args: Any, **kwargs: Any) -> date:
        day = checked(*args, **kwargs)
        together.wait()
        return day

    outcomes: list[object] = []

    def run(i: int) -> None:
        try:
            outcomes.append(moves[i](stores[i % len(stores)]))
        except InvalidInput as exc:
            outcomes.append(exc)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(overtime, "_checked", checked_together)
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(moves))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    return outcomes


def test_withdrawals_racing_on_two_workers_withdraw_once(store: Store, db_url: str) -> None:
    """Outside attacker's finding 2: ten withdrawals at once on three API workers were answered
    200 two to ten times (the check that a decision stands ran before the append, in no
    transaction). Checked in the append's transaction, one withdraws and the others are refused
    with the 422's code, on SQLite (one file, two engines) and PostgreSQL alike."""
    coop_id, lou, _ = _coop(store)
    tuesday = "2026-12-08"
    overtime.decide(store, coop_id, lou, tuesday, 30, actor=DESK, at=LATER)
    other = Store.open(db_url)
    try:

        def withdraw(on: Store) -> object:
            return overtime.decide(on, coop_id, lou, tuesday, 0, actor=DESK, at=LATER)

        outcomes = _race([store, other], [withdraw] * 6)
    finally:
        other.close()
    withdrawn = [o for o in outcomes if not isinstance(o, InvalidInput)]
    refused = [o for o in outcomes if isinstance(o, InvalidInput)]
    assert len(withdrawn) == 1 and len(refused) == 5, outcomes
    assert {(r.field, r.why) for r in refused} == {("minutes", "no_overtime_to_withdraw")}
    events = [e for e in store.events(coop_id) if e.type is EventType.OVERTIME_DECIDED]
    assert [e.payload["minutes"] for e in events] == [30, 0]
    assert overtime.decided(store, coop_id, MONDAY, MONDAY + timedelta(days=6)) == {}


def test_decisions_racing_on_two_workers_leave_the_latest_standing(store: Store, db_url: str) -> None:
    """Two decisions for the same day at once, on two workers: both are written, and the one the
    log holds last is the one standing (the time sheet and the list agree with the log)."""
    coop_id, lou, _ = _coop(store)
    tuesday = "2026-12-08"
    other = Store.open(db_url)
    try:

        def deciding(minutes: int) -> Callable[[Store], object]:
            return lambda on: overtime.decide(on, coop_id, lou, tuesday, minutes, actor=DESK, at=LATER)

        outcomes = _race([store, other], [deciding(30), deciding(45)])
    finally:
        other.close()
    assert not [o for o in outcomes if isinstance(o, InvalidInput)], outcomes
    last = [e for e in store.events(coop_id) if e.type is EventType.OVERTIME_DECIDED][-1]
    standing = overtime.decided(store, coop_id, MONDAY, MONDAY + timedelta(days=6))
    assert standing[(lou, tuesday)].minutes == last.payload["minutes"]
    assert standing[(lou, tuesday)].seq == last.seq
