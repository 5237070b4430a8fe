"""When couriers can work (issue 23): weekly windows, exceptions and holidays; who is available
at a time, and until when.

A courier declares their whole availability at once, and the declaration replaces the previous
one (one ``AvailabilityDeclared`` event: the log keeps every earlier declaration, so a week can
be replayed as it was known then). It holds

- **weekly windows**: a weekday, a start and an end inside that day (``HH:MM``, local time in
  the cooperative's zone; ``24:00`` ends the day), none overlapping another of the same day;
- **exceptions**: a date whose windows replace that weekday's (no window: not available);
- **holidays**: ranges of dates, first and last day included, when they do not work at all.

The rules are checked here, once, so that the API, the CLI and the phone refuse the same input
with the same reasons (``InvalidInput`` names the field: ``weekly[2]``).

A declaration is written whole, so one made from a stale read would silently erase what was
declared since (a holiday saved on the phone while the week page was changing one entry). A
writer that read it sends the ``seq`` it read (:func:`declared_seq`) as ``expected_seq``: a
declaration of that courier after it refuses the write (:class:`AvailabilityChanged`, a 409
naming who declared), checked in the append's own transaction. Without it, the latest wins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.errors import Conflict, DomainError, InvalidInput
from dispatch.events import Actor, ActorKind, Event, EventType, NewEvent
from dispatch.forecast import DAY_NAMES
from dispatch.store import Store
from dispatch.store.weekly import events_of, unchanged_since

E = EventType
DAYS = DAY_NAMES  # the week's days as the forecast names them
#: Bounds on one declaration: ten windows a day, a year of exceptions, a hundred holidays.
MAX_WINDOWS = 70
MAX_EXCEPTIONS = 366
MAX_HOLIDAYS = 100
MAX_HOLIDAY_DAYS = 366
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")
DAY_MINUTES = 24 * 60


@dataclass(frozen=True, order=True)
class Window:
    """Minutes since local midnight, ``start < end <= 1440``."""

    start: int
    end: int

    def text(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"

    def to_json(self) -> dict[str, str]:
        return {"start": _clock(self.start), "end": _clock(self.end)}


@dataclass(frozen=True)
class Availability:
    """One courier's declared availability (see the module's docstring)."""

    courier_id: str
    weekly: tuple[tuple[Window, ...], ...]  #: seven entries, Monday first, windows in order
    exceptions: dict[date, tuple[Window, ...]]
    holidays: tuple[tuple[date, date], ...]

    @classmethod
    def none(cls, courier_id: str) -> Availability:
        """Someone who declared nothing is available at no time (never assumed available)."""
        return cls(courier_id, ((),) * 7, {}, ())

    def windows_on(self, day: date) -> tuple[Window, ...]:
        if any(first <= day <= last for first, last in self.holidays):
            return ()
        if day in self.exceptions:
            return self.exceptions[day]
        return self.weekly[day.weekday()]

    def until(self, local: datetime) -> datetime | None:
        """When the window holding ``local`` ends, or None when they are not available then.

        A window that ends at midnight goes on into the next day's window starting at 00:00
        (a night's availability is two windows, one on each day).
        """
        day, minute = local.date(), local.hour * 60 + local.minute
        window = next((w for w in self.windows_on(day) if w.start <= minute < w.end), None)
        if window is None:
            return None
        end = _at(day, window.end, local.tzinfo)
        for _ in range(7):
            if window.end != DAY_MINUTES:
                break
            day += timedelta(days=1)
            window = next((w for w in self.windows_on(day) if w.start == 0), None)
            if window is None:
                break
            end = _at(day, window.end, local.tzinfo)
        return end

    def hours(self, monday: date, first_h: int = 0, last_h: int = 24) -> frozenset[tuple[int, int]]:
        """The (day of the week from ``monday``, hour) whose whole hour they are available."""
        out: set[tuple[int, int]] = set()
        for offset in range(7):
            for window in self.windows_on(monday + timedelta(days=offset)):
                first, last = -(-window.start // 60), window.end // 60
                out.update((offset, h) for h in range(max(first, first_h), min(last, last_h)))
        return frozenset(out)

    def to_json(self) -> dict[str, Any]:
        """The declaration as it is stored and answered (the same shape it is written in)."""
        return {
            "weekly": [{"weekday": d, **w.to_json()} for d, windows in enumerate(self.weekly) for w in windows],
            "exceptions": [
                {"day": day.isoformat(), "windows": [w.to_json() for w in windows]}
                for day, windows in sorted(self.exceptions.items())
            ],
            "holidays": [{"first_day": a.isoformat(), "last_day": b.isoformat()} for a, b in self.holidays],
        }


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _at(day: date, minutes: int, tz: Any) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz) + timedelta(minutes=minutes)


def _minutes(field: str, value: object) -> int:
    if not isinstance(value, str) or not _CLOCK.match(value):
        raise InvalidInput(field, "time_of_day", value=str(value))
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _day(field: str, value: object) -> date:
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(field, "day_format", value=str(value)) from None


def _window(field: str, item: Mapping[str, Any]) -> Window:
    start, end = _minutes(f"{field}.start", item.get("start")), _minutes(f"{field}.end", item.get("end"))
    if end <= start:
        raise InvalidInput(field, "window_in_one_day", window=f"{_clock(start)}-{_clock(end)}")
    return Window(start, end)


def _no_overlap(field: str, what: str, windows: list[tuple[Window, int]]) -> tuple[Window, ...]:
    """The windows in order, or the first two that overlap named (``field[i]`` of the later)."""
    ordered = sorted(windows)
    for (a, _), (b, index) in pairwise(ordered):
        if b.start < a.end:
            raise InvalidInput(f"{field}[{index}]", "windows_overlap", day=what, window=b.text(), other=a.text())
    return tuple(w for w, _ in ordered)


def _list(data: Mapping[str, Any], key: str, most: int) -> list[Mapping[str, Any]]:
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise InvalidInput(key, "list_of_objects")
    if len(items) > most:
        raise InvalidInput(key, "at_most", most=most)
    return items


def parse(courier_id: str, data: Mapping[str, Any]) -> Availability:
    """A declaration checked: every window inside one day and ending after it starts, no two
    windows of one day overlapping, each exception's day once, holidays in order."""
    by_day: list[list[tuple[Window, int]]] = [[] for _ in range(7)]
    for i, item in enumerate(_list(data, "weekly", MAX_WINDOWS)):
        weekday = item.get("weekday")
        if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
            raise InvalidInput(f"weekly[{i}].weekday", "weekday")
        by_day[weekday].append((_window(f"weekly[{i}]", item), i))
    weekly = tuple(_no_overlap("weekly", DAYS[d], windows) for d, windows in enumerate(by_day))
    exceptions: dict[date, tuple[Window, ...]] = {}
    for i, item in enumerate(_list(data, "exceptions", MAX_EXCEPTIONS)):
        day = _day(f"exceptions[{i}].day", item.get("day"))
        if day in exceptions:
            raise InvalidInput(f"exceptions[{i}].day", "exception_twice", day=day.isoformat())
        field = f"exceptions[{i}].windows"
        windows = _list(item, "windows", 10) if "windows" in item else []
        exceptions[day] = _no_overlap(
            field, day.isoformat(), [(_window(f"{field}[{j}]", w), j) for j, w in enumerate(windows)]
        )
    holidays = []
    for i, item in enumerate(_list(data, "holidays", MAX_HOLIDAYS)):
        first, last = (
            _day(f"holidays[{i}].first_day", item.get("first_day")),
            _day(f"holidays[{i}].last_day", item.get("last_day")),
        )
        if last < first:
            raise InvalidInput(f"holidays[{i}]", "last_before_first", first=first.isoformat(), last=last.isoformat())
        if (last - first).days >= MAX_HOLIDAY_DAYS:
            raise InvalidInput(f"holidays[{i}]", "holiday_too_long", days=MAX_HOLIDAY_DAYS)
        holidays.append((first, last))
    return Availability(courier_id, weekly, exceptions, tuple(sorted(holidays)))


class AvailabilityChanged(Conflict):
    """The courier's availability was declared again after the ``expected_seq`` the writer read:
    a 409 naming who declared it (the courier themself, or a dispatcher), so that the week page
    and the phone never erase each other's declaration with a whole one made from a stale read."""

    def __init__(self, courier_id: str, expected_seq: int, actual_seq: int, by: str) -> None:
        self.job_id, self.expected_seq, self.actual_seq = f"availability {courier_id}", expected_seq, actual_seq
        self.last_act, self.by = E.AVAILABILITY_DECLARED.value, by
        themself = by == f"{ActorKind.COURIER.value} {courier_id}"
        why = "availability_redeclared_by_courier" if themself else "availability_redeclared"
        DomainError.__init__(self, why, courier=courier_id, by=by)


def declare(
    store: Store,
    coop_id: str,
    courier_id: str,
    data: Mapping[str, Any],
    *,
    actor: Actor,
    at: datetime,
    expected_seq: int | None = None,
) -> Event:
    """Record a courier's availability (replacing the previous declaration), checked first.

    ``expected_seq``: the seq of the declaration the writer read (:func:`declared_seq`; 0 when
    there was none): a declaration of this courier after it refuses this one in the append's
    own transaction (:class:`AvailabilityChanged`), so of two workers writing from one read,
    one wins and the other is told who declared. Without it, the latest wins, as before.

    The store refuses a courier of another cooperative (NotFound) and a courier declaring for
    someone else (``dispatch/store/repository.py``, ``_check_references``)."""
    availability = parse(courier_id, data)
    store.courier(coop_id, courier_id)
    payload = {"courier_id": courier_id, **availability.to_json()}
    new = NewEvent(coop_id, at, actor, E.AVAILABILITY_DECLARED, payload)
    if expected_seq is None:
        return store.append(new)
    seen: int = expected_seq

    def later(event: Event) -> Exception | None:
        if event.payload.get("courier_id") != courier_id:
            return None  # a colleague's declaration changes nothing of this one
        by = f"{event.actor.kind.value} {event.actor.id}" if event.actor.id is not None else event.actor.kind.value
        return AvailabilityChanged(courier_id, seen, event.seq, by)

    return store.append(new, also=unchanged_since(coop_id, [E.AVAILABILITY_DECLARED], seen, later))


def declared_seq(store: Store, coop_id: str, courier_id: str) -> int:
    """The seq of the courier's latest declaration (0: none yet), to send back as
    ``expected_seq``. Read it *before* the declaration it goes with: one made in between is then
    newer than the seq, and refused as changed, never silently overwritten."""
    seqs = [
        e.seq for e in events_of(store, coop_id, [E.AVAILABILITY_DECLARED]) if e.payload["courier_id"] == courier_id
    ]
    return seqs[-1] if seqs else 0


def declared(store: Store, coop_id: str) -> dict[str, Availability]:
    """Each courier's latest declaration (a courier who declared nothing is absent)."""
    latest = {str(e.payload["courier_id"]): e.payload for e in events_of(store, coop_id, [E.AVAILABILITY_DECLARED])}
    return {courier_id: parse(courier_id, payload) for courier_id, payload in latest.items()}


@dataclass(frozen=True)
class Left:
    """A courier who no longer works for the cooperative: ``deactivated`` (a dispatcher may
    reactivate them) or ``erased`` (for good), ``since`` the act that made them inactive."""

    why: str
    since: datetime


#: When a courier is inactive with no act in the log saying since when: always.
_ALWAYS = datetime(1970, 1, 1, tzinfo=UTC)


def gone(store: Store, coop_id: str) -> dict[str, Left]:
    """Every inactive courier of the cooperative, why and since when (their latest deactivation,
    or their erasure when nothing deactivated them first).

    Why here: an inactive courier's declaration is kept (a reactivation brings it back as it
    was), but they are available at no time while inactive, and their shifts from then on are
    withdrawn (``dispatch/week.py``, ``withdrawn``), never counted as cover of an hour."""
    inactive = {c.id for c in store.couriers(coop_id) if not c.active}
    if not inactive:
        return {}
    out: dict[str, Left] = {}
    acts = (E.COURIER_DEACTIVATED, E.COURIER_REACTIVATED, E.COURIER_ERASED)
    for e in events_of(store, coop_id, acts):
        cid = str(e.payload["courier_id"])
        if cid not in inactive:
            continue
        if e.type is E.COURIER_REACTIVATED:
            out.pop(cid, None)
        elif e.type is E.COURIER_ERASED:
            out[cid] = Left("erased", out[cid].since if cid in out else e.at)
        else:
            out[cid] = Left("deactivated", e.at)
    return {cid: out.get(cid, Left("deactivated", _ALWAYS)) for cid in inactive}


def active_only(availabilities: Mapping[str, Availability], left: Mapping[str, Left]) -> dict[str, Availability]:
    """The declarations of the couriers who still work: an inactive one is never available."""
    return {cid: a for cid, a in availabilities.items() if cid not in left}


def available_at(availabilities: Mapping[str, Availability], at: datetime, zone: ZoneInfo) -> dict[str, datetime]:
    """Who is available at ``at``, each with when their availability ends."""
    local = at.astimezone(zone)
    out = {}
    for courier_id, availability in availabilities.items():
        until = availability.until(local)
        if until is not None:
            out[courier_id] = until
    return out
