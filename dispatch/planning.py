"""A planning round: today's state -> a routing Problem -> a Plan -> ProposalMade events.

Open jobs are free for the planner; jobs a dispatcher assigned are *locks* (they stay with their
courier), parcels already picked up are *on board*. Only couriers on shift (and not on a pause)
are planned for. The round appends a ProposalMade event for every open job whose proposed
courier changed; it never assigns anything: that is a dispatcher's act.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from dispatch import commands
from dispatch.errors import Conflict, DomainError, IllegalTransition, InvalidInput
from dispatch.events import Event, EventType, NewEvent
from dispatch.intake import max_snap_m
from dispatch.ledger import LedgerEntry, worked_minutes_until
from dispatch.lifecycle import OPEN_STATES, JobState
from dispatch.model import Courier as CourierRecord
from dispatch.model import JobRequest, TimeWindow, Vehicle
from dispatch.projections import JobView, Projection
from dispatch.shifts import MAX_SHIFT, ShiftBreak
from dispatch.store import Store
from dispatch.store.weekly import events_of
from routing.evaluate import RouteStop
from routing.insertion import still_valid
from routing.matrix import routable_graph, snap
from routing.network import BikeNetwork
from routing.plan import Plan
from routing.problem import Break, Courier, Lock, Problem, Shipment, TravelTimes, capable, travel_times
from routing.profiles import PROFILES, handling_time_s
from routing.reasons import Reason, reason
from routing.solver import DEFERRED, FITS_NOWHERE, SolverSettings, solve
from routing.travel_cache import TravelCache

#: A shift with no planned end is planned as lasting this long from now.
DEFAULT_SHIFT = timedelta(hours=4)

#: Open jobs that were not in the last plan one round takes on, per second of its budget. A
#: round's cost beyond the solver's budget is searching the streets for its new places and
#: handling matrices of all its places; with a backlog of 1,500 jobs and 80 couriers a 1 s round
#: took 13.5-20 s cold and 5-8 s warm and planned 365 jobs (benchmarks/README.md, "Planning
#: rounds at scale"). The rest wait, most urgent first, and the planner runs the next round at
#: once while the backlog shrinks. A round that starts from the last plan inserts its new jobs
#: one by one, which is slow at scale: 200 per second of budget. A round without a plan to start
#: from (the first of the day, after a restart) builds one with the constructor, which takes
#: 500 jobs in a second: 500 keeps issue 21's 500-job first round whole, as before.
NEW_JOBS_PER_BUDGET_S = 200
FRESH_JOBS_PER_BUDGET_S = 500


@dataclass
class PlanningContext:
    """How the Problem's numbers map back to the cooperative's world."""

    day_start: datetime
    places: list[tuple[float, float]]
    jobs: dict[str, JobView]
    couriers: dict[str, CourierRecord]
    skipped: dict[str, Reason] = field(default_factory=dict)  #: jobs left out of the round, and why
    #: Jobs declined today, and by whom: not proposed to them again, unless nobody else on
    #: shift can carry the job (then listed in ``declines_overruled``, and the proposal says so).
    declined: dict[str, tuple[str, ...]] = field(default_factory=dict)
    declines_overruled: set[str] = field(default_factory=set)

    def at(self, seconds: float) -> datetime:
        return self.day_start + timedelta(seconds=seconds)


def _seconds(day_start: datetime, moment: datetime) -> int:
    return max(0, round((moment - day_start).total_seconds()))


@dataclass(frozen=True)
class JobToPlan:
    id: str
    request: JobRequest
    courier_id: str | None = None  #: a person assigned it (a lock), or it is on board with them
    on_board: bool = False
    declined_by: tuple[str, ...] = ()  #: couriers who declined it today


@dataclass(frozen=True)
class CourierToPlan:
    id: str
    vehicle: Vehicle
    position: tuple[float, float]  #: (lon, lat) where the courier is now, or best known
    shift_end: datetime
    worked_s_today: int = 0
    planned_shift_s: int | None = None
    heavy_kg_today: float = 0.0
    breaks: tuple[ShiftBreak, ...] = ()  #: the breaks the shift holds (issue 18)


def assemble_problem(
    network: BikeNetwork,
    jobs: list[JobToPlan],
    couriers: list[CourierToPlan],
    now: datetime,
    *,
    timezone: ZoneInfo,
    fairness_weight: float,
    heavy_threshold_kg: float,
    travel_cache: TravelCache | None = None,
    fairness_riding_budget: float | None = None,
) -> tuple[Problem, PlanningContext]:
    """Turn jobs and couriers in the cooperative's terms into a routing Problem (times from midnight).

    A ``travel_cache`` kept by the caller between rounds searches only the places it has not seen.
    """
    local = now.astimezone(timezone)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    ctx = PlanningContext(day_start=day_start, places=[], jobs={}, couriers={})
    shipments, locks, on_board = _shipments(ctx, jobs, {c.id for c in couriers})
    now_s = round((local - day_start).total_seconds())
    planned = [_courier(ctx, c, now_s, tuple(on_board[c.id])) for c in couriers]
    shipments = _respect_declines(ctx, shipments, {j.id: j.declined_by for j in jobs}, planned)
    travel = _travel(network, ctx, shipments, {c.profile for c in planned} or {"bike"}, travel_cache)
    problem = Problem(
        couriers=tuple(planned),
        shipments=tuple(s for s in shipments if s.id not in ctx.skipped),
        travel=travel,
        locks=tuple(lock for lock in locks if lock.shipment not in ctx.skipped),
        now=now_s,
        fairness_weight=fairness_weight,
        fairness_riding_budget=fairness_riding_budget,
        heavy_threshold_kg=heavy_threshold_kg,
    )
    return problem, ctx


def _place(ctx: PlanningContext, lon: float, lat: float) -> int:
    """A new place index (each stop its own place: the matrices are per round)."""
    ctx.places.append((lon, lat))
    return len(ctx.places) - 1


def _shipments(
    ctx: PlanningContext, jobs: list[JobToPlan], on_shift: set[str]
) -> tuple[list[Shipment], list[Lock], dict[str, list[str]]]:
    """The jobs as shipments, the decided ones as locks, and what each courier has on board."""
    shipments: list[Shipment] = []
    locks: list[Lock] = []
    on_board: dict[str, list[str]] = {c: [] for c in on_shift}
    for job in jobs:
        if job.courier_id is not None and job.courier_id not in on_board:
            ctx.skipped[job.id] = reason("courier_off_shift")
            continue
        shipments.append(_shipment(ctx, job))
        if job.courier_id is not None and job.on_board:
            on_board[job.courier_id].append(job.id)
        elif job.courier_id is not None:
            # The courier is the decision; the order of a courier's jobs is nobody's (the log's
            # order of acts is not a route), and keeping it made rounds with a few accepted jobs
            # per courier plan almost nothing (issue 21).
            locks.append(Lock(job.id, job.courier_id, keep_order=False))
    return shipments, locks, on_board


def _shipment(ctx: PlanningContext, job: JobToPlan) -> Shipment:
    request = job.request
    service = round(handling_time_s(request.weight_kg, len(request.parcels), any(p.bulky for p in request.parcels)))

    def window(w: TimeWindow) -> tuple[int, int]:
        return _seconds(ctx.day_start, w.start), _seconds(ctx.day_start, w.end)

    return Shipment(
        id=job.id,
        pickup=_place(ctx, request.pickup.lon, request.pickup.lat),
        dropoff=_place(ctx, request.dropoff.lon, request.dropoff.lat),
        pickup_window=window(request.pickup_window),
        dropoff_window=window(request.dropoff_window),
        weight_kg=request.weight_kg,
        volume_l=request.volume_l,
        length_cm=request.longest_side_cm,
        pickup_service_s=service,
        dropoff_service_s=service,
    )


def _courier(ctx: PlanningContext, c: CourierToPlan, now_s: int, on_board: tuple[str, ...]) -> Courier:
    return Courier(
        id=c.id,
        profile=c.vehicle.kind.profile,
        payload_kg=c.vehicle.payload_kg,
        volume_l=c.vehicle.volume_l,
        max_length_cm=c.vehicle.max_length_cm,
        start=_place(ctx, *c.position),
        shift_start=now_s,
        shift_end=max(now_s, round((c.shift_end - ctx.day_start).total_seconds())),
        on_board=on_board,
        worked_s_today=c.worked_s_today,
        planned_shift_s=c.planned_shift_s,
        heavy_kg_today=c.heavy_kg_today,
        breaks=tuple(_break(ctx, b) for b in c.breaks),
    )


def _break(ctx: PlanningContext, b: ShiftBreak) -> Break:
    """A shift's break in the planner's seconds since the day's start."""
    earliest = round((b.earliest - ctx.day_start).total_seconds())
    return Break(earliest, earliest + round((b.latest - b.earliest).total_seconds()), 60 * b.minutes)


