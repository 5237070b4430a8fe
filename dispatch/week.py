"""The cooperative's week (issue 23): the rota proposed, edited, published; swaps; the gaps.

The machine proposes, a person decides, as for the day. A dispatcher asks for a proposal for a
week (``propose``: availability from ``dispatch/availability.py``, expected demand from
``dispatch/forecast.py``, contracts, and what the previous weeks gave each person, into
``routing/rota.py``); each shift says why it was proposed. The dispatcher moves, removes or
adds shifts (``edit``), then publishes the week (``publish``); couriers see their published
shifts, and may ask to hand one to a colleague (``request_swap``), which a dispatcher confirms
or refuses (``decide_swap``). Every step is an event; the week's state is a fold of them
(``fold``), so it survives a restart and can be replayed.

No one is ranked: the only figures of a person are their own hours against their own contract.
A week is named by its Monday (``YYYY-MM-DD``, the cooperative's local date).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from dispatch import overtime
from dispatch.availability import DAYS, Availability, Left, active_only, available_at, declared, gone
from dispatch.commands import Unavailable, courier_unavailable
from dispatch.errors import Conflict, DomainError, InvalidInput, NotFound
from dispatch.events import Actor, Event, EventType, NewEvent
from dispatch.forecast import BIKE_PAYLOAD_KG, Forecast, forecast
from dispatch.ledger import ROLLING_DAYS, rolling
from dispatch.model import Cooperative, Courier
from dispatch.rotation import rotation
from dispatch.store import Store
from dispatch.store.access import NothingToChange
from dispatch.store.weekly import events_of, ledger_between, unchanged_since
from dispatch.timesheets import SheetDay, planned_minutes, timesheet
from routing.reasons import Reason, reason
from routing.rota import (
    DAY_NAMES,
    Cover,
    Demand,
    Person,
    Rota,
    RotaError,
    Rules,
    Week,
    propose_covers,
    propose_rota,
    why_not_cover,
)

E = EventType
ROTA_EVENTS = (
    E.CONTRACT_SET,
    E.ROTA_PROPOSED,
    E.ROTA_EDITED,
    E.ROTA_PUBLISHED,
    E.SHIFT_SWAP_REQUESTED,
    E.SHIFT_SWAP_DECIDED,
    E.ABSENCE_RECORDED,
    E.COVER_ASSIGNED,
    E.NO_COVER_PICKED,
)
#: The events that change a week's rota (its ``seq``): a write of the rota read before one of
#: them is refused (:func:`_append_rota`).
ROTA_CHANGES = (
    E.ROTA_PROPOSED,
    E.ROTA_EDITED,
    E.ROTA_PUBLISHED,
    E.ABSENCE_RECORDED,
    E.COVER_ASSIGNED,
    E.SHIFT_SWAP_DECIDED,
)
DEMAND_EVENTS = (E.JOB_REQUESTED, E.COURIER_ACKNOWLEDGED, E.DELIVERED, E.DELIVERY_FAILED)
#: The weeks of history the forecast and the fairness of the rota look back on.
HISTORY_WEEKS = 4
#: Contracted hours when a dispatcher set none: no minimum, at most 40 hours a week.
DEFAULT_CONTRACT = (0, 40)
MAX_WEEK_H = 60
#: Settings a cooperative may give under ``settings["rota"]`` (read by :func:`rota_settings`).
ROTA_KEYS = (
    "min_shift_h",
    "max_shift_h",
    "length_step_h",
    "rest_h",
    "late_from_h",
    "time_limit_s",
    "first_h",
    "last_h",
)


class RotaChanged(Conflict):
    """The week's rota changed since the dispatcher looked (``expected_seq``): a 409 naming the
    act and who made it, never a silent overwrite of a colleague's edit."""

    def __init__(self, monday: date, expected_seq: int, rota: RotaState) -> None:
        self.job_id, self.expected_seq, self.actual_seq = f"week {monday}", expected_seq, rota.seq
        self.last_act, self.by = rota.last
        DomainError.__init__(self, "rota_changed", monday=monday.isoformat(), last_act=self.last_act, by=self.by)


_GUARD = threading.Lock()
_LOCKS: dict[str, threading.Lock] = {}


@contextmanager
def _one_at_a_time(coop_id: str) -> Iterator[None]:
    """A cooperative's rota acts one at a time in this process: each reads the week, checks, and
    appends a whole new list of shifts, so two at once would lose one. Several API workers are
    several processes: there, :func:`_append_rota` refuses the later one in its transaction."""
    with _GUARD:
        lock = _LOCKS.setdefault(coop_id, threading.Lock())
    with lock:
        yield


def _unchanged(rota: RotaState, monday: date, expected_seq: int | None) -> None:
    if expected_seq is not None and expected_seq != rota.seq:
        raise RotaChanged(monday, expected_seq, rota)


def _append_rota(store: Store, new: NewEvent, monday: date, rota: RotaState, *, swap_id: str | None = None) -> Event:
    """Append a write of the week's rota, refused (a 409 naming the act) when another one
    changed the same week after ``rota`` was read, whether or not the caller sent
    ``expected_seq``: the check runs in the append's transaction (``unchanged_since``), so a
    second API worker's edit, publication, absence, cover or swap between this act's read and
    its append is never silently overwritten by a list of shifts that does not hold it.
    ``swap_id``: a decision on this swap made meanwhile also refuses it (decided once)."""
    week = monday.isoformat()

    def changed(e: Event) -> Exception | None:
        p = e.payload
        if p.get("week") != week:
            return None
        if e.type is E.SHIFT_SWAP_DECIDED and not p.get("confirmed") and p.get("swap_id") != swap_id:
            return None  # a swap refused changes no shift
        now = RotaState(seq=e.seq, last=(e.type.value, f"{e.actor.kind.value} {e.actor.id}"))
        return RotaChanged(monday, rota.seq, now)

    return store.append(new, also=unchanged_since(new.cooperative_id, ROTA_CHANGES, rota.seq, changed))


# ------------------------------------------------------------------ weeks and settings


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def parse_week(value: object) -> date:
    """A week named by its Monday; any other day is refused with the Monday it belongs to."""
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("week", "week_by_monday", value=str(value)) from None
    if day.weekday() != 0:
        raise InvalidInput(
            "week",
            "week_begins_monday",
            given=day.isoformat(),
            day=DAYS[day.weekday()],
            monday=monday_of(day).isoformat(),
        )
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput("week", "week_years", first=FIRST_YEAR, last=LAST_YEAR, value=day.isoformat())
    return day


#: The years a week may be in: a rota reads weeks before and after the one asked for, and the
#: calendar's ends made the server fail (the outside attack: 9999-12-27 answered 500).
FIRST_YEAR, LAST_YEAR = 1970, 2999


