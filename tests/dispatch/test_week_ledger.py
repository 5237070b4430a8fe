"""The fairness ledger's week view (issue 23): each courier's figures summed over the last 7 or
28 days, in the day's rotation, equal to the sum of the ledger's days and to the time sheet."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch import commands as do
from dispatch.errors import InvalidInput
from dispatch.model import Vehicle
from dispatch.rotation import rotation
from dispatch.store import Store
from dispatch.timesheets import timesheet, totals
from dispatch.week import rolling_ledger

HELSINKI = ZoneInfo("Europe/Helsinki")
TODAY = date(2026, 12, 10)
NOW = datetime(2026, 12, 10, 20, 0, tzinfo=HELSINKI)


def _shift(store: Store, coop_id: str, cid: str, day: date, start_h: int, hours: float, pause_min: int = 0) -> None:
    at = datetime(day.year, day.month, day.day, start_h, tzinfo=HELSINKI)
    do.start_shift(store, coop_id, cid, at=at)
    if pause_min:
        do.pause_shift(store, coop_id, cid, at=at + timedelta(hours=1))
        do.resume_shift(store, coop_id, cid, at=at + timedelta(hours=1, minutes=pause_min))
    do.end_shift(store, coop_id, cid, at=at + timedelta(hours=hours))


def _coop(store: Store) -> tuple[str, dict[str, str]]:
    """Lou rides four days this week and one three weeks ago; Sam two long days; Ana never."""
    coop = store.create_cooperative("Ledger", timezone="Europe/Helsinki")
    ids = {n: store.add_courier(coop.id, n, Vehicle.of_kind("bike")).id for n in ("Lou", "Sam", "Ana")}
    for back in (0, 1, 2, 5):
        _shift(store, coop.id, ids["Lou"], TODAY - timedelta(days=back), 9, 4, pause_min=20)
    _shift(store, coop.id, ids["Lou"], TODAY - timedelta(days=20), 10, 3)
    for back in (3, 4):
        _shift(store, coop.id, ids["Sam"], TODAY - timedelta(days=back), 8, 9)
    return coop.id, ids


def test_the_rolling_week_and_month_are_the_sums_of_the_ledger_s_days_and_of_the_time_sheet(store: Store) -> None:
    coop_id, ids = _coop(store)
    for days in (7, 28):
        view = rolling_ledger(store, coop_id, days, NOW)
        first = TODAY - timedelta(days=days - 1)
        assert (view["first"], view["last"], view["days"]) == (first.isoformat(), TODAY.isoformat(), days)
        rows = {r["courier_id"]: r for r in view["couriers"]}
        sheet = totals(timesheet(store, coop_id, first, TODAY, zone=HELSINKI))
        for cid in ids.values():
            ledger_days = [
                e for n in range(days) for e in store.ledger(coop_id, (first + timedelta(days=n)).isoformat())
            ]
            mine = [e for e in ledger_days if e.courier_id == cid]
            assert rows[cid]["shift_minutes"] == pytest.approx(sum(e.shift_minutes for e in mine))
            assert rows[cid]["worked_minutes"] == pytest.approx(sum(e.worked_minutes for e in mine))
            assert rows[cid]["shift_minutes"] == pytest.approx(sheet.get(cid, {}).get("worked_minutes", 0.0))
            assert rows[cid]["days_on_shift"] == sum(1 for e in mine if e.shift_minutes > 0)
    week = {r["courier_id"]: r for r in rolling_ledger(store, coop_id, 7, NOW)["couriers"]}
    month = {r["courier_id"]: r for r in rolling_ledger(store, coop_id, 28, NOW)["couriers"]}
    lou, sam, ana = ids["Lou"], ids["Sam"], ids["Ana"]
    assert week[lou]["shift_minutes"] == 4 * (240 - 20) and week[lou]["days_on_shift"] == 4
    assert month[lou]["shift_minutes"] == 4 * (240 - 20) + 180  # the day three weeks ago counts in 28 only
    assert week[sam]["shift_minutes"] == month[sam]["shift_minutes"] == 2 * 540
    assert week[ana]["shift_minutes"] == 0 and week[ana]["worked_share_of_shift"] is None  # listed all the same


def test_the_rolling_view_lists_everyone_in_the_day_s_rotation_never_by_a_figure(store: Store) -> None:
    coop_id, ids = _coop(store)
    view = rolling_ledger(store, coop_id, 28, NOW)
    assert [r["courier_id"] for r in view["couriers"]] == rotation(ids.values(), TODAY)
    assert not {"rank", "score", "rating"} & set(view["couriers"][0])


def test_a_span_other_than_a_week_or_four_is_refused(store: Store) -> None:
    coop_id, _ = _coop(store)
    with pytest.raises(InvalidInput, match="7 or 28") as refused:
        rolling_ledger(store, coop_id, 30, NOW)
    assert refused.value.field == "days"