def _travel(
    network: BikeNetwork,
    ctx: PlanningContext,
    shipments: list[Shipment],
    profiles: set[str],
    travel_cache: TravelCache | None,
) -> dict[str, TravelTimes]:
    """Each vehicle profile's travel between the round's places.

    One KD-tree query for every place; places too far from this vehicle's streets still get
    their nearest node (the matrix needs one) and their jobs are left out with the reason.
    """
    travel: dict[str, TravelTimes] = {}
    lonlat = np.array(ctx.places, dtype=np.float64).reshape(-1, 2)
    for profile in sorted(profiles):
        graph = routable_graph(network, PROFILES[profile])
        snapped = snap(graph, lonlat, max_distance_m=float("inf"))
        for too_far in np.flatnonzero(snapped.distance_m > max_snap_m(profile)).tolist():
            _mark_unreachable(ctx, shipments, too_far, profile)
        travel[profile] = (
            travel_cache.travel_times(graph, snapped.node) if travel_cache else travel_times(graph, snapped.node)
        )
    return travel


def _respect_declines(
    ctx: PlanningContext, shipments: list[Shipment], declined: dict[str, tuple[str, ...]], couriers: list[Courier]
) -> list[Shipment]:
    """A courier who declined a job today is not proposed it again, unless nobody else can take it.

    Issue 15: a declined job went back to the courier who declined it in 2 of 4 declines while a
    second cargo bike was on shift. Who else could take it is judged by the vehicle alone; if
    the others cannot fit it in today, the job is left for a person to decide, with the reason.
    """
    out = []
    for s in shipments:
        who = tuple(c for c in declined.get(s.id, ()) if c)
        if not who:
            out.append(s)
            continue
        ctx.declined[s.id] = who
        if any(capable(c, s) and c.id not in who for c in couriers):
            out.append(replace(s, declined_by=who))
        else:
            ctx.declines_overruled.add(s.id)
            out.append(s)
    return out


