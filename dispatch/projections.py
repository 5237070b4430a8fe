"""Current state as a fold of the event log: jobs, couriers' shifts, the ledger.

:func:`apply` is the only code that turns an event into state. The store calls it inside the
transaction that appends the event (on the few rows the event touches), and :func:`fold` calls
it over the whole log; so the stored projection and the fold agree by construction, and a test
checks that they do. ``apply`` also refuses events the state does not allow (an illegal
transition, a shift paused twice), which makes the store refuse to append them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.errors import IllegalTransition, InvalidInput, NotFound, limit_refused, shift_refusal
from dispatch.events import ADMIN_EVENTS, JOB_ACTS, WEEK_EVENTS, Event, EventType
from dispatch.ledger import LedgerEntry, stopped_early
from dispatch.lifecycle import OPEN_STATES, Act, JobState, next_state
from dispatch.model import JobRequest

E = EventType


@dataclass
class JobView:
    id: str
    client_id: str
    state: JobState
    request: dict[str, Any]
    weight_kg: float
    requested_at: str
    courier_id: str | None = None
    proposal: dict[str, Any] | None = None
    #: Why the latest planning round could not propose this open job: a person must decide.
    needs_decision: str | dict[str, Any] | None = None
    declines: list[dict[str, Any]] = field(default_factory=list)
    picked_up_at: str | None = None
    finished_at: str | None = None
    last_seq: int = 0
    #: What the client declared, when the courier found another weight at pickup (issue 18).
    declared_weight_kg: float | None = None
    #: How many times the courier reported what they found at pickup (bounded: each one calls
    #: the client's webhook).
    weight_reports: int = 0

    @property
    def client_declared_kg(self) -> float:
        """What the client declared, whether or not a courier has weighed it again since."""
        return self.weight_kg if self.declared_weight_kg is None else self.declared_weight_kg

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = self.state.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobView:
        return cls(**{**data, "state": JobState(data["state"])})


@dataclass
class CourierStatus:
    courier_id: str
    on_shift: bool = False
    paused: bool = False
    counting_since: str | None = None  #: start of the current on-shift, unpaused stretch
    planned_end: str | None = None
    #: The breaks the shift holds, as announced (``dispatch.shifts.ShiftBreak.to_json``, issue 18).
    breaks: list[dict[str, Any]] = field(default_factory=list)
    active_jobs: list[str] = field(default_factory=list)  #: acknowledged, not yet finished
    active_since: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CourierStatus:
        return cls(**data)


@dataclass
class Projection:
    """All of a cooperative's current state, or the part of it one event touches."""

    timezone: ZoneInfo
    heavy_threshold_kg: float
    jobs: dict[str, JobView] = field(default_factory=dict)
    couriers: dict[str, CourierStatus] = field(default_factory=dict)
    ledger: dict[tuple[str, str], LedgerEntry] = field(default_factory=dict)

    def day(self, at: datetime) -> str:
        return at.astimezone(self.timezone).date().isoformat()

    def entry(self, courier_id: str, at: datetime) -> LedgerEntry:
        key = (courier_id, self.day(at))
        if key not in self.ledger:
            self.ledger[key] = LedgerEntry(courier_id=courier_id, day=key[1])
        return self.ledger[key]

    def courier(self, courier_id: str) -> CourierStatus:
        if courier_id not in self.couriers:
            self.couriers[courier_id] = CourierStatus(courier_id=courier_id)
        return self.couriers[courier_id]


def _minutes(since: str, until: datetime) -> float:
    return max(0.0, (until - datetime.fromisoformat(since)).total_seconds() / 60.0)


def _start_work(p: Projection, courier_id: str, job_id: str, at: datetime) -> None:
    status = p.courier(courier_id)
    if job_id in status.active_jobs:
        return
    if not status.active_jobs and not status.paused:
        status.active_since = at.isoformat()
    status.active_jobs = sorted([*status.active_jobs, job_id])


def _stop_work(p: Projection, courier_id: str | None, job_id: str, at: datetime) -> None:
    if courier_id is None:
        return
    status = p.courier(courier_id)
    if job_id not in status.active_jobs:
        return
    status.active_jobs = [j for j in status.active_jobs if j != job_id]
    if not status.active_jobs:
        _close_work(p, status, at)


def _close_work(p: Projection, status: CourierStatus, at: datetime) -> None:
    """Worked time counts while a courier has a job in hand and is not on a pause."""
    if status.active_since is not None:
        p.entry(status.courier_id, at).worked_minutes += _minutes(status.active_since, at)
        status.active_since = None


