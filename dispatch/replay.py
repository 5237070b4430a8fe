"""Replaying a day: the same planner under a policy, and the figures analysts compare.

A replay runs a :class:`dispatch.days.Day` through :mod:`dispatch.simulation` in a fresh store
(a temporary SQLite file unless one is given) and measures the result from that store's log:
punctuality, riding, the spread of work (never a figure of one person's merit: the spread is a
property of the plan), heavy loads, and how often people took the planner's proposals.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.days import Day, DayRequest, FleetMember, Happened
from dispatch.events import ActorKind, EventType
from dispatch.lifecycle import JobState
from dispatch.model import JobRequest, Vehicle, VehicleKind
from dispatch.projections import JobView
from dispatch.shifts import ShiftBreak
from dispatch.simulation import Policy, SimulationRecord, run_day
from dispatch.store import Store
from routing.fairness import gini, max_min_ratio
from routing.network import BikeNetwork

E = EventType


@dataclass
class ReplayResult:
    day: str
    policy: str
    seed: int
    summary: dict[str, float]
    couriers: list[dict[str, Any]]  #: per courier: worked vs shift, heavy kg (work, not merit)
    lateness_minutes: list[float]
    jobs: list[dict[str, Any]] = field(default_factory=list)  #: per job: courier, pickup, delivery (Gantt)
    legs: list[dict[str, Any]] = field(default_factory=list)  #: per ridden leg (map)
    #: What the replay cost the machine (wall and CPU seconds, the planner's share): kept out of
    #: ``summary`` so that the same seed gives the same summary on any machine.
    timing: dict[str, float] = field(default_factory=dict)


#: A courier who ended the day below this share of their shift was available for more work:
#: minutes worked past a shift's end while such a courier could have carried the job were avoidable.
AVAILABLE_BELOW_SHARE = 0.6
Interval = tuple[datetime, datetime]


def replay(
    day: Day, policy: Policy, network: BikeNetwork, *, seed: int = 1, database_url: str | None = None
) -> ReplayResult:
    """Simulate ``day`` under ``policy``; deterministic for a seed (the planner's budget aside)."""
    with tempfile.TemporaryDirectory() as tmp:
        # A scratch database: nothing in it must survive a power cut, so no fsync per event.
        store = Store.open(database_url or f"sqlite:///{Path(tmp) / 'replay.db'}", durable=database_url is not None)
        try:
            wall, cpu = time.perf_counter(), time.process_time()
            coop, record = run_day(store, network, day, policy, seed=seed)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            result = measure(store, coop, day, policy, record, seed)
            result.timing.update(wall_s=round(wall, 2), cpu_s=round(cpu, 2))
            return result
        finally:
            store.close()


def replay_file(day_path: str, fleet: str | None, policy: Policy, city: str | None, seed: int) -> ReplayResult:
    """One replay from files: what a Dask worker runs in a sweep (everything it needs is picklable)."""
    from dispatch.days import read_day
    from routing.network import open_city

    day = read_day(Path(day_path), fleet=Path(fleet) if fleet else None)
    return replay(day, policy, open_city(city), seed=seed)


def replay_json(day: dict[str, Any], policy: Policy, city: str | None, seed: int) -> ReplayResult:
    """One replay of a day given as JSON (an analyst's upload), for a worker process."""
    from dispatch.days import day_from_json
    from routing.network import open_city

    return replay(day_from_json(day, str(day.get("name", "uploaded"))), policy, open_city(city), seed=seed)


#: Events after which a courier no longer holds a job they had acknowledged.
RELEASES = frozenset(
    {
        E.DELIVERED,
        E.DELIVERY_FAILED,
        E.COURIER_DECLINED,
        E.JOB_OVERRIDDEN,
        E.JOB_REASSIGNED,
        E.JOB_UNASSIGNED,
        E.JOB_CANCELLED,
    }
)


def _union(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for a, b in sorted(intervals):
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _overlap(first: list[Interval], second: list[Interval]) -> list[Interval]:
    return _union([(max(a, c), min(b, d)) for a, b in first for c, d in second if max(a, c) < min(b, d)])


def _minutes(intervals: list[Interval]) -> float:
    return sum((b - a).total_seconds() for a, b in _union(intervals)) / 60


def _held(events: list[Any]) -> tuple[list[tuple[str, str, Interval]], set[str]]:
    """(courier, job, period) for each time a courier held a job: acknowledged until released.

    The ledger's worked minutes are the union of these periods (pauses aside, which replays do
    not make); kept per job here so that work past a shift's end can be set against who else
    could have carried that job. Also: the couriers still holding a job when the log ends.
    """
    holding: dict[str, tuple[str, datetime]] = {}
    periods: list[tuple[str, str, Interval]] = []
    for e in events:
        if not e.job_id:
            continue
        if e.type is E.COURIER_ACKNOWLEDGED:
            holding.setdefault(e.job_id, (str(e.payload.get("courier_id", "")), e.at))
        elif e.type in RELEASES and e.job_id in holding:
            courier, since = holding.pop(e.job_id)
            periods.append((courier, e.job_id, (since, e.at)))
    last = events[-1].at if events else datetime.min
    periods.extend((courier, job, (since, last)) for job, (courier, since) in holding.items())
    return periods, {courier for courier, _ in holding.values()}


def _shifts(events: list[Any]) -> dict[str, Interval]:
    """Each courier's shift: from its start to its planned end (else its actual end)."""
    starts: dict[str, datetime] = {}
    planned: dict[str, datetime | None] = {}
    ended: dict[str, datetime] = {}
    for e in events:
        courier = str(e.payload.get("courier_id", ""))
        if e.type is E.SHIFT_STARTED and courier not in starts:
            starts[courier] = e.at
            end = e.payload.get("planned_end")
            planned[courier] = datetime.fromisoformat(str(end)) if end else None
        elif e.type is E.SHIFT_ENDED:
            ended[courier] = e.at
    last = events[-1].at if events else datetime.min
    return {c: (start, planned[c] or ended.get(c, last)) for c, start in starts.items()}


def _past_shift(
    held: list[tuple[str, str, Interval]],
    shifts: dict[str, Interval],
    able: dict[str, set[str]],
    available: set[str],
) -> dict[str, tuple[float, float]]:
    """Per courier: minutes worked past their shift's planned end, and the part of them during
    which another courier on shift who could carry the job ended the day below
    :data:`AVAILABLE_BELOW_SHARE` of their shift (work that need not have run over)."""
    over: dict[str, list[Interval]] = {}
    avoidable: dict[str, list[Interval]] = {}
    for courier, job, (since, until) in held:
        if courier not in shifts or until <= shifts[courier][1]:
            continue
        late = [(max(since, shifts[courier][1]), until)]
        over.setdefault(courier, []).extend(late)
        others = [shifts[k] for k in sorted(able.get(job, set()) & available) if k != courier and k in shifts]
        avoidable.setdefault(courier, []).extend(_overlap(late, _union(others)))
    return {c: (_minutes(over[c]), _minutes(avoidable.get(c, []))) for c in over}


@dataclass
class _Log:
    """What a replay's measures read from its log: when jobs were picked up, delivered and
    requested, and how many proposals were accepted, overridden or reassigned."""

    delivered_at: dict[str, datetime] = field(default_factory=dict)
    picked_at: dict[str, datetime] = field(default_factory=dict)
    requested_at: dict[str, datetime] = field(default_factory=dict)
    decisions: Counter[str] = field(default_factory=Counter)

    @classmethod
    def read(cls, events: list[Any]) -> _Log:
        log = cls()
        for e in events:
            job_id = e.job_id
            if e.type is E.DELIVERED and job_id:
                log.delivered_at[job_id] = e.at
            elif e.type is E.PICKED_UP and job_id:
                log.picked_at[job_id] = e.at
            elif e.type in (E.PROPOSAL_ACCEPTED, E.JOB_OVERRIDDEN, E.JOB_REASSIGNED):
                log.decisions[e.type.value] += 1
        log.requested_at = {str(e.job_id): e.at for e in events if e.type is E.JOB_REQUESTED and e.job_id}
        return log


def _lateness(log: _Log, jobs: dict[str, JobView]) -> tuple[list[float], int]:
    """Minutes each delivery came after its window closed (0: on time), and how many were on time."""
    lateness: list[float] = []
    on_time = 0
    for job_id, at in log.delivered_at.items():
        end = datetime.fromisoformat(jobs[job_id].request["dropoff_window"]["end"])
        late = max(0.0, (at - end).total_seconds() / 60)
        lateness.append(round(late, 2))
        on_time += late == 0
    return lateness, on_time


def _ledger_totals(store: Store, coop: str, events: list[Any]) -> dict[str, dict[str, float]]:
    """Each courier's ledger over every day the log touches: worked and shift minutes, heavy loads."""
    ledger: dict[str, dict[str, float]] = {}
    tz = ZoneInfo(store.cooperative(coop).timezone)
    for day_key in sorted({e.at.astimezone(tz).date().isoformat() for e in events}):
        for entry in store.ledger(coop, day_key):
            row = ledger.setdefault(
                entry.courier_id, {"worked": 0.0, "shift": 0.0, "heavy_kg": 0.0, "heavy_jobs": 0.0, "kg_km": 0.0}
            )
            row["worked"] += entry.worked_minutes
            row["shift"] += entry.planned_shift_minutes or entry.shift_minutes
            row["heavy_kg"] += entry.heavy_kg
            row["heavy_jobs"] += entry.heavy_jobs
            row["kg_km"] += entry.kg_km
    return ledger


def _able(jobs: dict[str, JobView], fleet: dict[str, Vehicle]) -> dict[str, set[str]]:
    """Per job, the couriers whose vehicle could carry it."""
    able: dict[str, set[str]] = {}
    for job_id, job in jobs.items():
        request = JobRequest.from_json(job.request)
        able[job_id] = {
            cid
            for cid, v in fleet.items()
            if v.payload_kg >= request.weight_kg
            and v.volume_l >= request.volume_l
            and v.max_length_cm >= request.longest_side_cm
        }
    return able


def _courier_rows(
    ledger: dict[str, dict[str, float]],
    names: dict[str, str],
    vehicles: dict[str, VehicleKind],
    shifts: dict[str, Interval],
    past: dict[str, tuple[float, float]],
) -> list[dict[str, Any]]:
    """One row per courier in the order of their names: work, not merit."""
    first = min((a for a, _ in shifts.values()), default=None)
    last = max((b for _, b in shifts.values()), default=None)
    return [
        {
            "courier": names[cid],
            "vehicle": vehicles[cid].value,
            "worked_min": round(row["worked"], 1),
            "shift_min": round(row["shift"], 1),
            "worked_share": round(row["worked"] / row["shift"], 3) if row["shift"] else 0.0,
            "heavy_kg": round(row["heavy_kg"], 1),
            "heavy_jobs": int(row["heavy_jobs"]),
            "kg_km": round(row["kg_km"], 1),
            "past_shift_min": round(past.get(cid, (0.0, 0.0))[0], 1),
            "past_shift_while_available_min": round(past.get(cid, (0.0, 0.0))[1], 1),
            # on shift from the day's first shift start to its last shift end: the couriers among
            # whom heavy parcels can go round evenly
            "whole_day": cid in shifts and shifts[cid][0] <= first and shifts[cid][1] >= last
            if first and last
            else False,
        }
        for cid, row in sorted(ledger.items(), key=lambda kv: names[kv[0]])
    ]


def _couriers(store: Store, coop: str, events: list[Any], jobs: dict[str, JobView]) -> list[dict[str, Any]]:
    """The courier rows, with the minutes worked past a shift's end set against who else was free."""
    couriers = store.couriers(coop)
    names = {c.id: c.display_name for c in couriers}
    vehicles = {c.id: c.vehicle.kind for c in couriers}
    ledger = _ledger_totals(store, coop, events)
    able = _able(jobs, {c.id: c.vehicle for c in couriers})
    held, still_held = _held(events)
    for courier in still_held & set(ledger):
        # The ledger adds a courier's worked time when their hands are empty again; one still
        # holding a job when the log ends (a parcel never delivered) has worked all that time.
        ledger[courier]["worked"] = max(ledger[courier]["worked"], _minutes([h[2] for h in held if h[0] == courier]))
    shifts = _shifts(events)
    available = {
        cid for cid, row in ledger.items() if row["shift"] and row["worked"] / row["shift"] < AVAILABLE_BELOW_SHARE
    }
    past = _past_shift(held, shifts, able, available)
    return _courier_rows(ledger, names, vehicles, shifts, past)


def _summary(
    day: Day,
    record: SimulationRecord,
    log: _Log,
    punctuality: tuple[list[float], int],
    couriers: list[dict[str, Any]],
    heavy: float,
) -> dict[str, float]:
    """The figures analysts compare, the same for the same seed on any machine."""
    lateness, on_time = punctuality
    delivered_at, decisions = log.delivered_at, log.decisions
    to_dropoff = [(at - log.requested_at[job_id]).total_seconds() / 60 for job_id, at in delivered_at.items()]
    shares = [float(c["worked_share"]) for c in couriers if float(c["shift_min"]) > 0]
    cargo = [float(c["heavy_kg"]) for c in couriers if c["vehicle"] != VehicleKind.BIKE.value]
    rotation = [int(c["heavy_jobs"]) for c in couriers if c["vehicle"] != VehicleKind.BIKE.value and c["whole_day"]]
    decided = sum(decisions.values())
    return {
        "requests": float(len(day.requests)),
        # refused at intake as the API would have (a point far from any street...): never planned
        "refused": float(len(record.refused)),
        "delivered": float(len(delivered_at)),
        "not_delivered": float(len(day.requests) - len(delivered_at)),
        "on_time_rate": round(on_time / len(delivered_at), 4) if delivered_at else 0.0,
        "lateness_p90_min": round(sorted(lateness)[int(0.9 * (len(lateness) - 1))], 1) if lateness else 0.0,
        "km": round(sum(leg.metres for leg in record.legs) / 1000, 2),
        "riding_min": round(sum(leg.seconds for leg in record.legs) / 60, 1),
        "riding_min_lost_to_heavy_loads": round(
            sum(leg.seconds - leg.seconds_empty for leg in record.legs if leg.load_kg >= heavy) / 60, 1
        ),
        "worked_gini": round(gini(shares), 4) if shares else 0.0,
        "worked_max_min": round(max_min_ratio(shares), 3) if len(shares) > 1 else 1.0,
        "heavy_kg_gini_cargo": round(gini(cargo), 4) if cargo and sum(cargo) > 0 else 0.0,
        "proposals_accepted_rate": round(decisions[E.PROPOSAL_ACCEPTED.value] / decided, 4) if decided else 0.0,
        "override_rate": round((decisions[E.JOB_OVERRIDDEN.value] + decisions[E.JOB_REASSIGNED.value]) / decided, 4)
        if decided
        else 0.0,
        "planning_rounds": float(record.rounds),
        "request_to_dropoff_mean_min": round(sum(to_dropoff) / len(to_dropoff), 1) if to_dropoff else 0.0,
        "worked_share_max": max(shares, default=0.0),
        "worked_share_min": min(shares, default=0.0),
        "past_shift_min": round(sum(float(c["past_shift_min"]) for c in couriers), 1),
        "past_shift_while_available_min": round(sum(float(c["past_shift_while_available_min"]) for c in couriers), 1),
        "heavy_jobs": float(sum(int(c["heavy_jobs"]) for c in couriers)),
        # heavy parcels go round: the spread of their counts among cargo couriers on shift all day
        "heavy_jobs_spread_whole_day_cargo": float(max(rotation) - min(rotation)) if rotation else 0.0,
    }


def measure(store: Store, coop: str, day: Day, policy: Policy, record: SimulationRecord, seed: int) -> ReplayResult:
    """The replayed day's figures, read from its store: the summary, per courier, per job, per leg."""
    events = list(store.events(coop))
    jobs = {j.id: j for j in store.jobs(coop)}
    names = {c.id: c.display_name for c in store.couriers(coop)}
    log = _Log.read(events)
    couriers = _couriers(store, coop, events, jobs)
    punctuality = _lateness(log, jobs)
    summary = _summary(day, record, log, punctuality, couriers, store.cooperative(coop).heavy_threshold_kg)
    rows = [
        {
            "job": job_id,
            "courier": names.get(jobs[job_id].courier_id or "", ""),
            "picked_up_at": log.picked_at[job_id].isoformat() if job_id in log.picked_at else None,
            "delivered_at": at.isoformat(),
            "weight_kg": jobs[job_id].weight_kg,
        }
        for job_id, at in log.delivered_at.items()
    ]
    legs = [
        {
            "courier": names[leg.courier],
            "job": leg.job,
            "kind": leg.kind,
            "pickup": jobs[leg.job].request["pickup"],
            "dropoff": jobs[leg.job].request["dropoff"],
            "load_kg": leg.load_kg,
        }
        for leg in record.legs
        if leg.job in jobs
    ]
    timing = {"planning_s": round(sum(record.planning_seconds), 2)}
    return ReplayResult(day.name, policy.label(), seed, summary, couriers, punctuality[0], rows, legs, timing)


def day_from_log(store: Store, coop_id: str, *, name: str = "from-log") -> Day:
    """A past day rebuilt from a cooperative's own event log, with what people decided, the
    breaks each shift held and when a dispatcher took a courier off (issue 18)."""
    coop = store.cooperative(coop_id)
    couriers = {c.id: c for c in store.couriers(coop_id)}
    shifts: dict[str, list[datetime]] = {}
    realities = _Realities()
    requests: dict[str, dict[str, Any]] = {}
    for e in store.events(coop_id):
        p = e.payload
        courier = str(p["courier_id"]) if p.get("courier_id") else None
        if courier in shifts:  # a shift lasts at least as long as its courier worked
            shifts[courier][1] = max(shifts[courier][1], e.at)
        realities.read(e, courier, shifts)
        if e.type is E.SHIFT_STARTED and courier:
            shifts.setdefault(courier, [e.at, e.at])
        elif e.type is E.JOB_REQUESTED:
            requests[str(p["job_id"])] = {"time": e.at, "request": p["request"], "courier": None}
        elif e.job_id not in requests:
            continue
        elif e.type in (E.PROPOSAL_ACCEPTED, E.JOB_OVERRIDDEN, E.JOB_REASSIGNED):
            requests[e.job_id].update(courier=courier, decided_at=e.at)
        elif e.type is E.COURIER_ACKNOWLEDGED:
            requests[e.job_id]["acknowledged_at"] = e.at
        elif e.type is E.PICKED_UP:
            requests[e.job_id]["picked_up_at"] = e.at
        elif e.type is E.DELIVERED:
            requests[e.job_id]["delivered_at"] = e.at
    fleet = tuple(
        realities.member(FleetMember(cid, couriers[cid].display_name, couriers[cid].vehicle.kind, start, end))
        for cid, (start, end) in shifts.items()
        if cid in couriers
    )
    items = tuple(
        DayRequest(
            id=job_id,
            request_time=r["time"],
            request=JobRequest.from_json(r["request"]),
            happened=Happened(
                r["courier"],
                r.get("picked_up_at"),
                r.get("delivered_at"),
                r.get("decided_at"),
                r.get("acknowledged_at"),
            ),
        )
        for job_id, r in requests.items()
    )
    if not fleet:
        raise ValueError("no shift in this log: nothing to replay")
    return Day(name, coop.timezone, fleet, items)


@dataclass
class _Realities:
    """What the log says of a day's shifts besides their times: the breaks each held (as
    announced with its first start) and when a dispatcher took a courier off before its planned end."""

    breaks: dict[str, tuple[ShiftBreak, ...]] = field(default_factory=dict)
    planned_end: dict[str, datetime] = field(default_factory=dict)
    stopped: dict[str, datetime] = field(default_factory=dict)

    def read(self, e: Any, courier: str | None, shifts: dict[str, list[datetime]]) -> None:
        if courier is None:
            return
        if e.type is E.SHIFT_STARTED and courier not in shifts:
            self.breaks[courier] = tuple(ShiftBreak.from_json(b) for b in e.payload.get("breaks", []))
            if e.payload.get("planned_end"):
                self.planned_end[courier] = datetime.fromisoformat(str(e.payload["planned_end"]))
        elif e.type is E.SHIFT_ENDED and e.actor.kind is ActorKind.DISPATCHER and courier in shifts:
            self.stopped.setdefault(courier, e.at)

    def member(self, m: FleetMember) -> FleetMember:
        """``m`` with its breaks, and its stop when it came before the shift's planned end (the
        shift then runs to that end, as the day had planned it)."""
        stop, end = self.stopped.get(m.id), self.planned_end.get(m.id)
        if stop is not None and end is not None and m.shift_start < stop < end:
            m = replace(m, shift_end=max(m.shift_end, end), unavailable_from=stop)
        # A break outside the rebuilt shift (which ends at its last act) could not be announced.
        inside = tuple(b for b in self.breaks.get(m.id, ()) if m.shift_start <= b.earliest and b.latest <= m.shift_end)
        return replace(m, breaks=inside)


def compare(results: list[ReplayResult]) -> list[dict[str, Any]]:
    """One row per replay: the side-by-side table of a report."""
    return [{"day": r.day, "policy": r.policy, "seed": r.seed, **r.summary} for r in results]


__all__ = ["JobState", "Policy", "ReplayResult", "compare", "day_from_log", "replay"]