def riding_budget(settings: dict[str, Any]) -> float | None:
    """The members' bound on what sharing the work may add to the least riding (0.05: +5 %),
    from the cooperative's settings; None (the weight alone decides) when they set none."""
    value = settings.get("fairness_riding_budget")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InvalidInput("fairness_riding_budget", "riding_budget")
    return float(value)


def build_problem(
    store: Store,
    coop_id: str,
    network: BikeNetwork,
    now: datetime,
    *,
    fairness_weight: float | None = None,
    travel_cache: TravelCache | None = None,
    riding_budget_share: float | str | None = "cooperative",
    new_jobs_cap: int | None = None,
    planned_before: frozenset[str] = frozenset(),
    told_nowhere: frozenset[str] = frozenset(),
    held_by_nobody: frozenset[str] = frozenset(),  #: assigned jobs planned as open ones (:func:`_as_open`)
) -> tuple[Problem, PlanningContext]:
    """Snapshot the cooperative's state as a routing Problem.

    ``fairness_weight`` and ``riding_budget_share`` replace the cooperative's settings for this
    snapshot only (replays compare them on the same day); ``"cooperative"`` keeps the members'
    riding budget, None plans with the weight alone. The backlog is taken on as
    :func:`working_set` says. The couriers' pauses, and nothing else, say which breaks they took
    or are taking (:func:`breaks_left`).
    """
    coop = store.cooperative(coop_id)
    tz = ZoneInfo(coop.timezone)
    local = now.astimezone(tz)
    projection = _as_open(store.projection(coop_id), held_by_nobody)
    records = {c.id: c for c in store.couriers(coop_id)}
    ledger = {e.courier_id: e for e in store.ledger(coop_id, local.date().isoformat())}
    on_shift = [
        cid
        for cid, status in sorted(projection.couriers.items())
        # A deactivated courier never gets a proposal, even if a shift start were written for
        # them (a replay, a direct write): deactivation ends their shift, this makes sure.
        if status.on_shift and not status.paused and cid in records and records[cid].active
    ]
    jobs, views, last_dropoff, unreadable = _jobs_to_plan(projection, tz, local)
    fallback = _fallback_position(coop.settings.get("base"), jobs, network)
    jobs, waiting = working_set(jobs, planned_before, new_jobs_cap, told_nowhere)
    positions = {cid: last_dropoff.get(cid, fallback) for cid in on_shift}
    couriers = [_courier_to_plan(projection, records[cid], ledger.get(cid), positions[cid], local) for cid in on_shift]
    couriers = _with_breaks_owed(store, coop_id, couriers, local)
    problem, ctx = assemble_problem(
        network,
        jobs,
        couriers,
        now,
        timezone=tz,
        fairness_weight=coop.fairness_weight if fairness_weight is None else fairness_weight,
        heavy_threshold_kg=coop.heavy_threshold_kg,
        travel_cache=travel_cache,
        fairness_riding_budget=riding_budget(coop.settings)
        if riding_budget_share == "cooperative"
        else riding_budget({"fairness_riding_budget": riding_budget_share}),
    )
    # a job told it fits nowhere keeps saying so while it waits behind the jobs not tried yet
    ctx.skipped.update({j: FITS_NOWHERE if j in told_nowhere else DEFERRED for j in waiting})
    ctx.skipped.update(unreadable)  # one bad job is left out with its reason; the others are planned
    ctx.jobs = {j: v for j, v in views.items() if j not in ctx.skipped or v.state in OPEN_STATES}
    ctx.couriers = {c: records[c] for c in on_shift}
    return problem, ctx