def check_moment(moment: datetime, field: str = "at") -> datetime:
    """A moment the week's reads can reach (the same years as :func:`parse_week`)."""
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise InvalidInput(field, "time_years", first=FIRST_YEAR, last=LAST_YEAR, value=moment.isoformat())
    return moment


def next_week(now: datetime, zone: ZoneInfo) -> date:
    return monday_of(now.astimezone(zone).date()) + timedelta(weeks=1)


def week_or_next(store: Store, coop_id: str, value: str | None, now: datetime) -> date:
    """The week named by its Monday, or, when none is named, the cooperative's next week."""
    if value is not None:
        return parse_week(value)
    return next_week(now, ZoneInfo(store.cooperative(coop_id).timezone))


def week_or_this(store: Store, coop_id: str, value: str | None, now: datetime) -> date:
    """The week named by its Monday, or, when none is named, the cooperative's current week
    (time sheets and overtime look back, where the rota looks ahead)."""
    if value is not None:
        return parse_week(value)
    return monday_of(now.astimezone(ZoneInfo(store.cooperative(coop_id).timezone)).date())


def availability_view(store: Store, coop_id: str, courier_id: str) -> dict[str, Any]:
    """A courier's declared availability and contract, as the API and the CLI show it (an unknown
    courier is refused)."""
    store.courier(coop_id, courier_id)
    mine = declared(store, coop_id).get(courier_id, Availability.none(courier_id))
    min_h, max_h = week_state(store, coop_id).contract(courier_id)
    return {"courier_id": courier_id, **mine.to_json(), "contract": {"min_h": min_h, "max_h": max_h}}


def rota_settings(coop: Cooperative) -> tuple[Rules, Week]:
    """The cooperative's limits for rotas (``settings["rota"]``), each checked, or the defaults."""
    given = coop.settings.get("rota", {})
    if not isinstance(given, dict):
        raise InvalidInput("settings.rota", "rota_settings_object")
    values: dict[str, float] = {}
    for key, value in given.items():
        if key not in ROTA_KEYS:
            raise InvalidInput(f"settings.rota.{key}", "unknown_rota_setting", values=list(ROTA_KEYS))
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 24:
            raise InvalidInput(f"settings.rota.{key}", "rota_hours")
        values[key] = value
    time_limit = float(values.pop("time_limit_s", Rules.time_limit_s))
    first_h, last_h = int(values.pop("first_h", Week.first_h)), int(values.pop("last_h", Week.last_h))
    if not first_h < last_h:
        raise InvalidInput("settings.rota", "first_before_last")
    rules = Rules(**{k: int(v) for k, v in values.items()}, time_limit_s=max(0.5, time_limit))
    return rules, Week(first_h=first_h, last_h=last_h)


# ------------------------------------------------------------------ the state: a fold of the log


@dataclass
class RotaState:
    """One week's rota: the draft being edited and what was published (with its version)."""

    draft: list[dict[str, Any]] | None = None
    gaps: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)  #: how the proposal was made
    published: list[dict[str, Any]] | None = None
    published_at: str | None = None
    version: int = 0
    seq: int = 0  #: the last event that changed this week's rota (0: none yet)
    last: tuple[str, str] = ("", "")  #: that event's type and who made it
    #: absent shifts for which a dispatcher chose no one of those offered (the last choice)
    no_cover: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class WeekState:
    contracts: dict[str, tuple[int, int]] = field(default_factory=dict)
    rotas: dict[str, RotaState] = field(default_factory=dict)
    swaps: dict[str, dict[str, Any]] = field(default_factory=dict)

    def rota(self, week: date) -> RotaState:
        return self.rotas.setdefault(week.isoformat(), RotaState())

    def contract(self, courier_id: str) -> tuple[int, int]:
        return self.contracts.get(courier_id, DEFAULT_CONTRACT)


def fold(events: Iterable[Event]) -> WeekState:
    """The week's state from its events (the only code that turns them into state)."""
    state = WeekState()
    for event in events:
        p = event.payload
        if event.type is E.CONTRACT_SET:
            state.contracts[str(p["courier_id"])] = (int(p["min_h"]), int(p["max_h"]))
            continue
        if event.type in (E.SHIFT_SWAP_REQUESTED, E.SHIFT_SWAP_DECIDED):
            _fold_swap(state, event)
            continue
        if event.type is E.NO_COVER_PICKED:  # a choice logged; the rota is unchanged
            _fold_no_cover(state, event)
            continue
        rota = state.rotas.setdefault(str(p["week"]), RotaState())
        rota.seq, rota.last = event.seq, (event.type.value, f"{event.actor.kind.value} {event.actor.id}")
        if event.type is E.ROTA_PROPOSED:
            rota.draft, rota.gaps = list(p["shifts"]), list(p["gaps"])
            rota.notes = {k: p[k] for k in ("forecast", "status", "balanced") if k in p}
        elif event.type is E.ROTA_EDITED:
            rota.draft = list(p["shifts"])
        elif event.type is E.ROTA_PUBLISHED:
            rota.published, rota.draft = list(p["shifts"]), None
            rota.published_at, rota.version = event.at.isoformat(), rota.version + 1
        elif event.type in (E.ABSENCE_RECORDED, E.COVER_ASSIGNED):
            rota.published, rota.version = list(p["shifts"]), rota.version + 1
            if "draft" in p:  # the draft open then carries the same absence or cover
                rota.draft = list(p["draft"])
    return state


def _fold_no_cover(state: WeekState, event: Event) -> None:
    p = event.payload
    state.rota(date.fromisoformat(str(p["week"]))).no_cover[str(p["shift_id"])] = {
        "at": event.at.isoformat(),
        "by": f"{event.actor.kind.value} {event.actor.id}",
        "offered": list(p["offered"]),
        "note": p.get("note", ""),
    }


def _fold_swap(state: WeekState, event: Event) -> None:
    p = event.payload
    if event.type is E.SHIFT_SWAP_REQUESTED:
        state.swaps[str(p["swap_id"])] = {
            "id": p["swap_id"],
            "week": p["week"],
            "courier_id": p["courier_id"],
            "shift_id": p["shift_id"],
            "with_courier_id": p["with_courier_id"],
            "note": p.get("note", ""),
            "state": "pending",
            "asked_at": event.at.isoformat(),
        }
        return
    swap = state.swaps[str(p["swap_id"])]
    swap["state"] = "confirmed" if p["confirmed"] else "refused"
    swap["reason"] = p.get("reason", "")
    if p["confirmed"]:
        rota = state.rotas.setdefault(str(p["week"]), RotaState())
        rota.published = list(p["shifts"])
        if "draft" in p:  # the draft open then carries the same swap
            rota.draft = list(p["draft"])
        rota.version += 1
        rota.seq, rota.last = event.seq, (event.type.value, f"{event.actor.kind.value} {event.actor.id}")


def week_state(store: Store, coop_id: str) -> WeekState:
    return fold(events_of(store, coop_id, ROTA_EVENTS))


# ------------------------------------------------------------------ contracts