def _same_courier(job: JobView, event: Event) -> None:
    """Acts of a courier on a job must come from the courier it is assigned to."""
    claimed = event.payload.get("courier_id")
    if claimed is not None and claimed != job.courier_id:
        raise InvalidInput("courier_id", "not_assigned_to", job=job.id, courier=claimed)


def _apply_job(p: Projection, event: Event) -> None:
    """Fold one event about a job: a request adds it; a withheld proposal or a weighing notes
    something on it; every other event is an act that moves it along its lifecycle."""
    job_id = str(event.payload["job_id"])
    if event.type is E.JOB_REQUESTED:
        _add_job(p, job_id, event)
        return
    job = p.jobs.get(job_id)
    if job is None:
        raise NotFound("job", job_id)
    if event.type is E.PROPOSAL_WITHHELD:
        _withhold(job, event)
    elif event.type is E.PARCEL_REWEIGHED:
        _reweigh(job, event)
    else:
        _act_on_job(p, job, event)


def _add_job(p: Projection, job_id: str, event: Event) -> None:
    if job_id in p.jobs:
        raise InvalidInput("job_id", "job_exists", job=job_id)
    request = JobRequest.from_json(event.payload["request"])
    p.jobs[job_id] = JobView(
        id=job_id,
        client_id=str(event.payload["client_id"]),
        state=JobState.REQUESTED,
        request=event.payload["request"],
        weight_kg=request.weight_kg,
        requested_at=event.at.isoformat(),
        last_seq=event.seq,
    )


def _withhold(job: JobView, event: Event) -> None:
    """Not an act on the job: its state stays, and a person sees why nothing is proposed, or
    (a parcel on board with a courier who had to stop) that a handover is to be decided."""
    if job.state not in OPEN_STATES | {JobState.PICKED_UP}:
        raise InvalidInput("job_id", "nothing_to_propose", job=job.id, state=job.state.value)
    reason = event.payload["reason"]  # the planner's code and parameters, or a sentence (older events)
    job.needs_decision = reason if isinstance(reason, dict) else str(reason)
    job.last_seq = event.seq


#: The acts only the courier holding the job may make.
COURIER_ACTS = frozenset({Act.ACKNOWLEDGE, Act.DECLINE, Act.PICK_UP, Act.DELIVER, Act.FAIL})


def _act_on_job(p: Projection, job: JobView, event: Event) -> None:
    """An act: refused unless the job's state allows it (and, for a courier's act, unless it is
    their job); then its effect on the job and the ledger, and the job's new state."""
    job.needs_decision = None
    act = JOB_ACTS[event.type]
    new_state = next_state(job.id, job.state, act)
    if act in COURIER_ACTS:
        _same_courier(job, event)
    effect = _EFFECTS.get(act)
    if effect is not None:
        effect(p, job, event)
    if new_state in (JobState.DELIVERED, JobState.FAILED, JobState.CANCELLED):
        job.finished_at = event.at.isoformat()
    job.state = new_state
    job.last_seq = event.seq


def _proposed(_p: Projection, job: JobView, event: Event) -> None:
    job.proposal = {**event.payload, "seq": event.seq}


class AcceptedOffShift(IllegalTransition):
    """An acceptance that stands only while its courier is on shift (``only_on_shift``, written
    by :func:`dispatch.decide.accept_proposal`) met a courier off shift when it was appended."""

    code = "courier_off_shift"

    def __init__(self, job_id: str, courier_id: str) -> None:
        super().__init__(job_id, JobState.PROPOSED.value, "accept")
        self.courier_id = courier_id
        self.why, self.params = "accepted_off_shift", {**self.params, "courier": courier_id}


def _accepted(p: Projection, job: JobView, event: Event) -> None:
    """The proposal's courier takes the job. An acceptance marked ``only_on_shift`` is refused
    here, in the append's transaction (the courier's status is loaded with it), when they are
    off shift: their shift ending does not move the job's seq, so that guard cannot see it.
    Events without the mark (written before it, or by replays) fold as they always did."""
    assert job.proposal is not None  # the lifecycle only accepts proposed jobs
    named = event.payload.get("courier_id")
    if named is not None and named != job.proposal["courier_id"]:
        raise InvalidInput("courier_id", "proposed_to_another", job=job.id, courier=named)
    courier_id = str(job.proposal["courier_id"])
    if event.payload.get("only_on_shift"):
        status = p.couriers.get(courier_id)
        if status is None or not status.on_shift:
            raise AcceptedOffShift(job.id, courier_id)
    job.courier_id = courier_id