def _as_open(projection: Projection, held_by_nobody: frozenset[str]) -> Projection:
    """The snapshot with the assigned (or acknowledged) jobs of ``held_by_nobody`` shown held by
    nobody, so that they are planned as open jobs. The planner leaves the work of a courier off
    shift, on a pause or deactivated aside (``courier_off_shift``: no problem has it), so the cost
    of moving that work to someone else, and the move itself, heard "is assigned: there is
    nothing to decide" (issue 17); planned as open, such a job is weighed for the courier it
    would go to as any reassignment is (``dispatch.decisions.override_cost``). A job picked up
    keeps its parcel on board: a handover is weighed otherwise (``dispatch.decide``)."""
    held = (JobState.ASSIGNED, JobState.ACKNOWLEDGED)
    freed = {
        job_id: replace(job, state=JobState.UNASSIGNED, courier_id=None)
        for job_id in held_by_nobody
        if (job := projection.jobs.get(job_id)) is not None and job.state in held
    }
    return replace(projection, jobs={**projection.jobs, **freed}) if freed else projection


def _jobs_to_plan(
    projection: Projection, tz: ZoneInfo, local: datetime
) -> tuple[list[JobToPlan], dict[str, JobView], dict[str, tuple[float, float]], dict[str, Reason]]:
    """The live jobs in the order they last changed, their views, where each courier last
    delivered (their best known position when they share none), and the live jobs whose stored
    request cannot be planned, with why.

    Only the jobs to plan are read whole: a cancelled or delivered job is read for its drop-off
    only, and one that cannot be read is no one's position. A live job that cannot be read (a
    weight of NaN written before reports were bounded) is left out of the round with the reason
    ``unreadable_request``, so one bad job never stops the cooperative's planning.
    """
    live = OPEN_STATES | {JobState.ASSIGNED, JobState.ACKNOWLEDGED, JobState.PICKED_UP}
    jobs: list[JobToPlan] = []
    views: dict[str, JobView] = {}
    last_dropoff: dict[str, tuple[float, float]] = {}
    unreadable: dict[str, Reason] = {}
    for job in sorted(projection.jobs.values(), key=lambda j: j.last_seq):
        if job.state in (JobState.DELIVERED, JobState.FAILED) and job.courier_id:
            place = _dropoff(job)
            if place is not None:
                last_dropoff[job.courier_id] = place
        if job.state not in live:
            continue
        views[job.id] = job
        try:
            request = JobRequest.from_json(job.request)
        except (DomainError, ValueError, TypeError, KeyError):
            unreadable[job.id] = reason("unreadable_request")
            continue
        declined_by = tuple(
            str(d.get("courier_id") or "")
            for d in job.declines
            if datetime.fromisoformat(str(d["at"])).astimezone(tz).date() == local.date()
        )
        courier = None if job.state in OPEN_STATES else job.courier_id
        jobs.append(
            JobToPlan(job.id, request, courier, on_board=job.state is JobState.PICKED_UP, declined_by=declined_by)
        )
    return jobs, views, last_dropoff, unreadable