def check_contract(min_h: int, max_h: int) -> None:
    """Refuse contracted hours that cannot stand, before anything sent with them is written: an
    availability declared together with a refused contract is refused whole (outside tester's
    finding 2: the windows were replaced, then the contract refused)."""
    for name, value in (("min_h", min_h), ("max_h", max_h)):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_WEEK_H:
            raise InvalidInput(name, "whole_hours", most=MAX_WEEK_H)
    if min_h > max_h:
        raise InvalidInput("min_h", "min_above_max", low=min_h, high=max_h)


def set_contract(
    store: Store, coop_id: str, courier_id: str, min_h: int, max_h: int, *, actor: Actor, at: datetime
) -> Event:
    """A courier's contracted hours a week (a dispatcher's or the admin's act, never a courier's)."""
    check_contract(min_h, max_h)
    store.courier(coop_id, courier_id)
    payload = {"courier_id": courier_id, "min_h": min_h, "max_h": max_h}
    return store.append(NewEvent(coop_id, at, actor, E.CONTRACT_SET, payload))


# ------------------------------------------------------------------ demand and gaps


def expected(store: Store, coop: Cooperative, now: datetime) -> Forecast:
    """The forecast from the last weeks of the cooperative's own log (``dispatch/forecast.py``)."""
    since = now - timedelta(weeks=HISTORY_WEEKS)
    events = events_of(store, coop.id, DEMAND_EVENTS, since=since, until=now)
    zone = ZoneInfo(coop.timezone)
    return forecast(events, timezone=zone, until=now, weeks=HISTORY_WEEKS, heavy_threshold_kg=coop.heavy_threshold_kg)


@dataclass(frozen=True)
class HourView:
    day: str
    hour: int
    available: tuple[str, ...]  #: couriers available that whole hour
    expected: int  #: couriers the forecast wants
    rostered: tuple[str, ...]  #: couriers on the rota shown (the draft, else the published one)
    #: How the expected figure was computed (``forecast_hour``), or ``no_jobs_seen``: a reason.
    why: dict[str, Any]

    @property
    def gap(self) -> int:
        """Couriers wanted beyond those available: nobody could cover them."""
        return max(0, self.expected - len(self.available))


def hours_of_week(
    monday: date,
    week: Week,
    availabilities: Mapping[str, Availability],
    demand: Forecast,
    shifts: Iterable[Mapping[str, Any]],
) -> list[HourView]:
    """Every hour of the week's span: who is available, who is rostered, what is expected."""
    free = {cid: a.hours(monday, week.first_h, week.last_h) for cid, a in availabilities.items()}
    by_hour = {(h.weekday, h.hour): h for h in demand.hours}
    rostered: dict[tuple[int, int], list[str]] = {}
    for s in shifts:
        if s.get("absent") or s.get("left"):
            continue  # an absent courier, or one who left, covers nothing; a cover's shift does
        offset = (date.fromisoformat(s["day"]) - monday).days
        for hour in range(int(s["start_h"]), int(s["end_h"])):
            rostered.setdefault((offset, hour), []).append(str(s["courier_id"]))
    out = []
    for offset in range(7):
        for hour in week.hours:
            wanted = by_hour.get((offset, hour))
            out.append(
                HourView(
                    day=(monday + timedelta(days=offset)).isoformat(),
                    hour=hour,
                    available=tuple(sorted(c for c, hours in free.items() if (offset, hour) in hours)),
                    expected=wanted.couriers if wanted else 0,
                    rostered=tuple(sorted(rostered.get((offset, hour), []))),
                    why=(wanted.why if wanted else reason("no_jobs_seen")).to_json(),
                )
            )
    return out


def withdrawn(shifts: Iterable[Mapping[str, Any]], left: Mapping[str, Left], zone: ZoneInfo) -> list[dict[str, Any]]:
    """The shifts, those of a courier who left marked ``left`` (``deactivated`` or ``erased``)
    from the moment they left: a shift that had begun by then stays as it was (worked, and
    stopped early by the deactivation). Derived when read, never written: a courier reactivated
    gets their shifts back, and a withdrawn shift stays withdrawn once its day has passed (the
    moment is their leaving, not the reader's now). A withdrawn shift is rostered for nobody:
    the hour's gap shows, and a dispatcher finds a cover as for an absence."""
    out = []
    for s in shifts:
        went = left.get(str(s["courier_id"]))
        if went is not None and _begins(s, zone) >= went.since:
            out.append({**s, "left": went.why})
        else:
            out.append(dict(s))
    return out


def _begins(shift: Mapping[str, Any], zone: ZoneInfo) -> datetime:
    return datetime.combine(date.fromisoformat(str(shift["day"])), time(int(shift["start_h"])), tzinfo=zone)


def _no_longer_works(courier_id: str, left: Mapping[str, Left]) -> InvalidInput:
    """The refusal of work for a courier who left: an erasure is final (no "reactivate them")."""
    if courier_id in left and left[courier_id].why == "erased":
        return InvalidInput("courier_id", "courier_erased_for_good")
    return InvalidInput("courier_id", "deactivated", courier=courier_id)


# ------------------------------------------------------------------ the proposal


def _people(
    store: Store, coop: Cooperative, monday: date, week: Week, state: WeekState, couriers: list[Courier]
) -> list[Person]:
    """The rota's people: active couriers with an availability, their contracts, and what the
    last weeks gave them (worked hours from the time sheets, late and weekend shifts published)."""
    zone = ZoneInfo(coop.timezone)
    availabilities = declared(store, coop.id)
    first = monday - timedelta(weeks=HISTORY_WEEKS)
    worked: dict[str, float] = {}
    weeks_worked: dict[str, set[date]] = {}
    for d in timesheet(store, coop.id, first, monday - timedelta(days=1), zone=zone):
        worked[d.courier_id] = worked.get(d.courier_id, 0.0) + d.worked_minutes / 60
        weeks_worked.setdefault(d.courier_id, set()).add(monday_of(date.fromisoformat(d.day)))
    rules, _ = rota_settings(coop)
    unsocial: dict[str, int] = {}
    for w in range(1, HISTORY_WEEKS + 1):
        for s in state.rota(monday - timedelta(weeks=w)).published or []:
            if int(s["end_h"]) > rules.late_from_h or date.fromisoformat(s["day"]).weekday() >= 5:
                unsocial[s["courier_id"]] = unsocial.get(s["courier_id"], 0) + 1
    people = []
    for c in couriers:
        if not c.active or c.id not in availabilities:
            continue
        min_h, max_h = state.contract(c.id)
        people.append(
            Person(
                id=c.id,
                name=c.display_name,
                cargo=c.vehicle.payload_kg > BIKE_PAYLOAD_KG,
                available=availabilities[c.id].hours(monday, week.first_h, week.last_h),
                min_h=min_h,
                max_h=max_h,
                previous_h=worked.get(c.id, 0.0),
                previous_contract_h=len(weeks_worked.get(c.id, ())) * (min_h or max_h),
                previous_unsocial=unsocial.get(c.id, 0),
            )
        )
    return people


