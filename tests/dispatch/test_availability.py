"""A courier's availability (issue 23): weekly windows, exceptions and holidays, checked once for
every door, recorded as an event, and asked "who is available at T, and until when?"."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch import commands as do
from dispatch.availability import Availability, declare, declared, parse
from dispatch.errors import InvalidInput, NotFound
from dispatch.events import Actor, ActorKind
from dispatch.week import who_at
from tests.dispatch.conftest import Coop

HELSINKI = ZoneInfo("Europe/Helsinki")
MONDAY = date(2026, 12, 7)
DESK = Actor(ActorKind.DISPATCHER, "desk")


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=HELSINKI)


WEEK = {
    "weekly": [
        {"weekday": 0, "start": "08:00", "end": "12:00"},
        {"weekday": 0, "start": "13:00", "end": "24:00"},
        {"weekday": 1, "start": "00:00", "end": "02:30"},
        {"weekday": 2, "start": "10:00", "end": "18:00"},
    ],
    "exceptions": [{"day": "2026-12-09", "windows": [{"start": "14:00", "end": "16:00"}]}],
    "holidays": [{"first_day": "2026-12-24", "last_day": "2026-12-26"}],
}


@pytest.mark.parametrize(
    ("weekly", "field", "words"),
    [
        ([{"weekday": 0, "start": "12:00", "end": "10:00"}], "weekly[0]", "ends after it starts"),
        ([{"weekday": 0, "start": "22:00", "end": "26:00"}], "weekly[0].end", "HH:MM"),
        (
            [{"weekday": 3, "start": "08:00", "end": "12:00"}, {"weekday": 3, "start": "11:00", "end": "14:00"}],
            "weekly[1]",
            "Thursday 11:00-14:00 overlaps 08:00-12:00",
        ),
        ([{"weekday": 7, "start": "08:00", "end": "12:00"}], "weekly[0].weekday", "Sunday"),
    ],
)
def test_a_bad_window_is_refused_with_its_field_and_reason(
    weekly: list[dict[str, object]], field: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse("c", {"weekly": weekly})
    assert refused.value.field == field
    assert words in refused.value.reason


def test_holidays_and_exceptions_replace_the_weekly_windows() -> None:
    a = parse("c", WEEK)
    assert [w.text() for w in a.windows_on(MONDAY)] == ["08:00-12:00", "13:00-24:00"]
    assert [w.text() for w in a.windows_on(MONDAY + timedelta(days=2))] == ["14:00-16:00"]  # the exception
    assert a.windows_on(date(2026, 12, 21)) != () and a.windows_on(date(2026, 12, 24)) == ()  # a holiday (a Thursday)
    with pytest.raises(InvalidInput, match="comes before"):
        parse("c", {"holidays": [{"first_day": "2026-12-26", "last_day": "2026-12-24"}]})
    with pytest.raises(InvalidInput, match="once"):
        parse("c", {"exceptions": [{"day": "2026-12-09"}, {"day": "2026-12-09", "windows": []}]})
    assert parse("c", a.to_json()) == a  # what is stored reads back the same


def test_until_when_runs_on_past_midnight_and_whole_hours_are_counted() -> None:
    a = parse("c", WEEK)
    assert a.until(_local(MONDAY, 9)) == _local(MONDAY, 12)
    assert a.until(_local(MONDAY, 12, 30)) is None
    assert a.until(_local(MONDAY, 23)) == _local(MONDAY + timedelta(days=1), 2, 30)
    hours = a.hours(MONDAY)
    assert (0, 8) in hours and (0, 12) not in hours and (1, 1) in hours and (1, 2) not in hours
    assert {h for d, h in hours if d == 2} == {14, 15}
    assert Availability.none("c").hours(MONDAY) == frozenset()


def test_a_declaration_is_an_event_and_nobody_declares_for_another(coop: Coop) -> None:
    s, c = coop.store, coop.id
    declare(s, c, coop.bike, WEEK, actor=Actor(ActorKind.COURIER, coop.bike), at=_local(MONDAY, 7))
    assert declared(s, c)[coop.bike] == parse(coop.bike, WEEK)
    with pytest.raises(InvalidInput, match="themself"):
        declare(s, c, coop.cargo, WEEK, actor=Actor(ActorKind.COURIER, coop.bike), at=_local(MONDAY, 7))
    other = s.create_cooperative("Elsewhere")
    with pytest.raises(NotFound):
        declare(s, other.id, coop.bike, WEEK, actor=DESK, at=_local(MONDAY, 7))
    assert declared(s, other.id) == {}
    declare(s, c, coop.bike, {"weekly": []}, actor=DESK, at=_local(MONDAY, 8))  # a dispatcher, for them
    assert declared(s, c)[coop.bike].hours(MONDAY) == frozenset()


def test_who_is_available_at_a_time_says_until_when_and_who_is_on_shift(coop: Coop) -> None:
    s, c = coop.store, coop.id
    declare(s, c, coop.bike, WEEK, actor=DESK, at=_local(MONDAY, 7))
    do.start_shift(s, c, coop.cargo, at=datetime.now(HELSINKI))
    seen = {row["courier_id"]: row for row in who_at(s, s.cooperative(c), _local(MONDAY, 10, 15))}
    assert seen[coop.bike]["available_until"] == _local(MONDAY, 12).isoformat()
    assert seen[coop.bike]["minutes_left"] == 105
    assert seen[coop.cargo]["on_shift"] and not seen[coop.cargo]["available"]
    later = {row["courier_id"] for row in who_at(s, s.cooperative(c), _local(MONDAY, 12, 30)) if row["available"]}
    assert coop.bike not in later
