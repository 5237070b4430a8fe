"""Replaying a day: the same planner under a policy, and the figures analysts compare.

A replay runs a :class:`dispatch.days.Day` through :mod:`dispatch.simulation` in a fresh store
(a temporary SQLite file unless one is given) and measures the result from that store's log:
punctuality, riding, the spread of work (never a figure of one person's merit: the spread is a
property of the plan), heavy loads, and how often people took the planner's proposals.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.days import Day, DayRequest, FleetMember, Happened
from dispatch.events import EventType
from dispatch.lifecycle import JobState
from dispatch.model import JobRequest, VehicleKind
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


def replay(
    day: Day, policy: Policy, network: BikeNetwork, *, seed: int = 1, database_url: str | None = None
) -> ReplayResult:
    """Simulate ``day`` under ``policy``; deterministic for a seed (the planner's budget aside)."""
    with tempfile.TemporaryDirectory() as tmp:
        # A scratch database: nothing in it must survive a power cut, so no fsync per event.
        store = Store.open(database_url or f"sqlite:///{Path(tmp) / 'replay.db'}", durable=database_url is not None)
        try:
            coop, record = run_day(store, network, day, policy, seed=seed)
            return measure(store, coop, day, policy, record, seed)
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


def measure(store: Store, coop: str, day: Day, policy: Policy, record: SimulationRecord, seed: int) -> ReplayResult:
    events = store.events(coop)
    jobs = {j.id: j for j in store.jobs(coop)}
    names = {c.id: c.display_name for c in store.couriers(coop)}
    vehicles = {c.id: c.vehicle.kind for c in store.couriers(coop)}
    delivered_at: dict[str, datetime] = {}
    picked_at: dict[str, datetime] = {}
    decisions: Counter[str] = Counter()
    for e in events:
        job_id = e.job_id
        if e.type is E.DELIVERED and job_id:
            delivered_at[job_id] = e.at
        elif e.type is E.PICKED_UP and job_id:
            picked_at[job_id] = e.at
        elif e.type in (E.PROPOSAL_ACCEPTED, E.JOB_OVERRIDDEN, E.JOB_REASSIGNED):
            decisions[e.type.value] += 1
    lateness: list[float] = []
    on_time = 0
    for job_id, at in delivered_at.items():
        end = datetime.fromisoformat(jobs[job_id].request["dropoff_window"]["end"])
        late = max(0.0, (at - end).total_seconds() / 60)
        lateness.append(round(late, 2))
        on_time += late == 0
    ledger: dict[str, dict[str, float]] = {}
    tz = ZoneInfo(store.cooperative(coop).timezone)
    for day_key in sorted({e.at.astimezone(tz).date().isoformat() for e in events}):
        for entry in store.ledger(coop, day_key):
            row = ledger.setdefault(entry.courier_id, {"worked": 0.0, "shift": 0.0, "heavy_kg": 0.0, "kg_km": 0.0})
            row["worked"] += entry.worked_minutes
            row["shift"] += entry.planned_shift_minutes or entry.shift_minutes
            row["heavy_kg"] += entry.heavy_kg
            row["kg_km"] += entry.kg_km
    couriers: list[dict[str, Any]] = [
        {
            "courier": names[cid],
            "vehicle": vehicles[cid].value,
            "worked_min": round(row["worked"], 1),
            "shift_min": round(row["shift"], 1),
            "worked_share": round(row["worked"] / row["shift"], 3) if row["shift"] else 0.0,
            "heavy_kg": round(row["heavy_kg"], 1),
            "kg_km": round(row["kg_km"], 1),
        }
        for cid, row in sorted(ledger.items(), key=lambda kv: names[kv[0]])
    ]
    shares = [float(c["worked_share"]) for c in couriers if float(c["shift_min"]) > 0]
    cargo = [float(c["heavy_kg"]) for c in couriers if c["vehicle"] != VehicleKind.BIKE.value]
    decided = sum(decisions.values())
    heavy = store.cooperative(coop).heavy_threshold_kg
    summary = {
        "requests": float(len(day.requests)),
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
    }
    rows = [
        {
            "job": job_id,
            "courier": names.get(jobs[job_id].courier_id or "", ""),
            "picked_up_at": picked_at[job_id].isoformat() if job_id in picked_at else None,
            "delivered_at": at.isoformat(),
            "weight_kg": jobs[job_id].weight_kg,
        }
        for job_id, at in delivered_at.items()
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
    return ReplayResult(day.name, policy.label(), seed, summary, couriers, lateness, rows, legs)


def day_from_log(store: Store, coop_id: str, *, name: str = "from-log") -> Day:
    """A past day rebuilt from a cooperative's own event log, with what people decided."""
    coop = store.cooperative(coop_id)
    couriers = {c.id: c for c in store.couriers(coop_id)}
    shifts: dict[str, list[datetime]] = {}
    requests: dict[str, dict[str, Any]] = {}
    for e in store.events(coop_id):
        p = e.payload
        courier = str(p["courier_id"]) if p.get("courier_id") else None
        if courier in shifts:  # a shift lasts at least as long as its courier worked
            shifts[courier][1] = max(shifts[courier][1], e.at)
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
        FleetMember(cid, couriers[cid].display_name, couriers[cid].vehicle.kind, start, end)
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


def compare(results: list[ReplayResult]) -> list[dict[str, Any]]:
    """One row per replay: the side-by-side table of a report."""
    return [{"day": r.day, "policy": r.policy, "seed": r.seed, **r.summary} for r in results]


__all__ = ["JobState", "Policy", "ReplayResult", "compare", "day_from_log", "replay"]