def rota_demand(expected: Forecast, week: Week) -> Demand:
    """The forecast as a rota's demand: couriers and cargo bikes wanted in the hours the week's
    shifts may cover (the live proposal and a week replayed from its history use this one)."""
    return Demand(
        couriers={k: n for k, n in expected.couriers().items() if k[1] in week.hours},
        cargo={k: n for k, n in expected.cargo().items() if k[1] in week.hours},
    )


def propose(store: Store, coop_id: str, monday: date, *, actor: Actor, now: datetime) -> Event:
    """A proposal for the week (``RotaProposed``): it becomes the draft a dispatcher edits."""
    coop = store.cooperative(coop_id)
    rules, week = rota_settings(coop)
    state = week_state(store, coop_id)
    demand = expected(store, coop, now)
    people = _people(store, coop, monday, week, state, store.couriers(coop_id))
    try:
        rota = propose_rota(people, rota_demand(demand, week), week=week, rules=rules)
    except RotaError as exc:
        raise InvalidInput("rota", str(exc)) from None
    payload = {
        "week": monday.isoformat(),
        "shifts": _shifts(rota, monday),
        "gaps": [
            {"day": (monday + timedelta(days=d)).isoformat(), "hour": h, "missing": n}
            for (d, h), n in sorted(rota.gaps.items())
        ],
        "forecast": {
            "weeks": demand.weeks,
            "jobs_per_courier_hour": demand.jobs_per_courier_hour,
            "pace_from": demand.pace_from.to_json(),
        },
        "status": rota.status,
        "balanced": rota.balanced,
    }
    return store.append(NewEvent(coop_id, now, actor, E.ROTA_PROPOSED, payload))


def _shifts(rota: Rota, monday: date) -> list[dict[str, Any]]:
    return [
        {
            "id": uuid.uuid4().hex[:12],
            "courier_id": s.person,
            "day": (monday + timedelta(days=s.day)).isoformat(),
            "start_h": s.start_h,
            "end_h": s.end_h,
            "why": [r.to_json() for r in s.why],
        }
        for s in rota.shifts
    ]


# ------------------------------------------------------------------ editing, publishing, swaps


@dataclass(frozen=True)
class Limits:
    """What every shift a person sets must respect, read once per edit."""

    monday: date
    rules: Rules
    couriers: dict[str, Courier]
    availabilities: dict[str, Availability]
    state: WeekState
    left: dict[str, Left] = field(default_factory=dict)  #: the couriers who no longer work

    @classmethod
    def of(cls, store: Store, coop_id: str, monday: date) -> Limits:
        rules, _ = rota_settings(store.cooperative(coop_id))
        couriers = {c.id: c for c in store.couriers(coop_id)}
        return cls(monday, rules, couriers, declared(store, coop_id), week_state(store, coop_id), gone(store, coop_id))

    def check(self, shifts: list[dict[str, Any]], changed: Mapping[str, Any]) -> None:
        """Refuse (naming the rule) a shift that breaks the availability, the shift lengths,
        one shift a day, the rest between days or the weekly maximum of its courier. A shift
        marked absent is not worked: it counts for none of them (as :func:`why_not_cover` sees
        it), so a courier off sick on Monday may take another shift that day or more hours."""
        cid = str(changed["courier_id"])
        courier = self.couriers.get(cid)
        if courier is None:
            raise NotFound("courier", cid)
        if not courier.active:
            raise _no_longer_works(cid, self.left)
        day = date.fromisoformat(changed["day"])
        start, end = int(changed["start_h"]), int(changed["end_h"])
        if not self.rules.min_shift_h <= end - start <= self.rules.max_shift_h:
            raise InvalidInput("end_h", "shift_length", low=self.rules.min_shift_h, high=self.rules.max_shift_h)
        free = self.availabilities.get(cid, Availability.none(cid)).hours(self.monday)
        offset = (day - self.monday).days
        missing = [h for h in range(start, end) if (offset, h) not in free]
        if missing:
            hour = f"{missing[0]:02d}:00-{missing[0] + 1:02d}:00"
            raise InvalidInput("start_h", "not_available", courier=cid, day=day.isoformat(), hours=hour)
        own = sorted(
            (s for s in shifts if s["courier_id"] == cid and not s.get("absent")),
            key=lambda s: (s["day"], s["start_h"]),
        )
        if sum(1 for s in own if s["day"] == changed["day"]) > 1:
            raise InvalidInput("day", "one_shift_a_day", courier=cid, day=day.isoformat())
        for a, b in pairwise(own):
            gap = (date.fromisoformat(b["day"]) - date.fromisoformat(a["day"])).days * 24 + b["start_h"] - a["end_h"]
            if gap < self.rules.rest_h:
                raise InvalidInput(
                    "start_h",
                    "too_little_rest",
                    courier=cid,
                    gap=gap,
                    first=a["day"],
                    last=b["day"],
                    most=self.rules.rest_h,
                )
        max_h = self.state.contract(cid)[1]
        total = sum(int(s["end_h"]) - int(s["start_h"]) for s in own)
        if total > max_h:
            raise InvalidInput("end_h", "over_contract", courier=cid, hours=total, most=max_h)


def _edited(base: list[dict[str, Any]], edit: Mapping[str, Any], limits: Limits) -> list[dict[str, Any]]:
    """The draft after one edit: ``add`` a shift, ``move`` one (other hours, day or courier),
    ``remove`` one."""
    action = edit.get("action")
    shifts = [dict(s) for s in base]
    shift: dict[str, Any]
    if action == "add":
        shift = {"id": uuid.uuid4().hex[:12], "why": [reason("rota_added").to_json()]}
    elif action in ("move", "remove"):
        found = [s for s in shifts if s["id"] == edit.get("shift_id")]
        if not found:
            raise NotFound("shift", edit.get("shift_id"))
        shift = found[0]
        shifts.remove(shift)
        if action == "remove":
            return shifts
        was = (str(shift["courier_id"]), str(shift["day"]), int(shift["start_h"]), int(shift["end_h"]))
        moved = reason("rota_moved", courier=was[0], day=was[1], start_h=was[2], end_h=was[3])
        shift = {**shift, "why": [moved.to_json()]}
    else:
        raise InvalidInput("action", "one_of", values=["add", "move", "remove"])
    for key in ("courier_id", "day", "start_h", "end_h"):
        if edit.get(key) is not None:
            shift[key] = edit[key]
        elif key not in shift:
            raise InvalidInput(key, "shift_needs", action=action, key=key)
    _check_fields(shift, limits.monday)
    shifts.append(shift)
    limits.check(shifts, shift)
    return sorted(shifts, key=lambda s: (s["day"], s["start_h"], s["courier_id"]))