def _dropoff(job: JobView) -> tuple[float, float] | None:
    """Where a finished job was dropped off (lon, lat), None when its request cannot say."""
    try:
        place = job.request["dropoff"]
        lon, lat = float(place["lon"]), float(place["lat"])
    except (KeyError, TypeError, ValueError):
        return None
    return (lon, lat) if math.isfinite(lon) and math.isfinite(lat) else None


def _courier_to_plan(
    projection: Projection,
    record: CourierRecord,
    entry: LedgerEntry | None,
    position: tuple[float, float],
    now: datetime,
) -> CourierToPlan:
    """A courier on shift with their ledger's figures so far today (``entry``: None before any)."""
    status = projection.couriers[record.id]
    return CourierToPlan(
        id=record.id,
        vehicle=record.vehicle,
        position=position,
        shift_end=datetime.fromisoformat(status.planned_end) if status.planned_end else now + DEFAULT_SHIFT,
        worked_s_today=round(60 * worked_minutes_until(entry, status.active_since, now)),
        planned_shift_s=round(60 * entry.planned_shift_minutes) if entry and entry.planned_shift_minutes else None,
        heavy_kg_today=entry.heavy_kg if entry else 0.0,
        breaks=tuple(ShiftBreak.from_json(b) for b in status.breaks),
    )


Stretch = tuple[datetime, datetime]


def _with_breaks_owed(store: Store, coop_id: str, couriers: list[CourierToPlan], now: datetime) -> list[CourierToPlan]:
    """The couriers with only the breaks they still owe (:func:`breaks_left`); the log's pauses
    are read only when someone on shift holds a break, and only from a shift's length before the
    first one opens (a pause begun before a window counts from where the window opens). A courier
    paused now is not planned at all, so only closed pauses are read."""
    held = [b.earliest for c in couriers for b in c.breaks]
    if not held:
        return couriers
    paused: dict[str, list[Stretch]] = {}
    since: dict[str, datetime] = {}
    acts = (EventType.SHIFT_PAUSED, EventType.SHIFT_RESUMED, EventType.SHIFT_ENDED)
    for e in events_of(store, coop_id, acts, since=min(held) - MAX_SHIFT):
        courier = str(e.payload["courier_id"])
        if e.type is EventType.SHIFT_PAUSED:
            since[courier] = e.at
        elif courier in since:
            paused.setdefault(courier, []).append((since.pop(courier), e.at))
    return [replace(c, breaks=breaks_left(c.breaks, now, paused.get(c.id, []))) for c in couriers]


