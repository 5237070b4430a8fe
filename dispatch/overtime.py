"""Overtime decided by dispatch (issue 23 item 5): a dispatcher's decision that some of a
courier's time on a local day is overtime, for payroll.

Overtime is a person's decision, never a figure the machine derives: the time sheet shows each
day's worked minutes beyond the published plan (``beyond_plan_minutes``) as what there is to
decide on, and only a dispatcher's ``OvertimeDecided`` makes any of it overtime. A decision is
an event; a later one for the same courier and day replaces it (the latest wins, ``minutes=0``
withdraws it), so the log keeps every decision and who made it.

What is refused, and what is not:

- a day still to come: overtime is decided on time that was worked (the day has begun in the
  cooperative's timezone; today may be decided while a shift is still running). This also lets
  the time sheet read the decisions of a span from that span's first day on;
- more minutes than the local day holds (1,440; 1,380 or 1,500 on the days the clocks change);
- withdrawing a decision that does not stand (nothing to withdraw);
- with ``expected_seq`` (the log's seq the dispatcher's page or listing read), a decision when
  someone else decided or withdrew that courier's day after it (:class:`OvertimeChanged`, a 409
  naming who decided what), as the week's other writes refuse a stale read.

Deciding more overtime than the worked minutes the phone recorded that day is *allowed*: the
worked minutes count only the Start-to-End stretches a courier pressed on the phone, and what
payroll pays is the dispatcher's decision (a forgotten Start, a shift still open, an hour spent
mending a cargo bike at the workshop). Refusing it would make the dispatcher invent shift acts to
pay what they decided; instead the sheet shows both figures side by side, so a difference is seen
and asked about, never hidden.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from dispatch.errors import Conflict, DomainError, InvalidInput
from dispatch.events import Actor, Event, EventType, NewEvent
from dispatch.store import Store
from dispatch.store.weekly import checked_before, events_of
from dispatch.text import check_text

if TYPE_CHECKING:
    from sqlalchemy import Connection

E = EventType
#: A dispatcher's note on a decision, as long as the week's other notes.
NOTE_LIMIT = 300
FIRST_YEAR, LAST_YEAR = 1970, 2999


@dataclass(frozen=True)
class Overtime:
    """The decision standing for a courier's day: its minutes, the note, who decided and when."""

    courier_id: str
    day: str
    minutes: int
    note: str
    by: str  #: the actor as ``"<kind> <id>"``, as the week's other acts show who made them
    at: str
    seq: int

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("courier_id", "day", "minutes", "note", "by", "at", "seq")}


class OvertimeChanged(Conflict):
    """Someone decided (or withdrew) the courier's day's overtime after the seq the dispatcher
    read (``expected_seq``): a 409 naming who decided what, so that two dispatchers deciding the
    same day from the same sheet never silently overwrite each other (the first stands; the
    second reads it and decides again, or not)."""

    def __init__(self, courier_id: str, day: str, expected_seq: int, actual_seq: int, minutes: int, by: str) -> None:
        self.job_id, self.expected_seq, self.actual_seq = f"overtime {courier_id} {day}", expected_seq, actual_seq
        self.last_act, self.by = E.OVERTIME_DECIDED.value, by
        why = "overtime_changed" if minutes else "overtime_withdrawn"
        DomainError.__init__(self, why, courier=courier_id, day=day, minutes=minutes, by=by)