def _check_fields(shift: Mapping[str, Any], monday: date) -> None:
    try:
        day = date.fromisoformat(str(shift["day"]))
    except ValueError:
        raise InvalidInput("day", "day_format", value=str(shift.get("day"))) from None
    if not monday <= day < monday + timedelta(weeks=1):
        raise InvalidInput("day", "not_in_week", given=day.isoformat(), monday=monday.isoformat())
    start, end = shift["start_h"], shift["end_h"]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)) or not 0 <= start < end <= 24:
        raise InvalidInput("end_h", "shift_hours")


def edit(
    store: Store,
    coop_id: str,
    monday: date,
    change: Mapping[str, Any],
    *,
    actor: Actor,
    at: datetime,
    expected_seq: int | None = None,
) -> Event:
    """One dispatcher's edit of the week's draft (the published rota when no draft is open);
    ``expected_seq``: the rota's ``seq`` as the dispatcher saw it."""
    with _one_at_a_time(coop_id):
        limits = Limits.of(store, coop_id, monday)
        rota = limits.state.rota(monday)
        _unchanged(rota, monday, expected_seq)
        base = rota.draft if rota.draft is not None else rota.published
        if base is None:
            raise InvalidInput("week", "no_rota_yet", monday=monday.isoformat())
        shifts = _edited(base, change, limits)
        payload = {"week": monday.isoformat(), "edit": dict(change), "shifts": shifts}
        return _append_rota(store, NewEvent(coop_id, at, actor, E.ROTA_EDITED, payload), monday, rota)


def publish(
    store: Store, coop_id: str, monday: date, *, actor: Actor, at: datetime, expected_seq: int | None = None
) -> Event:
    """The draft becomes the week's rota that couriers see (``RotaPublished``)."""
    with _one_at_a_time(coop_id):
        rota = week_state(store, coop_id).rota(monday)
        _unchanged(rota, monday, expected_seq)
        if rota.draft is None:
            raise InvalidInput("week", "nothing_to_publish", monday=monday.isoformat())
        payload = {"week": monday.isoformat(), "shifts": rota.draft}
        return _append_rota(store, NewEvent(coop_id, at, actor, E.ROTA_PUBLISHED, payload), monday, rota)


def request_swap(
    store: Store,
    coop_id: str,
    courier_id: str,
    monday: date,
    shift_id: str,
    with_courier_id: str,
    *,
    note: str,
    at: datetime,
    actor: Actor,
) -> Event:
    """A courier asks to hand one of their published shifts to a colleague; a dispatcher decides.
    A shift marked absent is refused: its courier is not coming, so there is nothing to hand
    over (a dispatcher assigns a cover instead). So is a shift that has begun: its hours are
    being (or were) worked, and the time sheets would plan them for the colleague. So is a
    shift with a swap already waiting for a dispatcher: two pending requests for one shift
    would let a dispatcher confirm both, the second then handing over a shift its asker no
    longer holds. So is a swap the colleague's limits rule out now (a colleague who left the
    cooperative, one already on a shift that day, not available then, short of rest, over
    their contract): the same check and the same reason as the confirmation's, when asked,
    rather than a request a dispatcher could only refuse (outside tester's M4, L8)."""
    with _one_at_a_time(coop_id):  # two requests at once would both find no swap waiting
        state = week_state(store, coop_id)
        rota = state.rota(monday)
        shift = next((s for s in rota.published or [] if s["id"] == shift_id), None)
        if shift is None or shift["courier_id"] != courier_id:
            raise NotFound("shift", shift_id)
        _not_absent(shift)
        zone = ZoneInfo(store.cooperative(coop_id).timezone)
        begins = datetime.combine(date.fromisoformat(shift["day"]), time(int(shift["start_h"])), tzinfo=zone)
        if begins <= at:
            raise InvalidInput("shift_id", "swap_begun", day=shift["day"], start_h=int(shift["start_h"]))
        waiting = next((w for w in state.swaps.values() if w["shift_id"] == shift_id and w["state"] == "pending"), None)
        if waiting is not None:
            raise InvalidInput("shift_id", "swap_pending")
        if with_courier_id == courier_id:
            raise InvalidInput("with_courier_id", "swap_with_colleague")
        store.courier(coop_id, with_courier_id)
        asked = {"shift_id": shift_id, "with_courier_id": with_courier_id}
        # refused now as its confirmation would be (a colleague who left, one shift a day, ...)
        _swapped(rota.published or [], asked, "", Limits.of(store, coop_id, monday))
        payload = {
            "swap_id": uuid.uuid4().hex[:12],
            "week": monday.isoformat(),
            "courier_id": courier_id,
            "shift_id": shift_id,
            "with_courier_id": with_courier_id,
            "note": note,
        }
        return store.append(NewEvent(coop_id, at, actor, E.SHIFT_SWAP_REQUESTED, payload))


def _not_absent(shift: Mapping[str, Any]) -> None:
    """A swap hands over a shift its courier would work: an absent one is refused, saying why."""
    if shift.get("absent"):
        raise InvalidInput(
            "shift_id",
            "absent_not_swapped",
            absence=shift["absent"],
        )


def decide_swap(
    store: Store, coop_id: str, swap_id: str, *, confirm: bool, reason: str, actor: Actor, at: datetime
) -> Event:
    """A dispatcher confirms a swap (the colleague takes the shift, within their own limits) or
    refuses it with a reason."""
    with _one_at_a_time(coop_id):
        return _decide_swap(store, coop_id, swap_id, confirm=confirm, reason=reason, actor=actor, at=at)


def _decide_swap(
    store: Store, coop_id: str, swap_id: str, *, confirm: bool, reason: str, actor: Actor, at: datetime
) -> Event:
    state = week_state(store, coop_id)
    swap = state.swaps.get(swap_id)
    if swap is None:
        raise NotFound("swap", swap_id)
    if swap["state"] != "pending":
        raise InvalidInput("swap_id", "swap_decided", state=swap["state"])
    monday = date.fromisoformat(swap["week"])
    payload: dict[str, Any] = {"swap_id": swap_id, "week": swap["week"], "confirmed": confirm, "reason": reason}
    # whom it is about, so that each of the two couriers' sockets hears of the decision
    payload.update(courier_id=swap["courier_id"], with_courier_id=swap["with_courier_id"])
    rota = state.rota(monday)
    if confirm:
        limits = Limits.of(store, coop_id, monday)
        rota = limits.state.rota(monday)
        published = rota.published or []
        original = next((s for s in published if s["id"] == swap["shift_id"]), {})
        _not_absent(original)
        payload["shifts"] = _swapped(published, swap, reason, limits)
        if rota.draft is not None:
            payload["draft"] = _swapped_in_draft(rota.draft, original, swap, reason, limits)
    elif not reason.strip():
        raise InvalidInput("reason", "say_why_swap")
    new = NewEvent(coop_id, at, actor, E.SHIFT_SWAP_DECIDED, payload)
    return _append_rota(store, new, monday, rota, swap_id=swap_id)