def breaks_left(
    breaks: tuple[ShiftBreak, ...], now: datetime, paused: Sequence[Stretch] = ()
) -> tuple[ShiftBreak, ...]:
    """The breaks a courier still owes at ``now``, given when they paused (``paused``, from the
    log: the courier's own account of their breaks).

    A break counts as taken only on the courier's evidence: the minutes they were on *Pause*
    inside its window (as the time sheets count them) shorten it, a break they covered is left
    out, and one under way (paused for part of it) is planned only for what is left of it, in
    its own window (a window moved to now made OR-Tools' reading of a start hang).
    Where the last plan placed a break is no evidence: a courier who rode through it still owes
    it, in full, while its window allows (once its latest start has passed, the routing layer
    leaves it out, :func:`routing.evaluate.pending_breaks`). A plan is also no clock of the day
    it was made on, so yesterday's plan can never count for today's break.
    """
    left: list[ShiftBreak] = []
    for b in sorted(breaks, key=lambda b: (b.earliest, b.latest)):
        rested = sum(max(0.0, (min(e, b.latest, now) - max(s, b.earliest)).total_seconds()) for s, e in paused)
        minutes = math.ceil(b.minutes - rested / 60 - 1e-9)
        if minutes > 0:
            left.append(b if minutes == b.minutes else ShiftBreak(b.earliest, b.latest, minutes))
    return tuple(left)


def _fallback_position(base: Any, jobs: list[JobToPlan], network: BikeNetwork) -> tuple[float, float]:
    """Where a courier with no known position is planned from: the cooperative's base, else the
    middle of today's pickups, else the middle of the city."""
    if base:
        return float(base["lon"]), float(base["lat"])
    if jobs:
        return float(np.mean([j.request.pickup.lon for j in jobs])), float(
            np.mean([j.request.pickup.lat for j in jobs])
        )
    return float(np.median(network.lon)), float(np.median(network.lat))


def working_set(
    jobs: list[JobToPlan],
    planned_before: frozenset[str],
    new_jobs_cap: int | None,
    told_nowhere: frozenset[str] = frozenset(),
) -> tuple[list[JobToPlan], list[str]]:
    """The jobs one round plans, and the open ones it leaves for a later round.

    Decided and on-board jobs are always in (they hold their couriers' time), and so are the open
    jobs of the last plan (their proposals stay stable). Of the other open jobs, the ``new_jobs_cap``
    whose pickup closes first come in: a late job is the most urgent of all, and the backlog is
    taken on in the order it must be served, never by who asked last. Jobs the last round tried
    and found no room for (``told_nowhere``) come after every job not tried yet: they were the
    most urgent, so every round of a backlog took them first, spent its insertion time failing
    on them again and proposed nothing, and the planner stopped with 872 jobs never tried (an
    outside attack, 40 couriers and 1,381 requests).
    """
    if new_jobs_cap is None:
        return jobs, []
    fresh = [j for j in jobs if j.courier_id is None and j.id not in planned_before]
    if len(fresh) <= new_jobs_cap:
        return jobs, []
    told = [fresh[i].id in told_nowhere for i in range(len(fresh))]
    urgent = sorted(range(len(fresh)), key=lambda i: (told[i], fresh[i].request.pickup_window.end, i))
    waiting = {fresh[i].id for i in urgent[new_jobs_cap:]}
    return [j for j in jobs if j.id not in waiting], [j.id for j in fresh if j.id in waiting]


def _mark_unreachable(ctx: PlanningContext, shipments: list[Shipment], place: int, profile: str) -> None:
    for s in shipments:
        if place in (s.pickup, s.dropoff) and s.id not in ctx.skipped:
            which = "pickup" if place == s.pickup else "dropoff"
            ctx.skipped[s.id] = reason("too_far_from_street", place=which, vehicle=profile)