def _given_to_another(p: Projection, job: JobView, event: Event) -> None:
    """An override or a reassignment: the job changes hands (with its parcel, when picked up)."""
    if JOB_ACTS[event.type] is Act.REASSIGN and event.payload["courier_id"] == job.courier_id:
        raise InvalidInput("courier_id", "already_with", job=job.id, courier=job.courier_id)
    if event.payload.get("only_if_riding"):  # unforced: the courier must still be riding now
        given = str(event.payload["courier_id"])
        status = p.couriers.get(given)
        breaks = shift_refusal(given, bool(status and status.on_shift), bool(status and status.paused))
        if breaks:
            raise limit_refused(tuple(breaks))
    _stop_work(p, job.courier_id, job.id, event.at)
    job.courier_id = str(event.payload["courier_id"])
    if job.state is JobState.PICKED_UP:  # a handover: the parcel is in the new courier's hands
        _start_work(p, job.courier_id, job.id, event.at)


def _taken_back(p: Projection, job: JobView, event: Event) -> None:
    """Unassigned by a dispatcher or cancelled: nobody holds the job any more."""
    _stop_work(p, job.courier_id, job.id, event.at)
    job.courier_id = None


def _acknowledged(p: Projection, job: JobView, event: Event) -> None:
    assert job.courier_id is not None
    _start_work(p, job.courier_id, job.id, event.at)


def _declined(p: Projection, job: JobView, event: Event) -> None:
    _stop_work(p, job.courier_id, job.id, event.at)
    job.declines = [
        *job.declines,
        {"courier_id": job.courier_id, "reason": event.payload["reason"], "at": event.at.isoformat()},
    ]
    job.courier_id = None


def _picked_up(_p: Projection, job: JobView, event: Event) -> None:
    job.picked_up_at = event.at.isoformat()


def _delivered(p: Projection, job: JobView, event: Event) -> None:
    """The ledger counts the load carried (kg x km) and the heavy jobs with the delivery."""
    assert job.courier_id is not None
    entry = p.entry(job.courier_id, event.at)
    entry.kg_km += job.weight_kg * float(event.payload.get("carried_m", 0.0)) / 1000.0
    if job.weight_kg >= p.heavy_threshold_kg:
        entry.heavy_jobs += 1
        entry.heavy_kg += job.weight_kg
    _stop_work(p, job.courier_id, job.id, event.at)


def _failed(p: Projection, job: JobView, event: Event) -> None:
    _stop_work(p, job.courier_id, job.id, event.at)


#: What each act does besides moving the job's state (the lifecycle has checked it is allowed).
_EFFECTS: dict[Act, Callable[[Projection, JobView, Event], None]] = {
    Act.PROPOSE: _proposed,
    Act.ACCEPT: _accepted,
    Act.OVERRIDE: _given_to_another,
    Act.REASSIGN: _given_to_another,
    Act.UNASSIGN: _taken_back,
    Act.CANCEL: _taken_back,
    Act.ACKNOWLEDGE: _acknowledged,
    Act.DECLINE: _declined,
    Act.PICK_UP: _picked_up,
    Act.DELIVER: _delivered,
    Act.FAIL: _failed,
}


def _reweigh(job: JobView, event: Event) -> None:
    """Not an act on the job: its parcels weigh what the courier found, from now on (each
    parcel scaled alike: the courier weighs what they are handed, not each parcel)."""
    if job.state not in (JobState.ASSIGNED, JobState.ACKNOWLEDGED):
        raise InvalidInput("job_id", "weighed_at_pickup", job=job.id, state=job.state.value)
    _same_courier(job, event)
    found = float(event.payload["weight_kg"])
    if job.declared_weight_kg is None:
        job.declared_weight_kg = job.weight_kg
    parcels = [dict(p) for p in job.request["parcels"]]
    for parcel, kg in zip(parcels, _shared_out(found, [float(p["weight_kg"]) for p in parcels]), strict=True):
        parcel["weight_kg"] = kg
    job.request = {**job.request, "parcels": _measured(parcels, event.payload)}
    job.weight_kg = found
    job.weight_reports += 1
    job.last_seq = event.seq


def _shared_out(found: float, weights: list[float]) -> list[float]:
    """The weight found shared out among the parcels as their weights were (each one's share of
    the total, never ``found / old``: an old weight of 5e-324 kg scaled that way made infinity,
    then NaN); equally when the old ones cannot say (a parcel of about nothing or not a number,
    a total that overflows, a share that comes out as about nothing). A finite, positive
    ``found`` always gives finite, positive parcels; a bad one from before reports were bounded
    stays bad, and planning leaves that job out with its reason."""
    total = sum(weights) if all(math.isfinite(w) and w >= _ABOUT_NOTHING_KG for w in weights) else 0.0
    shared = [found * (w / total) for w in weights] if math.isfinite(total) and total > 0 else []
    if len(shared) == len(weights) and all(math.isfinite(kg) and kg >= _ABOUT_NOTHING_KG for kg in shared):
        return shared
    return [found / len(weights)] * len(weights)