def _swapped(
    shifts: list[dict[str, Any]], swap: Mapping[str, Any], reason: str, limits: Limits
) -> list[dict[str, Any]]:
    """The shifts with the swapped one moved to the colleague (within their limits), saying so."""
    change = {"action": "move", "shift_id": swap["shift_id"], "courier_id": swap["with_courier_id"]}
    out = _edited(shifts, change, limits)
    said = _swap_why(reason)
    for s in out:
        if s["id"] == swap["shift_id"]:
            s["why"] = [said.to_json()]
    return out


def _swap_why(said: str) -> Reason:
    """A swapped shift's why: with the dispatcher's own words when they gave some."""
    return reason("rota_swapped_because", why=said) if said else reason("rota_swapped")


def _swapped_in_draft(
    draft: list[dict[str, Any]],
    original: Mapping[str, Any],
    swap: Mapping[str, Any],
    reason: str,
    limits: Limits,
) -> list[dict[str, Any]]:
    """The draft open for the week with the same swap, so that publishing it later does not
    give the shift back (the draft was made before the swap; publishing replaces the rota with
    it). Only when the draft still has that shift for the same courier on the same day (a draft
    that removed or moved it has nothing to swap); a swap the colleague's shifts in the draft
    rule out is refused, naming the draft, as for covers."""
    there = next((s for s in draft if s["id"] == swap["shift_id"]), None)
    if there is None or there["courier_id"] != original.get("courier_id") or there["day"] != original.get("day"):
        return [dict(s) for s in draft]
    try:
        return _swapped(draft, swap, reason, limits)
    except InvalidInput as exc:
        inner = {"why": exc.why, "params": exc.params}
        raise InvalidInput(
            exc.field or "swap_id", "in_the_draft", monday=limits.monday.isoformat(), error=inner
        ) from None


# ------------------------------------------------------------------ time sheets, who now


def week_timesheet(store: Store, coop_id: str, monday: date, *, courier_id: str | None = None) -> list[SheetDay]:
    """The week's time sheet (``dispatch/timesheets.py``)."""
    return span_timesheet(store, coop_id, monday, monday + timedelta(days=6), courier_id=courier_id)


def parse_month(value: object) -> tuple[date, date]:
    """A calendar month named YYYY-MM: its first and last day (payroll pays by the month)."""
    try:
        if not isinstance(value, str) or len(value) != 7:
            raise ValueError
        first = date.fromisoformat(value + "-01")
        if not FIRST_YEAR <= first.year <= LAST_YEAR:
            raise ValueError
    except ValueError:
        raise InvalidInput("month", "month_by_name", first=FIRST_YEAR, last=LAST_YEAR, value=str(value)) from None
    following = (first + timedelta(days=31)).replace(day=1)
    return first, following - timedelta(days=1)


def span_timesheet(
    store: Store, coop_id: str, first: date, last: date, *, courier_id: str | None = None
) -> list[SheetDay]:
    """The time sheet of the days from ``first`` to ``last`` (a week, a month), in the
    cooperative's timezone, the published rotas' planned minutes beside the worked ones: every
    week touching the span lends its rota, and only the span's days are kept; the overtime a
    dispatcher decided for each day (``dispatch/overtime.py``) beside them."""
    zone = ZoneInfo(store.cooperative(coop_id).timezone)
    if courier_id is not None:
        store.courier(coop_id, courier_id)
    planned: dict[tuple[str, str], float] = {}
    cover: dict[tuple[str, str], float] = {}
    state, left = week_state(store, coop_id), gone(store, coop_id)
    for weeks in range(0, (last - monday_of(first)).days + 1, 7):
        for s in withdrawn(state.rota(monday_of(first) + timedelta(days=weeks)).published or [], left, zone):
            if s.get("absent") or s.get("left"):
                continue  # not planned for them any more: they cannot come, or they left
            day = date.fromisoformat(str(s["day"]))
            minutes = planned_minutes(day, int(s["start_h"]), int(s["end_h"]), zone)
            key = (str(s["courier_id"]), str(s["day"]))
            planned[key] = planned.get(key, 0.0) + minutes
            if s.get("cover_for"):
                cover[key] = cover.get(key, 0.0) + minutes
    decided = overtime.minutes_of(overtime.decided(store, coop_id, first, last, courier_id=courier_id))
    return timesheet(
        store, coop_id, first, last, zone=zone, planned=planned, cover=cover, overtime=decided, courier_id=courier_id
    )


def rolling_ledger(store: Store, coop_id: str, days: int, now: datetime) -> dict[str, Any]:
    """The fairness ledger's week view (issue 23): each courier's figures summed over the last
    ``days`` local days up to today (7 or 28), in today's rotation, the same for every member.

    Today's row counts the stretches closed so far (a shift still running counts when it pauses
    or ends, as the time sheet counts it), so the span's ``shift_minutes`` equal the time sheet's
    worked minutes over the same days."""
    if days not in ROLLING_DAYS:
        raise InvalidInput("days", "rolling_days", choices=list(ROLLING_DAYS), value=days)
    coop = store.cooperative(coop_id)
    today = now.astimezone(ZoneInfo(coop.timezone)).date()
    first = today - timedelta(days=days - 1)
    order = rotation([c.id for c in store.couriers(coop_id)], today)
    return {
        "days": days,
        "first": first.isoformat(),
        "last": today.isoformat(),
        "fairness_weight": coop.fairness_weight,
        "heavy_threshold_kg": coop.heavy_threshold_kg,
        "couriers": rolling(ledger_between(store, coop_id, first, today), order),
    }


def who_at(store: Store, coop: Cooperative, at: datetime) -> list[dict[str, Any]]:
    """Every courier available at ``at`` (with until when and for how many minutes), whether
    they are on shift now, and whether the published rota has them on at that time. A courier
    recorded absent that day (a shift of theirs marked absent) is not available, whatever their
    declared windows say (outside tester's finding 8); why is not said here. A courier who left
    (deactivated or erased) is not listed at all: available at no time, their shifts withdrawn."""
    zone = ZoneInfo(coop.timezone)
    local = at.astimezone(zone)
    statuses = store.courier_statuses(coop.id)
    left = gone(store, coop.id)
    published = withdrawn(week_state(store, coop.id).rota(monday_of(local.date())).published or [], left, zone)
    away = {s["courier_id"] for s in published if s["day"] == local.date().isoformat() and s.get("absent")}
    free = active_only(declared(store, coop.id), left)
    until = {c: end for c, end in available_at(free, at, zone).items() if c not in away}
    on_rota = {
        s["courier_id"]
        for s in published
        if s["day"] == local.date().isoformat()
        and s["start_h"] <= local.hour < s["end_h"]
        and not s.get("absent")
        and not s.get("left")
    }
    out = []
    for c in store.couriers(coop.id):
        if c.id in left:
            continue
        status = statuses.get(c.id)
        on_shift = bool(status and status.on_shift)
        if c.id not in until and not on_shift and c.id not in on_rota:
            continue
        end = until.get(c.id)
        out.append(
            {
                "courier_id": c.id,
                "name": c.display_name,
                "available": end is not None,
                "available_until": end.isoformat() if end else None,
                "minutes_left": round((end - local).total_seconds() / 60) if end else 0,
                "on_shift": on_shift,
                "on_rota": c.id in on_rota,
            }
        )
    return out