def warm_start(problem: Problem, previous: Plan) -> dict[str, list[RouteStop]]:
    """The last plan's routes as a start for this round, without what no longer applies (see
    :func:`routing.insertion.still_valid`): a stop the solver does not know would otherwise be read
    as a job of this round."""
    routes = {cid: [RouteStop(t.shipment, t.kind) for t in route.stops] for cid, route in previous.routes.items()}
    return still_valid(problem, routes)


@dataclass
class RoundResult:
    plan: Plan
    problem: Problem
    context: PlanningContext
    proposals: list[Event]  #: ProposalMade events appended in this round
    kept: list[str]  #: open jobs whose proposal did not change (no new event)
    stale: list[str]  #: jobs a person decided on while the round ran (no proposal made)
    unassigned: dict[str, Reason]  #: open jobs with no proposal, and why
    withheld: list[Event] = field(default_factory=list)  #: ProposalWithheld events: a person must decide


def _backlog(previous: Plan | None, search: SolverSettings) -> tuple[Plan | None, dict[str, Any]]:
    """The round's start, and how much of a backlog it takes on (:func:`working_set`'s terms).

    A plan with nothing in it (the round after the first shifts started) is no start: from it,
    700 requests at once were taken on 200 a round by insertion, not 500 by the constructor (an
    outside attack: 200 of 700 proposed in the first round).
    """
    if previous is not None and not previous.assignment():
        previous = None
    if previous is None:
        return None, {"new_jobs_cap": max(1, round(FRESH_JOBS_PER_BUDGET_S * search.time_budget_s))}
    return previous, {
        "new_jobs_cap": max(1, round(NEW_JOBS_PER_BUDGET_S * search.time_budget_s)),
        "planned_before": frozenset(previous.assignment()),
        "told_nowhere": frozenset(j for j, why in previous.unassigned.items() if why == FITS_NOWHERE),
    }


def planning_round(
    store: Store,
    coop_id: str,
    network: BikeNetwork,
    now: datetime,
    *,
    budget_s: float = 1.0,
    previous: Plan | None = None,
    fairness_weight: float | None = None,
    settings: SolverSettings | None = None,
    travel_cache: TravelCache | None = None,
    riding_budget_share: float | str | None = "cooperative",
    guard: Guard | None = None,
) -> RoundResult:
    """Plan the cooperative's open jobs and record what changed as ProposalMade events.

    ``settings`` replaces the default search (``budget_s``), e.g. for repeatable replays; ``guard``
    runs where they are appended (a round whose lease ran out appends nothing: store/leases.py).
    A large backlog is planned over several rounds (:data:`NEW_JOBS_PER_BUDGET_S`,
    :data:`FRESH_JOBS_PER_BUDGET_S` without a ``previous`` plan): the jobs a
    round leaves are unassigned as :data:`routing.solver.DEFERRED`, and :func:`backlog_left`
    tells the caller to run the next round at once.
    """
    search = settings or SolverSettings(time_budget_s=budget_s)
    previous, backlog = _backlog(previous, search)
    problem, ctx = build_problem(
        store,
        coop_id,
        network,
        now,
        fairness_weight=fairness_weight,
        travel_cache=travel_cache,
        riding_budget_share=riding_budget_share,
        **backlog,
    )
    plan = solve(problem, search, initial=None if previous is None else warm_start(problem, previous))
    made, kept = _proposals(plan, ctx, coop_id, now)
    unassigned = {
        j: r
        for j, r in {**plan.unassigned, **ctx.skipped}.items()
        if j in ctx.jobs and ctx.jobs[j].state in OPEN_STATES
    }
    withholding = _withholdings(ctx, coop_id, unassigned, now)
    stale: list[str] = []  # jobs a person acted on while the round ran: their act stands
    proposals = _append_all(store, coop_id, made, stale, guard)
    withheld = _append_all(store, coop_id, withholding, stale, guard)
    return RoundResult(
        plan=plan,
        problem=problem,
        context=ctx,
        proposals=proposals,
        kept=kept,
        stale=stale,
        unassigned=unassigned,
        withheld=withheld,
    )


