"""A week replayed under a rota policy (issue 23): availability and contracts in, the rota's
shifts as the days' fleets, the week's fairness out.

A day replay (``dispatch/replay.py``) takes its fleet as given; a cooperative's week is decided
earlier, when a rota is proposed from who is available and what demand is expected. A
:class:`ReplayWeek` holds the team (each person's weekly availability and contract) and seven
days of requests; :func:`replay_week` proposes the rota with ``routing/rota.py`` under a
:class:`RotaPolicy` (the fairness term on or off, the solver's time), turns each day's shifts into
that day's fleet, replays the days through the real intake, commands and planner, and adds up
per person the hours rostered and ridden against their contract: the week's fairness an analyst
compares between policies. The spread is the rota's own (``max/min`` of rostered hours over the
contracted minimum, as ``benchmarks/bench_rota.py`` measures it): a property of the rota, never a
figure of a person's merit.

The demand the rota covers is, by default, read from the week's own requests (couriers wanted
per hour at :data:`dispatch.forecast.DEFAULT_JOBS_PER_HOUR` jobs an hour, cargo bikes for parcels
a bike cannot take): the analyst replays the week as if the forecast had been right, so that what
the policies change is who works, not how much work there is. In the cooperative's real life the
rota is proposed from the weeks before, then the week happens: a week file may hold those earlier
weeks (``history``), and with ``demand="forecast"`` the rota covers what
:func:`dispatch.forecast.forecast` expects from them, read as the log would hold them
(``JobRequested`` events), the same code that forecasts the live week. The summary then says how
the rota covered the week's *actual* requests: what a forecast miss costs.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.availability import DAYS
from dispatch.days import FLEET_PATTERN, NAMES, Day, FleetMember, day_from_json, day_json, generate_day
from dispatch.errors import InvalidInput
from dispatch.events import Actor, ActorKind, Event, EventType
from dispatch.forecast import BIKE_PAYLOAD_KG, DEFAULT_JOBS_PER_HOUR, Forecast, forecast
from dispatch.model import Vehicle, VehicleKind
from dispatch.replay import ReplayResult, replay
from dispatch.simulation import Policy
from dispatch.week import rota_demand
from routing.network import BikeNetwork
from routing.rota import Demand, Person, Rota, Rules, Week, propose_rota

#: The hours a generated week's shifts may cover, and its days' requests come in (local time).
FIRST_H, LAST_H = 8, 20
#: A generated person's availability: one of these windows on four to six days of the week.
WINDOWS = ((8, 16), (11, 19), (9, 19), (8, 20), (12, 20))
#: A generated person's contracted minimum hours a week; their maximum is this plus 10.
CONTRACTS = (10, 15, 20, 25)
#: Weekend days get this share of a weekday's requests.
WEEKEND_SHARE = 0.6
#: What the rota covers: the week's own requests, or the forecast from the weeks before it.
DEMANDS = ("requests", "forecast")
#: At most this many earlier weeks in a week file (the live forecast looks back four).
MAX_HISTORY_WEEKS = 12


@dataclass(frozen=True)
class TeamMember:
    """A person of the week: when they can work, their contract, their vehicle."""

    id: str
    name: str
    vehicle: VehicleKind
    weekly: tuple[tuple[int, int, int], ...]  #: (weekday 0 = Monday, start hour, end hour)
    min_h: int = 0
    max_h: int = 40

    def person(self, week: Week) -> Person:
        hours = frozenset((d, h) for d, a, b in self.weekly for h in range(a, b) if h in week.hours)
        cargo = Vehicle.of_kind(self.vehicle).payload_kg > BIKE_PAYLOAD_KG
        return Person(self.id, self.name, cargo, hours, min_h=self.min_h, max_h=self.max_h)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "vehicle": self.vehicle.value,
            "weekly": [{"weekday": d, "start_h": a, "end_h": b} for d, a, b in self.weekly],
            "contract": {"min_h": self.min_h, "max_h": self.max_h},
        }


@dataclass(frozen=True)
class PastWeek:
    """A week before the replayed one: its Monday and seven days of requests, what the forecast
    learns from (its days' fleets are never used)."""

    monday: date
    days: tuple[Day, ...]


@dataclass(frozen=True)
class ReplayWeek:
    """Seven days of requests (each a replayable day, its own fleet aside) and the team; the
    weeks before it (``history``, latest first), when the rota is to be proposed from them."""

    name: str
    monday: date
    team: tuple[TeamMember, ...]
    days: tuple[Day, ...]
    first_h: int = FIRST_H
    last_h: int = LAST_H
    history: tuple[PastWeek, ...] = ()

    @property
    def timezone(self) -> str:
        return self.days[0].timezone

    @property
    def span(self) -> Week:
        return Week(first_h=self.first_h, last_h=self.last_h, days=len(self.days))


@dataclass(frozen=True)
class RotaPolicy:
    """How the week's rota is proposed: with or without the fairness term, in how long, and
    from which demand (:data:`DEMANDS`: the week's own requests, or the history's forecast)."""

    fairness: bool = True
    time_limit_s: float = 5.0
    demand: str = "requests"

    def __post_init__(self) -> None:
        if self.demand not in DEMANDS:
            raise InvalidInput("demand", "one_of", values=list(DEMANDS))

    def label(self) -> str:
        fairness = f"rota fairness {'on' if self.fairness else 'off'}"
        return fairness if self.demand == "requests" else f"{fairness}, {self.demand} demand"


@dataclass
class WeekResult:
    name: str
    rota_policy: str
    policy: str
    summary: dict[str, Any]
    people: list[dict[str, Any]]  #: per person, in the team's order: hours against their contract
    shifts: list[dict[str, Any]]  #: the rota: who, which day, from, to
    days: list[ReplayResult] = field(default_factory=list)  #: each simulated day (when simulated)


# ------------------------------------------------------------------ the demand and the rota


def demand_of(week: ReplayWeek, pace: float = DEFAULT_JOBS_PER_HOUR) -> Demand:
    """Couriers wanted per (day, hour): the requests whose pickup opens that hour, at ``pace``
    jobs per courier-hour (the forecast's default unless told); cargo bikes for the parcels a
    bike cannot carry."""
    zone = ZoneInfo(week.timezone)
    jobs: dict[tuple[int, int], int] = {}
    heavy: dict[tuple[int, int], int] = {}
    for day in week.days:
        for r in day.requests:
            local = r.request.pickup_window.start.astimezone(zone)
            key = ((local.date() - week.monday).days, local.hour)
            if not (0 <= key[0] < len(week.days) and key[1] in week.span.hours):
                continue
            jobs[key] = jobs.get(key, 0) + 1
            if max(p.weight_kg for p in r.request.parcels) > BIKE_PAYLOAD_KG:
                heavy[key] = heavy.get(key, 0) + 1
    return Demand(
        couriers={k: math.ceil(n / pace) for k, n in jobs.items()},
        cargo={k: math.ceil(n / pace) for k, n in heavy.items()},
    )


def history_events(week: ReplayWeek) -> list[Event]:
    """The history's requests as the log holds them: a ``JobRequested`` at each request's time
    with the body a client sends; where a day says what happened, the courier's acknowledgement
    and the delivery too, from which the forecast learns the cooperative's pace."""
    made: list[tuple[datetime, EventType, dict[str, Any]]] = []
    for k, past in enumerate(week.history):
        for i, day in enumerate(past.days):
            for r in day.requests:
                job = f"h{k + 1}-{i}-{r.id}"
                made.append((r.request_time, EventType.JOB_REQUESTED, _requested(job, r.request.to_json())))
                done, began = r.happened.delivered_at, r.happened.acknowledged_at
                if done is not None and began is not None and began <= done:
                    made.append((began, EventType.COURIER_ACKNOWLEDGED, {"job_id": job}))
                    made.append((done, EventType.DELIVERED, {"job_id": job}))
    made.sort(key=lambda e: e[0])
    actor = Actor(ActorKind.CLIENT, "history")
    return [
        Event(n + 1, f"e{n + 1}", "history", at, actor, kind, payload) for n, (at, kind, payload) in enumerate(made)
    ]


def _requested(job: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"job_id": job, "client_id": "history", "request": body}


def forecast_of(week: ReplayWeek) -> Forecast:
    """What :func:`dispatch.forecast.forecast` expects of the week from its history, as the live
    week's forecast is made: over the ``len(history)`` weeks before the week's Monday."""
    if not week.history:
        raise InvalidInput("history", "must_not_be_empty")
    zone = ZoneInfo(week.timezone)
    until = datetime.combine(week.monday, time(0), tzinfo=zone)
    return forecast(history_events(week), timezone=zone, until=until, weeks=len(week.history))


def forecast_demand(week: ReplayWeek, expected: Forecast | None = None) -> Demand:
    """The forecast (``expected``, or made from the history) as the rota's demand, as the live
    week's proposal turns it (:func:`dispatch.week.rota_demand`)."""
    return rota_demand(expected or forecast_of(week), week.span)


def rota_of(
    week: ReplayWeek, policy: RotaPolicy, *, seed: int = 1, expected: Forecast | None = None
) -> tuple[Rota, Demand]:
    """The rota under ``policy`` and the demand it was proposed for (``expected``: the forecast,
    when the caller has made it already)."""
    people = [m.person(week.span) for m in week.team]
    demand = forecast_demand(week, expected) if policy.demand == "forecast" else demand_of(week)
    rules = Rules(time_limit_s=policy.time_limit_s, seed=seed)
    return propose_rota(people, demand, week=week.span, rules=rules, fairness=policy.fairness), demand


def day_with_shifts(week: ReplayWeek, index: int, rota: Rota) -> Day:
    """The week's ``index``-th day with the rota's shifts of that day as its fleet: the
    simulation starts and ends each shift when the rota says, as a courier pressing Start would."""
    zone = ZoneInfo(week.timezone)
    day = week.monday + timedelta(days=index)
    members = {m.id: m for m in week.team}
    fleet = tuple(
        FleetMember(
            s.person,
            members[s.person].name,
            members[s.person].vehicle,
            datetime.combine(day, time(s.start_h), tzinfo=zone),
            datetime.combine(day, time(s.end_h), tzinfo=zone),
        )
        for s in sorted(rota.shifts, key=lambda s: (s.start_h, s.person))
        if s.day == index
    )
    return replace(week.days[index], name=f"{week.name} {DAYS[index]}", couriers=fleet)


# ------------------------------------------------------------------ the replay and its figures


def replay_week(
    week: ReplayWeek,
    rota_policy: RotaPolicy,
    policy: Policy,
    network: BikeNetwork,
    *,
    seed: int = 1,
    simulate: bool = True,
) -> WeekResult:
    """The rota proposed under ``rota_policy``, then (``simulate``) each day replayed under
    ``policy`` with the rota's shifts as its fleet; the week's hours per person against contract."""
    expected = forecast_of(week) if rota_policy.demand == "forecast" else None  # made once
    rota, demand = rota_of(week, rota_policy, seed=seed, expected=expected)
    ridden: dict[str, dict[str, float]] = {}
    days: list[ReplayResult] = []
    for index in range(len(week.days)) if simulate else ():
        day = day_with_shifts(week, index, rota)
        if not day.couriers:
            continue  # nobody rostered: the day's requests wait for no one (the gaps say so)
        result = replay(day, policy, network, seed=seed)
        days.append(result)
        by_name = {m.name: m.id for m in week.team}
        for row in result.couriers:
            cid = by_name.get(row["courier"])
            if cid is not None:
                mine = ridden.setdefault(cid, {"shift_min": 0.0, "worked_min": 0.0})
                mine["shift_min"] += row["shift_min"]
                mine["worked_min"] += row["worked_min"]
    people = _people(week, rota, ridden if simulate else None)
    return WeekResult(
        name=week.name,
        rota_policy=rota_policy.label(),
        policy=policy.label() if simulate else "rota only",
        summary={
            "demand": rota_policy.demand,
            **_summary(rota, demand, people, days),
            **actual_cover(week, rota, expected.jobs_per_courier_hour if expected else DEFAULT_JOBS_PER_HOUR),
        },
        people=people,
        shifts=[
            {
                "courier_id": s.person,
                "day": DAYS[s.day],
                "start_h": s.start_h,
                "end_h": s.end_h,
                "why": [r.to_json() for r in s.why],
            }
            for s in rota.shifts
        ],
        days=days,
    )


def _people(week: ReplayWeek, rota: Rota, ridden: dict[str, dict[str, float]] | None) -> list[dict[str, Any]]:
    """Each person's week against their own contract, in the team's order (never by a figure)."""
    unsocial: dict[str, int] = {}
    for s in rota.shifts:
        if s.day >= 5 or s.end_h > Rules().late_from_h:
            unsocial[s.person] = unsocial.get(s.person, 0) + 1
    rows = []
    for m in week.team:
        hours = rota.hours.get(m.id, 0)
        row: dict[str, Any] = {
            "courier": m.name,
            "vehicle": m.vehicle.value,
            "contract_min_h": m.min_h,
            "contract_max_h": m.max_h,
            "available_h": len(m.person(week.span).available),
            "rostered_h": hours,
            "share_of_contract": round(hours / m.min_h, 3) if m.min_h else None,
            "late_or_weekend_shifts": unsocial.get(m.id, 0),
        }
        if ridden is not None:
            mine = ridden.get(m.id, {"shift_min": 0.0, "worked_min": 0.0})
            row["shift_h"] = round(mine["shift_min"] / 60, 2)
            row["worked_h"] = round(mine["worked_min"] / 60, 2)
        rows.append(row)
    return rows


def spread(shares: list[float]) -> float | None:
    """The largest share of contract over the smallest, among those rostered at all."""
    given = [s for s in shares if s > 0]
    return round(max(given) / min(given), 3) if given else None


def actual_cover(week: ReplayWeek, rota: Rota, pace: float = DEFAULT_JOBS_PER_HOUR) -> dict[str, Any]:
    """How the rota covered the week's actual requests (:func:`demand_of`), whatever demand it
    was proposed for: the couriers short (courier-hours) and the hours with someone short. The
    actual requests are turned into couriers at the pace the rota's demand was (the forecast's
    own, seen in the history), so that a perfect forecast leaves no gap: what is left is the
    forecast's miss, not a difference of pace."""
    on: dict[tuple[int, int], int] = {}
    for s in rota.shifts:
        for h in range(s.start_h, s.end_h):
            on[(s.day, h)] = on.get((s.day, h), 0) + 1
    wanted = demand_of(week, pace).couriers
    short = {k: w - on.get(k, 0) for k, w in wanted.items() if w > on.get(k, 0)}
    total = sum(wanted.values())
    return {
        "actual_coverage": round(1 - sum(short.values()) / total, 4) if total else 1.0,
        "actual_gap_hours": sum(short.values()),
        "actual_hours_short": len(short),
    }


def _summary(rota: Rota, demand: Demand, people: list[dict[str, Any]], days: list[ReplayResult]) -> dict[str, Any]:
    wanted = sum(demand.couriers.values())
    summary: dict[str, Any] = {
        "coverage": round(1 - sum(rota.gaps.values()) / wanted, 4) if wanted else 1.0,
        "gap_hours": sum(rota.gaps.values()),
        "rostered_h": sum(rota.hours.values()),
        "spread_of_contract_shares": spread([p["share_of_contract"] or 0.0 for p in people]),
        "below_contract": sum(1 for p in people if p["rostered_h"] < p["contract_min_h"]),
        "balanced": rota.balanced,
    }
    if days:
        shares = [p["shift_h"] / p["contract_min_h"] for p in people if p["contract_min_h"]]
        summary["spread_of_ridden_shares"] = spread(shares)
        for key in ("requests", "delivered"):
            summary[key] = int(sum(d.summary.get(key, 0) for d in days))
    return summary


# ------------------------------------------------------------------ generating and reading weeks


def generate_week(
    points: list[tuple[float, float]],
    *,
    monday: date,
    couriers: int = 8,
    requests: int = 40,
    seed: int = 1,
    timezone: str | None = None,
    area_km: float | None = 1.5,
    history_weeks: int = 0,
) -> ReplayWeek:
    """A plausible week: ``requests`` a weekday (fewer at weekends) from :func:`generate_day`,
    and a team of ``couriers`` with seeded availability (four to six days, one window) and
    contracts (a minimum of 10 to 25 h, a maximum 10 h above), one vehicle in three a cargo bike
    or an e-cargo bike (the day generator's pattern); ``history_weeks`` weeks before it made the
    same way with other seeds, for a rota proposed from their forecast."""
    if monday.weekday() != 0:
        raise InvalidInput("monday", f"{monday} is a {DAYS[monday.weekday()]}: a week starts on a Monday")
    if not 1 <= couriers <= len(NAMES):
        raise InvalidInput("couriers", f"from 1 to {len(NAMES)} people")
    if not 0 <= history_weeks <= MAX_HISTORY_WEEKS:
        over = history_weeks > MAX_HISTORY_WEEKS
        raise InvalidInput(
            "history_weeks", "value_at_most" if over else "value_at_least", limit=MAX_HISTORY_WEEKS if over else 0
        )
    made: dict[str, Any] = {"requests": requests, "timezone": timezone, "area_km": area_km}
    days = _generated_days(points, monday, seeds=[seed * 10 + i for i in range(7)], **made)
    history = tuple(
        PastWeek(
            monday - timedelta(weeks=k),
            _generated_days(
                points, monday - timedelta(weeks=k), seeds=[(seed * 1000 + k) * 10 + i for i in range(7)], **made
            ),
        )
        for k in range(1, history_weeks + 1)
    )
    rng = random.Random(f"{seed}:team")
    team = []
    for i in range(couriers):
        first, last = rng.choice(WINDOWS)
        weekly = tuple((d, first, last) for d in sorted(rng.sample(range(7), rng.randint(4, 6))))
        low = rng.choice(CONTRACTS)
        team.append(TeamMember(f"p{i + 1:02d}", NAMES[i], FLEET_PATTERN[i % len(FLEET_PATTERN)], weekly, low, low + 10))
    return ReplayWeek(f"week of {monday}", monday, tuple(team), days, history=history)


def _generated_days(
    points: list[tuple[float, float]], monday: date, *, seeds: list[int], requests: int, **options: Any
) -> tuple[Day, ...]:
    """Seven days of :func:`generate_day` from ``monday``, one seed each: ``requests`` a weekday,
    a share of them at weekends; the same weekly pattern whichever the week, its draws its own."""
    days = []
    for index, seed in enumerate(seeds):
        wanted = requests if index < 5 else max(1, round(WEEKEND_SHARE * requests))
        start = datetime.combine(monday + timedelta(days=index), time(FIRST_H + 1))
        day = generate_day(
            points, start=start, hours=LAST_H - FIRST_H - 2, requests=wanted, couriers=1, seed=seed, **options
        )
        days.append(replace(day, name=DAYS[index]))
    return tuple(days)


def week_json(week: ReplayWeek) -> dict[str, Any]:
    """A week as a file holds it: the team, then each day as a day file would (its own fleet
    kept, so that each day still replays alone with ``tandem replay``)."""
    return {
        "week": week.monday.isoformat(),
        "first_h": week.first_h,
        "last_h": week.last_h,
        "team": [m.to_json() for m in week.team],
        "days": [day_json(d) for d in week.days],
        **(
            {"history": [{"week": p.monday.isoformat(), "days": [day_json(d) for d in p.days]} for p in week.history]}
            if week.history
            else {}
        ),
    }


def week_from_json(data: Any, name: str = "week") -> ReplayWeek:
    """A week from its JSON form, each field checked (a bad one is named)."""
    if not isinstance(data, dict):
        raise InvalidInput("week", "a week is a JSON object with a team and seven days")
    try:
        monday = date.fromisoformat(str(data.get("week")))
    except ValueError:
        raise InvalidInput("week", "the week's Monday, YYYY-MM-DD") from None
    first_h, last_h = data.get("first_h", FIRST_H), data.get("last_h", LAST_H)
    if not (isinstance(first_h, int) and isinstance(last_h, int) and 0 <= first_h < last_h <= 24):
        raise InvalidInput("first_h", "whole hours, 0 <= first_h < last_h <= 24")
    given = data.get("days")
    if not isinstance(given, list) or len(given) != 7:
        raise InvalidInput("days", "seven days, Monday first")
    days = tuple(day_from_json(d, name=DAYS[i]) for i, d in enumerate(given))
    team = data.get("team")
    if not isinstance(team, list) or not team:
        raise InvalidInput("team", "a non-empty list of people")
    members = tuple(_member(m, f"team[{i}]") for i, m in enumerate(team))
    if len({m.id for m in members}) != len(members) or len({m.name for m in members}) != len(members):
        raise InvalidInput("team", "each person's id and name appear once")
    history = _history(data.get("history", []), monday)
    return ReplayWeek(name, monday, members, days, first_h, last_h, history)


def _history(given: Any, monday: date) -> tuple[PastWeek, ...]:
    """The weeks before ``monday`` (absent in older files: none), latest first, each the one
    before the last, so that the forecast looks back on exactly them."""
    if not isinstance(given, list):
        raise InvalidInput("history", "must_be_list")
    if len(given) > MAX_HISTORY_WEEKS:
        raise InvalidInput("history", "too_many_items", limit=MAX_HISTORY_WEEKS)
    weeks = []
    for k, past in enumerate(given):
        where, expected = f"history[{k}]", monday - timedelta(weeks=k + 1)
        if not isinstance(past, dict):
            raise InvalidInput(where, "must_be_object")
        try:
            start = date.fromisoformat(str(past.get("week")))
        except ValueError:
            raise InvalidInput(f"{where}.week", "must_be_date") from None
        if start != expected:
            raise InvalidInput(f"{where}.week", "one_of", values=[expected.isoformat()])
        weeks.append(PastWeek(start, _past_days(past.get("days"), f"{where}.days")))
    return tuple(weeks)


def _past_days(given: Any, where: str) -> tuple[Day, ...]:
    """A past week's seven days, a bad field named with the day it is in."""
    if not isinstance(given, list):
        raise InvalidInput(where, "must_be_list")
    if len(given) != 7:
        raise InvalidInput(where, "too_few_items" if len(given) < 7 else "too_many_items", limit=7)
    days = []
    for i, d in enumerate(given):
        try:
            days.append(day_from_json(d, name=DAYS[i]))
        except InvalidInput as exc:
            raise InvalidInput(f"{where}[{i}].{exc.field}", exc.why, **exc.params) from None
    return tuple(days)


def _member(data: Any, where: str) -> TeamMember:
    if not isinstance(data, dict):
        raise InvalidInput(where, "a person: id, name, vehicle, weekly, contract")
    try:
        vehicle = VehicleKind(str(data.get("vehicle")))
        contract = data.get("contract") or {}
        low, high = int(contract.get("min_h", 0)), int(contract.get("max_h", 40))
        weekly = tuple((int(w["weekday"]), int(w["start_h"]), int(w["end_h"])) for w in data.get("weekly") or [])
    except (ValueError, TypeError, KeyError, AttributeError):
        raise InvalidInput(where, "vehicle, weekly [{weekday, start_h, end_h}] and contract {min_h, max_h}") from None
    if not 0 <= low <= high <= 60:
        raise InvalidInput(f"{where}.contract", "0 <= min_h <= max_h <= 60")
    if not data.get("id") or not data.get("name"):
        raise InvalidInput(where, "a person has an id and a name")
    if any(not (0 <= d <= 6 and 0 <= a < b <= 24) for d, a, b in weekly):
        raise InvalidInput(f"{where}.weekly", "weekday 0-6, 0 <= start_h < end_h <= 24")
    return TeamMember(str(data.get("id") or ""), str(data.get("name") or ""), vehicle, weekly, low, high)