def day_name(day: date) -> str:
    return DAY_NAMES[day.weekday()]


# ------------------------------------------------------------------ absences and cover

#: Why a courier cannot come, as the dispatcher records it.
ABSENCE_REASONS = ("sick", "other")
#: Cover shifts are counted over this many days to propose who covered least lately.
COVER_LOOKBACK_DAYS = 28


def published_shift(rota: RotaState, monday: date, shift_id: str) -> dict[str, Any]:
    """A shift of the week's published rota; a draft's shift is named as such (publish first)."""
    found = next((s for s in rota.published or [] if s["id"] == shift_id), None)
    if found is not None:
        return found
    if any(s["id"] == shift_id for s in rota.draft or []):
        raise InvalidInput("shift_id", "shift_in_draft", monday=monday.isoformat())
    raise NotFound("shift", shift_id)


def covers_counted(store: Store, coop_id: str, now: datetime) -> dict[str, int]:
    """Cover shifts each courier took in the last :data:`COVER_LOOKBACK_DAYS` days, from the log."""
    since = now - timedelta(days=COVER_LOOKBACK_DAYS)
    out: dict[str, int] = {}
    for e in events_of(store, coop_id, [E.COVER_ASSIGNED], since=since, until=now + timedelta(seconds=1)):
        cid = str(e.payload["courier_id"])
        out[cid] = out.get(cid, 0) + 1
    return out


def _cover_people(store: Store, coop_id: str, monday: date, state: WeekState) -> list[Person]:
    availabilities = declared(store, coop_id)
    return [
        Person(
            id=c.id,
            name=c.display_name,
            cargo=c.vehicle.payload_kg > BIKE_PAYLOAD_KG,
            available=availabilities.get(c.id, Availability.none(c.id)).hours(monday),
            max_h=state.contract(c.id)[1],
        )
        for c in store.couriers(coop_id)
        if c.active
    ]


def _absent_on(shifts: list[dict[str, Any]], day: str) -> set[str]:
    """Who cannot come on ``day``: they are not asked to cover someone else that day."""
    return {str(s["courier_id"]) for s in shifts if s.get("absent") and s["day"] == day}


def _their_shifts(shifts: list[dict[str, Any]], monday: date) -> dict[str, list[tuple[int, int, int]]]:
    """Each courier's shifts of the week as (day, start, end), an absent one left out."""
    out: dict[str, list[tuple[int, int, int]]] = {}
    for s in shifts:
        if not s.get("absent"):
            day = (date.fromisoformat(s["day"]) - monday).days
            out.setdefault(str(s["courier_id"]), []).append((day, int(s["start_h"]), int(s["end_h"])))
    return out


def covers_for(store: Store, coop_id: str, monday: date, shift_id: str, now: datetime) -> list[Cover]:
    """Who could cover an absent courier's shift (``routing/rota.py``, ``propose_covers``)."""
    state = week_state(store, coop_id)
    rota = state.rota(monday)
    shift = published_shift(rota, monday, shift_id)
    away = _absent_on(rota.published or [], shift["day"])
    people = [p for p in _cover_people(store, coop_id, monday, state) if p.id not in away]
    rules, _ = rota_settings(store.cooperative(coop_id))
    key = ((date.fromisoformat(shift["day"]) - monday).days, int(shift["start_h"]), int(shift["end_h"]))
    mine = _their_shifts(rota.published or [], monday)
    counted = covers_counted(store, coop_id, now)
    return propose_covers(people, key, mine, counted, rules=rules, days=COVER_LOOKBACK_DAYS)


def absence_view(
    store: Store, coop_id: str, monday: date, shift_id: str, now: datetime, seq: int | None = None
) -> dict[str, Any]:
    """A shift of the published rota with who could cover it (none once it is covered) and the
    last choice of no one, as the API and the CLI answer an absence; ``seq``: the act's (default:
    the rota's)."""
    rota = week_state(store, coop_id).rota(monday)
    shift = published_shift(rota, monday, shift_id)
    covers = [] if shift.get("covered_by") else covers_for(store, coop_id, monday, shift_id, now)
    return {
        "week": monday.isoformat(),
        "shift": shift,
        "covers": [
            {"courier_id": c.person, "name": c.name, "covered": c.covered, "left_h": c.left_h, "why": c.why.to_json()}
            for c in covers
        ],
        "no_cover": rota.no_cover.get(shift_id),
        "version": rota.version,
        "seq": rota.seq if seq is None else seq,
    }


def record_absence(
    store: Store,
    coop_id: str,
    monday: date,
    shift_id: str,
    reason: str,
    *,
    note: str,
    actor: Actor,
    at: datetime,
    expected_seq: int | None = None,
) -> Event:
    """A courier of the published rota cannot come (``AbsenceRecorded``): their shift stays in
    the rota marked absent, no longer planned for them, waiting for a cover a dispatcher picks.
    A draft open for the week gets the same mark (see :func:`_absent_in_draft`), so publishing
    it later does not bring the absent courier back. ``expected_seq``: the rota's ``seq`` as the
    dispatcher saw it (a 409 if it changed since, as for edits)."""
    if reason not in ABSENCE_REASONS:
        raise InvalidInput("reason", "one_of", values=list(ABSENCE_REASONS))
    with _one_at_a_time(coop_id):
        rota = week_state(store, coop_id).rota(monday)
        _unchanged(rota, monday, expected_seq)
        shift = published_shift(rota, monday, shift_id)
        if shift.get("absent"):
            raise InvalidInput("shift_id", "absence_recorded", absence=shift["absent"])
        mark = {"absent": reason, "absent_note": note}
        shifts = [{**s, **mark} if s["id"] == shift_id else dict(s) for s in rota.published or []]
        payload: dict[str, Any] = {
            "week": monday.isoformat(),
            "shift_id": shift_id,
            "courier_id": shift["courier_id"],
            "reason": reason,
            "note": note,
            "shifts": shifts,
        }
        if rota.draft is not None:
            payload["draft"] = _absent_in_draft(rota.draft, shift, mark)
        return _append_rota(store, NewEvent(coop_id, at, actor, E.ABSENCE_RECORDED, payload), monday, rota)


