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

The demand the rota covers is read from the week's own requests (couriers wanted per hour at
:data:`dispatch.forecast.DEFAULT_JOBS_PER_HOUR` jobs an hour, cargo bikes for parcels a bike
cannot take): the analyst replays the week as if the forecast had been right, so that what the
policies change is who works, not how much work there is.
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
from dispatch.forecast import BIKE_PAYLOAD_KG, DEFAULT_JOBS_PER_HOUR
from dispatch.model import Vehicle, VehicleKind
from dispatch.replay import ReplayResult, replay
from dispatch.simulation import Policy
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
class ReplayWeek:
    """Seven days of requests (each a replayable day, its own fleet aside) and the team."""

    name: str
    monday: date
    team: tuple[TeamMember, ...]
    days: tuple[Day, ...]
    first_h: int = FIRST_H
    last_h: int = LAST_H

    @property
    def timezone(self) -> str:
        return self.days[0].timezone

    @property
    def span(self) -> Week:
        return Week(first_h=self.first_h, last_h=self.last_h, days=len(self.days))


@dataclass(frozen=True)
class RotaPolicy:
    """How the week's rota is proposed: with or without the fairness term, and in how long."""

    fairness: bool = True
    time_limit_s: float = 5.0

    def label(self) -> str:
        return f"rota fairness {'on' if self.fairness else 'off'}"


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


def demand_of(week: ReplayWeek) -> Demand:
    """Couriers wanted per (day, hour): the requests whose pickup opens that hour, at the
    forecast's default pace; cargo bikes for the parcels a bike cannot carry."""
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
    per = DEFAULT_JOBS_PER_HOUR
    return Demand(
        couriers={k: math.ceil(n / per) for k, n in jobs.items()},
        cargo={k: math.ceil(n / per) for k, n in heavy.items()},
    )


def rota_of(week: ReplayWeek, policy: RotaPolicy, *, seed: int = 1) -> tuple[Rota, Demand]:
    people = [m.person(week.span) for m in week.team]
    demand = demand_of(week)
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
    rota, demand = rota_of(week, rota_policy, seed=seed)
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
        summary=_summary(rota, demand, people, days),
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
) -> ReplayWeek:
    """A plausible week: ``requests`` a weekday (fewer at weekends) from :func:`generate_day`,
    and a team of ``couriers`` with seeded availability (four to six days, one window) and
    contracts (a minimum of 10 to 25 h, a maximum 10 h above), one vehicle in three a cargo bike
    or an e-cargo bike (the day generator's pattern)."""
    if monday.weekday() != 0:
        raise InvalidInput("monday", f"{monday} is a {DAYS[monday.weekday()]}: a week starts on a Monday")
    if not 1 <= couriers <= len(NAMES):
        raise InvalidInput("couriers", f"from 1 to {len(NAMES)} people")
    days = []
    for index in range(7):
        wanted = requests if index < 5 else max(1, round(WEEKEND_SHARE * requests))
        start = datetime.combine(monday + timedelta(days=index), time(FIRST_H + 1))
        day = generate_day(
            points,
            start=start,
            hours=LAST_H - FIRST_H - 2,
            requests=wanted,
            couriers=1,
            seed=seed * 10 + index,
            timezone=timezone,
            area_km=area_km,
        )
        days.append(replace(day, name=DAYS[index]))
    rng = random.Random(f"{seed}:team")
    team = []
    for i in range(couriers):
        first, last = rng.choice(WINDOWS)
        weekly = tuple((d, first, last) for d in sorted(rng.sample(range(7), rng.randint(4, 6))))
        low = rng.choice(CONTRACTS)
        team.append(TeamMember(f"p{i + 1:02d}", NAMES[i], FLEET_PATTERN[i % len(FLEET_PATTERN)], weekly, low, low + 10))
    return ReplayWeek(f"week of {monday}", monday, tuple(team), tuple(days))


def week_json(week: ReplayWeek) -> dict[str, Any]:
    """A week as a file holds it: the team, then each day as a day file would (its own fleet
    kept, so that each day still replays alone with ``tandem replay``)."""
    return {
        "week": week.monday.isoformat(),
        "first_h": week.first_h,
        "last_h": week.last_h,
        "team": [m.to_json() for m in week.team],
        "days": [day_json(d) for d in week.days],
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
    return ReplayWeek(name, monday, members, days, first_h, last_h)


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