def day_minutes(day: date, zone: ZoneInfo) -> int:
    """How many minutes the local day holds (fewer or more on the days the clocks change)."""
    start = datetime.combine(day, time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
    # in UTC: Python subtracts two times of the same zone on the wall clock, which hides the change
    return round((end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 60)


def parse_day(value: object) -> date:
    """A local day named YYYY-MM-DD, in the years the week's reads reach."""
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        day = date.fromisoformat(value)
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValueError
    except ValueError:
        raise InvalidInput("day", "day_by_date", first=FIRST_YEAR, last=LAST_YEAR, value=str(value)) from None
    return day


def _checked(
    store: Store, coop_id: str, courier_id: str, day: object, minutes: object, note: str, at: datetime
) -> date:
    """Every refusal of :func:`decide`, all before anything is written, so a refused
    decision leaves the log as it was. The courier first: an unknown one (or another
    cooperative's) is a 404, not a 422 about a day they never had. "Today" is the cooperative's
    local day at ``at``, not the server's, because a time sheet's days are the cooperative's; and
    the most minutes come from that zone's day too, so the days the clocks change allow 1,380 or
    1,500, not a fixed 1,440 that would refuse a real 25-hour day's overtime."""
    store.courier(coop_id, courier_id)  # NotFound (a 404) for an unknown courier or another cooperative's
    local = parse_day(day)
    zone = ZoneInfo(store.cooperative(coop_id).timezone)
    today = at.astimezone(zone).date()
    if local > today:
        raise InvalidInput("day", "overtime_in_future", day=local.isoformat(), today=today.isoformat())
    most = day_minutes(local, zone)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 0 <= minutes <= most:
        raise InvalidInput("minutes", "overtime_minutes", most=most, value=str(minutes))
    if len(note) > NOTE_LIMIT:
        raise InvalidInput("note", "too_many_characters", limit=NOTE_LIMIT)
    check_text("note", note)
    return local


def decide(
    store: Store,
    coop_id: str,
    courier_id: str,
    day: object,
    minutes: object,
    *,
    note: str = "",
    actor: Actor,
    at: datetime,
    expected_seq: int | None = None,
) -> Event:
    """A dispatcher's decision (``OvertimeDecided``): ``minutes`` of the courier's time on
    ``day`` are overtime; it replaces the decision standing for that day, and 0 withdraws it.
    ``expected_seq``: the log's seq as the dispatcher read the day (a time sheet's or a
    listing's ``seq``, or a decision's own); a decision of that courier's day after it refuses
    this one (:class:`OvertimeChanged`). Without it, the latest decision wins, as before.
    The caller admits only dispatchers and the admin (never a courier, never the planner)."""
    local = _checked(store, coop_id, courier_id, day, minutes, note, at)
    payload = {"courier_id": courier_id, "day": local.isoformat(), "minutes": minutes, "note": note}
    new = NewEvent(coop_id, at, actor, E.OVERTIME_DECIDED, payload)
    if minutes != 0 and expected_seq is None:  # a decision replaces whatever stands: the latest wins
        return store.append(new)
    return store.append(new, also=_day_as_read(store, coop_id, courier_id, local, minutes == 0, expected_seq))


def _day_as_read(
    store: Store, coop_id: str, courier_id: str, local: date, withdrawing: bool, expected_seq: int | None
) -> Callable[[Connection, Event], None]:
    """The checks that need the log as the decision's own transaction sees it, where a
    cooperative's appends are serialised: checked before it, ten withdrawals sent at once to
    several API workers all found the decision standing and were all answered 200 (outside
    attacker's finding 2), and two dispatchers deciding from the same sheet would both pass a
    stale ``expected_seq``. First, that nobody decided the day after ``expected_seq`` (a 409
    naming who decided what); then, for a withdrawal, that a decision stands."""
    day = local.isoformat()

    def verdict(events: list[Event]) -> Exception | None:
        mine = [e for e in events if e.payload.get("courier_id") == courier_id and e.payload.get("day") == day]
        if expected_seq is not None and mine and mine[-1].seq > expected_seq:
            latest = mine[-1]
            return OvertimeChanged(
                courier_id, day, expected_seq, latest.seq, int(latest.payload["minutes"]), _by(latest)
            )
        if withdrawing and (not mine or int(mine[-1].payload["minutes"]) == 0):
            return InvalidInput("minutes", "no_overtime_to_withdraw", courier=courier_id, day=day)
        return None

    return checked_before(coop_id, [E.OVERTIME_DECIDED], _midnight(store, coop_id, local), verdict)


def _midnight(store: Store, coop_id: str, local: date) -> datetime:
    """The local day's start: a decision is made once its day has begun, never before."""
    return datetime.combine(local, time(), tzinfo=ZoneInfo(store.cooperative(coop_id).timezone))


def decided(
    store: Store, coop_id: str, first: date, last: date, *, courier_id: str | None = None
) -> dict[tuple[str, str], Overtime]:
    """The decisions standing for the days from ``first`` to ``last`` (included): (courier, day)
    -> the latest decision, withdrawn ones left out. A decision is made once its day has begun
    (:func:`decide` refuses days to come), so only the log from ``first``'s midnight is read."""
    out: dict[tuple[str, str], Overtime] = {}
    for event in events_of(store, coop_id, [E.OVERTIME_DECIDED], since=_midnight(store, coop_id, first)):
        p = event.payload
        cid, day = str(p["courier_id"]), str(p["day"])
        if not first.isoformat() <= day <= last.isoformat() or courier_id not in (None, cid):
            continue
        if int(p["minutes"]) == 0:
            out.pop((cid, day), None)
            continue
        by = _by(event)
        out[(cid, day)] = Overtime(
            cid, day, int(p["minutes"]), str(p.get("note", "")), by, event.at.isoformat(), event.seq
        )
    return out


def listed(store: Store, coop_id: str, first: date, last: date, names: Mapping[str, str]) -> dict[str, Any]:
    """The decisions standing for a span's days, as the API and the CLI list them: by day, then
    courier, each with the courier's name (``names``: id -> name, the edge's), and ``seq``: the
    log's seq as it was read, to send back as ``expected_seq`` when deciding one of those days."""
    seq = store.cooperative_last_seq(coop_id)  # before the read: a decision in between is then seen as newer
    standing = sorted(decided(store, coop_id, first, last).items())
    return {
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        "seq": seq,
        "decisions": [{**d.to_json(), "name": names.get(d.courier_id, d.courier_id)} for _, d in standing],
    }


def answer(event: Event, names: Mapping[str, str]) -> dict[str, Any]:
    """A decision just made, as the API and the CLI answer it."""
    cid = str(event.payload["courier_id"])
    by = _by(event)
    return {**event.payload, "name": names.get(cid, cid), "by": by, "at": event.at.isoformat(), "seq": event.seq}


def _by(event: Event) -> str:
    """Who decided, as the week's other acts say it: role and id (``admin cli:<login>`` from the CLI)."""
    actor = event.actor
    return actor.kind.value if actor.id is None else f"{actor.kind.value} {actor.id}"


def minutes_of(decisions: dict[tuple[str, str], Overtime]) -> dict[tuple[str, str], float]:
    """The decisions as the time sheet reads them: (courier, day) -> minutes."""
    return {key: float(d.minutes) for key, d in decisions.items()}