def _proposals(
    plan: Plan, ctx: PlanningContext, coop_id: str, now: datetime
) -> tuple[list[tuple[NewEvent, int | None]], list[str]]:
    """ProposalMade events for the open jobs whose proposed courier changed (each with the job's
    sequence number it was planned from), and the open jobs whose proposal stays."""
    kept: list[str] = []
    made: list[tuple[NewEvent, int | None]] = []
    assignment = plan.assignment()
    for job_id, job in ctx.jobs.items():
        if job.state not in OPEN_STATES or job_id not in assignment:
            continue
        courier = assignment[job_id]
        if job.proposal is not None and job.proposal.get("courier_id") == courier and job.state is JobState.PROPOSED:
            kept.append(job_id)
            continue
        explanation = _explanation(plan, ctx, job_id, courier)
        made.append((commands.proposal(coop_id, job_id, courier, at=now, explanation=explanation), job.last_seq))
    return made, kept


def _withholdings(
    ctx: PlanningContext, coop_id: str, unassigned: dict[str, Reason], now: datetime
) -> list[tuple[NewEvent, int | None]]:
    """Said once per reason, in the log, so that every console shows the job needs a person."""
    withholding: list[tuple[NewEvent, int | None]] = []
    for job_id, why in unassigned.items():
        job = ctx.jobs[job_id]
        if why == DEFERRED or why.to_json() == job.needs_decision:
            continue  # said already; or the planner has not reached it yet, which is no one's decision
        withholding.append((commands.withholding(coop_id, job_id, reason=why.to_json(), at=now), job.last_seq))
    return withholding


def backlog_left(result: RoundResult) -> bool:
    """Whether the round left open jobs it never tried (its working set was full, or its time ran
    out): the planner then runs the next round at once instead of waiting for a request."""
    return any(why == DEFERRED for why in result.unassigned.values())


#: A round's events are appended in batches of this many: one transaction each (one flush, not
#: one per event), short enough that a dispatcher's act waits for at most one batch.
APPEND_BATCH = 200
#: A check in the append's transaction (its connection), raising to roll the append back.
Guard = Callable[[Any], None]


def _append_all(
    store: Store, coop_id: str, events: list[tuple[NewEvent, int | None]], stale: list[str], guard: Guard | None
) -> list[Event]:
    appended: list[Event] = []
    for at in range(0, len(events), APPEND_BATCH):
        batch = events[at : at + APPEND_BATCH]
        for (new, _), outcome in zip(batch, store.append_all(coop_id, batch, guard=guard), strict=True):
            if isinstance(outcome, Event):
                appended.append(outcome)
            elif isinstance(outcome, Conflict | IllegalTransition | InvalidInput):
                stale.append(str(new.payload["job_id"]))
            else:
                raise outcome
    return appended


def _explanation(plan: Plan, ctx: PlanningContext, job_id: str, courier: str) -> dict[str, Any]:
    """The proposal's explanation as stored in the log: reasons as codes with courier ids (the
    edge says them in the reader's language, with the names of the day it is read)."""
    data: dict[str, Any] = plan.explanations[job_id].to_json() if job_id in plan.explanations else {}
    reasons = list(data.get("reasons", []))
    declined = ctx.declined.get(job_id, ())
    if courier in declined:
        reasons.append(reason("declined_again", courier=courier).to_json())
    elif declined:
        reasons.append(reason("declined_by", couriers=tuple(declined)).to_json())
    if reasons:
        data["reasons"] = reasons
    for t in plan.routes[courier].stops:
        if t.shipment == job_id:
            data[f"{t.kind.value}_eta"] = ctx.at(t.start).isoformat()
    return data