def absent_today(store: Store, coop_id: str, absence: Event, *, actor: Actor, at: datetime) -> Unavailable | None:
    """The day's planning follows an absence recorded for today: a courier who is on shift
    now is stopped as a dispatcher's *must stop* stops them (``dispatch.commands.courier_unavailable``:
    proposals to them put aside, jobs not picked up back to the queue, parcels on board flagged
    for a handover, the shift ended), so the next round proposes nothing to them.

    Why only then: the planner proposes only to couriers on shift, so a courier who has not
    started gets no proposal anyway (and a courier who starts later after all decided to work,
    which is theirs to decide); one who is riding when "cannot come today" is recorded would
    otherwise keep their jobs and proposals until a dispatcher thought of stopping them too.
    An absence for another day changes nothing today. None: nothing was stopped."""
    p = absence.payload
    shift = next((s for s in p["shifts"] if s["id"] == p["shift_id"]), None)
    courier_id = str(p["courier_id"])
    today = at.astimezone(ZoneInfo(store.cooperative(coop_id).timezone)).date().isoformat()
    status = store.courier_statuses(coop_id).get(courier_id)
    if shift is None or shift["day"] != today or status is None or not status.on_shift:
        return None
    try:  # a code, not the absence's category (``sick`` is health data): the job events say no more
        return courier_unavailable(
            store, coop_id, courier_id, dispatcher_id=actor.id or actor.kind.value, at=at,
            reason=reason("absent_today"),
        )  # fmt: skip
    except NothingToChange:
        return None


def _absent_in_draft(
    draft: list[dict[str, Any]], shift: Mapping[str, Any], mark: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The open draft with the absence marked on the same shift, when the draft still has that
    courier on it that day (a draft that removed the shift, or moved it to someone else or
    another day, has nothing to mark: that courier is not rostered there any more)."""
    return [
        {**s, **mark}
        if s["id"] == shift["id"] and s["courier_id"] == shift["courier_id"] and s["day"] == shift["day"]
        else dict(s)
        for s in draft
    ]


def assign_cover(
    store: Store,
    coop_id: str,
    monday: date,
    shift_id: str,
    courier_id: str,
    *,
    actor: Actor,
    at: datetime,
    expected_seq: int | None = None,
) -> Event:
    """The dispatcher's pick (``CoverAssigned``): a new shift, the same hours, for the colleague
    who covers, within their own limits; the time sheet counts it as a cover shift. A draft open
    for the week gets the cover shift too (checked against the colleague's shifts in the draft:
    one they cannot take there is refused, naming the draft), so publishing it does not drop
    the cover. ``expected_seq``: the rota's ``seq`` as the dispatcher saw it."""
    with _one_at_a_time(coop_id):
        state = week_state(store, coop_id)
        rota = state.rota(monday)
        _unchanged(rota, monday, expected_seq)
        shift = published_shift(rota, monday, shift_id)
        if not shift.get("absent"):
            raise InvalidInput("shift_id", "no_absence_yet")
        if shift.get("covered_by"):
            raise InvalidInput("shift_id", "covered_already")
        store.courier(coop_id, courier_id)  # NotFound for a courier of another cooperative
        if courier_id == shift["courier_id"]:
            raise InvalidInput("courier_id", "the_one_absent", courier=courier_id)
        if courier_id in _absent_on(rota.published or [], shift["day"]):
            raise InvalidInput("courier_id", "absent_too", courier=courier_id)
        person = next((p for p in _cover_people(store, coop_id, monday, state) if p.id == courier_id), None)
        if person is None:
            raise _no_longer_works(courier_id, gone(store, coop_id))
        _may_cover(store, coop_id, monday, rota, shift, person)
        covering = reason("rota_covers_for", courier=str(shift["courier_id"]), absence=shift["absent"])
        cover = {
            "id": uuid.uuid4().hex[:12],
            "courier_id": courier_id,
            "day": shift["day"],
            "start_h": shift["start_h"],
            "end_h": shift["end_h"],
            "why": [covering.to_json()],
            "cover_for": shift_id,
        }
        payload: dict[str, Any] = {
            "week": monday.isoformat(),
            "shift_id": shift_id,
            "courier_id": courier_id,
            "shifts": _covered(rota.published or [], shift_id, cover),
        }
        if rota.draft is not None:
            payload["draft"] = _covered(rota.draft, shift_id, cover)
        return _append_rota(store, NewEvent(coop_id, at, actor, E.COVER_ASSIGNED, payload), monday, rota)


def no_cover(
    store: Store,
    coop_id: str,
    monday: date,
    shift_id: str,
    *,
    note: str,
    actor: Actor,
    at: datetime,
    now: datetime,
) -> Event:
    """The dispatcher's choice of no one, for now (``NoCoverPicked``): logged with whom the
    rota offered then, so that a shift left uncovered is a decision someone made and can be
    read back ("nobody covered Lou's Tuesday: the desk chose no one of Sam and Ana"), not a
    silence. The rota is unchanged; a cover may still be picked later."""
    with _one_at_a_time(coop_id):
        rota = week_state(store, coop_id).rota(monday)
        shift = published_shift(rota, monday, shift_id)
        if not shift.get("absent"):
            raise InvalidInput("shift_id", "no_absence_yet")
        if shift.get("covered_by"):
            raise InvalidInput("shift_id", "covered_already")
        offered = [c.person for c in covers_for(store, coop_id, monday, shift_id, now)]
        payload = {
            "week": monday.isoformat(),
            "shift_id": shift_id,
            "courier_id": shift["courier_id"],
            "offered": offered,
            "note": note,
        }
        return store.append(NewEvent(coop_id, at, actor, E.NO_COVER_PICKED, payload))


def _may_cover(
    store: Store, coop_id: str, monday: date, rota: RotaState, shift: Mapping[str, Any], person: Person
) -> None:
    """The colleague may take the absent shift's hours under the rota's rules, on the published
    rota and on a draft open for the week (refused with the rule they would break)."""
    rules, _ = rota_settings(store.cooperative(coop_id))
    key = ((date.fromisoformat(shift["day"]) - monday).days, int(shift["start_h"]), int(shift["end_h"]))
    why = why_not_cover(person, key, _their_shifts(rota.published or [], monday).get(person.id, []), rules)
    if why is not None:
        raise InvalidInput("courier_id", "cannot_cover", courier=person.id, detail=why.to_json())
    if rota.draft is not None:
        why = why_not_cover(person, key, _their_shifts(rota.draft, monday).get(person.id, []), rules)
        if why is not None:
            raise InvalidInput(
                "courier_id", "cannot_cover_draft", courier=person.id, monday=monday.isoformat(), detail=why.to_json()
            )


def _covered(shifts: list[dict[str, Any]], shift_id: str, cover: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The shifts with ``cover`` added and the absent shift it covers (if there, and absent
    there) marked as covered by its courier."""
    marked = [
        {**s, "covered_by": cover["courier_id"]} if s["id"] == shift_id and s.get("absent") else dict(s) for s in shifts
    ]
    return sorted([*marked, dict(cover)], key=lambda s: (s["day"], s["start_h"], s["courier_id"]))