#: A milligram: a parcel's weight below it says nothing about its share of what was found.
_ABOUT_NOTHING_KG = 1e-6


def _measured(parcels: list[dict[str, Any]], payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The size found at pickup, when the courier measured it (issue 18): the volume shared out
    as the declared one was; the longest side on the longest parcel, no other one longer."""
    volume, longest = payload.get("volume_l"), payload.get("longest_side_cm")
    if volume is not None:
        total = sum(float(p.get("volume_l", 0.0)) for p in parcels)
        for parcel in parcels:
            share = (
                float(parcel.get("volume_l", 0.0)) / total
                if math.isfinite(total) and total >= 1e-6
                else 1 / len(parcels)
            )
            parcel["volume_l"] = float(volume) * share
    if longest is not None:
        first = max(range(len(parcels)), key=lambda i: float(parcels[i]["longest_side_cm"]))
        for parcel in parcels:
            parcel["longest_side_cm"] = min(float(parcel["longest_side_cm"]), float(longest))
        parcels[first]["longest_side_cm"] = float(longest)
    return parcels


def _apply_shift(p: Projection, event: Event) -> None:
    courier_id, at = str(event.payload["courier_id"]), event.at
    status = p.courier(courier_id)
    if event.type is E.SHIFT_STARTED:
        if status.on_shift:
            raise InvalidInput("shift", "already_on_shift", courier=courier_id)
        status.on_shift, status.paused, status.counting_since = True, False, at.isoformat()
        planned_end = event.payload.get("planned_end")
        status.planned_end = planned_end
        status.breaks = list(event.payload.get("breaks", []))
        if planned_end is not None:
            p.entry(courier_id, at).planned_shift_minutes += _minutes(
                at.isoformat(), datetime.fromisoformat(planned_end)
            )
        return
    if not status.on_shift:
        raise InvalidInput("shift", "not_on_shift", courier=courier_id)
    if event.type is E.SHIFT_RESUMED:
        if not status.paused:
            raise InvalidInput("shift", "not_on_pause", courier=courier_id)
        status.paused, status.counting_since = False, at.isoformat()
        if status.active_jobs:
            status.active_since = at.isoformat()
        return
    if event.type is E.SHIFT_PAUSED and status.paused:
        raise InvalidInput("shift", "already_on_pause", courier=courier_id)
    if not status.paused and status.counting_since is not None:
        p.entry(courier_id, at).shift_minutes += _minutes(status.counting_since, at)
    status.counting_since = None
    _close_work(p, status, at)
    if event.type is E.SHIFT_PAUSED:
        status.paused = True
    else:  # ended
        # Stopped by a dispatcher (sent home, deactivated): the rest is not planned. Only events
        # marked so count (written from then on); older ones fold as they did when written, so
        # rebuilding the projections never changes a past day's ledger.
        if event.payload.get("stopped_early") is True:
            stopped_early(p.entry(courier_id, at), status.planned_end, at)
        status.on_shift, status.paused, status.planned_end, status.breaks = False, False, None, []


def apply(p: Projection, event: Event) -> None:
    """Fold one event into the projection, or raise if the state does not allow it."""
    if event.type in ADMIN_EVENTS or event.type in WEEK_EVENTS:
        return  # the cooperative's set-up (its rows) or its week's plan, not its jobs, shifts or ledger
    if event.type is E.COURIER_POSITION_SHARED:
        job = p.jobs.get(str(event.payload["job_id"]))
        if (
            job is None
            or job.courier_id != event.payload["courier_id"]
            or job.state not in (JobState.ACKNOWLEDGED, JobState.PICKED_UP)
        ):
            raise InvalidInput("position", "position_only_in_hand")
        return
    if event.type in (E.SHIFT_STARTED, E.SHIFT_PAUSED, E.SHIFT_RESUMED, E.SHIFT_ENDED):
        _apply_shift(p, event)
    else:
        _apply_job(p, event)


def fold(events: Iterable[Event], *, timezone: ZoneInfo, heavy_threshold_kg: float) -> Projection:
    """The whole state from the log (events in sequence order)."""
    projection = Projection(timezone=timezone, heavy_threshold_kg=heavy_threshold_kg)
    for event in events:
        apply(projection, event)
    return projection
