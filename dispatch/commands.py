"""What people do, as events: a client requests, a dispatcher decides, a courier rides.

Each function validates its input, builds the event and appends it through the store, which
checks it against the current state in the same transaction. Nothing is written when any check
fails. The planner's proposals come in through :func:`propose`; only a dispatcher's
:func:`accept`, :func:`override` or :func:`reassign` binds a job to a courier.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Required, TypedDict, Unpack

from dispatch.errors import IdempotencyConflict, InvalidInput, ReportLimit
from dispatch.events import Actor, ActorKind, Event, EventType, NewEvent
from dispatch.lifecycle import ACTIVE_STATES, JobState
from dispatch.model import Courier, JobRequest
from dispatch.projections import JobView
from dispatch.shifts import ShiftBreak, check_breaks
from dispatch.store import Store
from dispatch.store.access import NothingToChange
from dispatch.store.repository import _json_payload
from dispatch.text import says_something
from routing.reasons import Reason, reason

if TYPE_CHECKING:
    from sqlalchemy import Connection

E = EventType


def _reason(reason: str, *, required: bool) -> str:
    if not isinstance(reason, str) or (required and not says_something(reason)):
        raise InvalidInput("reason", "say_why")
    if len(reason) > 500:
        raise InvalidInput("reason", "too_many_characters", limit=500)
    return reason.strip()


def _append(
    store: Store, coop_id: str, at: datetime, actor: Actor, kind: EventType, *, payload: dict[str, Any], **options: Any
) -> Event:
    return store.append(NewEvent(cooperative_id=coop_id, at=at, actor=actor, type=kind, payload=payload), **options)


class Submission(TypedDict, total=False):
    """The keyword arguments of a client's request for a job."""

    at: Required[datetime]
    idempotency_key: str | None
    actor: Actor | None
    #: The new job's id; by default a random one. Replays give ids in the order of the day's
    #: requests, so that nothing a plan breaks ties with differs from one run to the next.
    job_id: str | None


def request_job(
    store: Store, coop_id: str, client_id: str, request: JobRequest, **options: Unpack[Submission]
) -> JobView:
    """Record a client's request; a retry with the same idempotency key returns the same job."""
    return submit_job(store, coop_id, client_id, request, **options)[0]


def submit_job(
    store: Store,
    coop_id: str,
    client_id: str,
    request: JobRequest,
    *,
    at: datetime,
    idempotency_key: str | None = None,
    actor: Actor | None = None,
    job_id: str | None = None,
) -> tuple[JobView, Event | None]:
    """:func:`request_job`, also returning the new event (None for a retry of an earlier request).

    The job comes from the append's own transaction, so the API can answer and announce the
    event without reading either back; a retry reads the job, which may have moved on since.
    """
    body = request.to_json()
    request_hash = hashlib.sha256(json.dumps([client_id, body], sort_keys=True).encode()).hexdigest()
    if idempotency_key is not None:
        earlier = _requested_before_scoping(store, coop_id, client_id, idempotency_key, request_hash)
        if earlier is not None:
            return store.job(coop_id, earlier), None
    try:
        done = store.record(
            NewEvent(
                cooperative_id=coop_id,
                at=at,
                actor=actor or Actor(ActorKind.CLIENT, client_id),
                type=E.JOB_REQUESTED,
                payload={"job_id": job_id or str(uuid.uuid4()), "client_id": client_id, "request": body},
            ),
            idempotency_key=None if idempotency_key is None else client_key(client_id, idempotency_key),
            request_hash=request_hash if idempotency_key else None,
        )
    except IdempotencyConflict:
        raise IdempotencyConflict(str(idempotency_key)) from None  # the key as the client sent it
    if done.replayed or done.job is None:
        return store.job(coop_id, str(done.event.payload["job_id"])), None
    return done.job, done.event


def client_key(client_id: str, key: str) -> str:
    """A client's idempotency key as stored: one client's keys never meet another's.

    Hashed, so that a key of up to 200 characters still fits the column with the client's id.
    """
    return f"client:{client_id}:{hashlib.sha256(key.encode()).hexdigest()}"


def _requested_before_scoping(store: Store, coop_id: str, client_id: str, key: str, request_hash: str) -> str | None:
    """The job a key named when keys were stored as sent (before they were scoped per client).

    A retry by the client that used the key still gets its job (or a 409 for another body); the
    same key from another client is that client's own, new key.
    """
    found = store.keyed_event(coop_id, key)
    if found is None:
        return None
    event, stored_hash = found
    if event.type is not E.JOB_REQUESTED or event.payload.get("client_id") != client_id:
        return None
    if stored_hash != request_hash:
        raise IdempotencyConflict(key)
    return str(event.payload["job_id"])


def cancel_job(store: Store, coop_id: str, job_id: str, *, by: Actor, at: datetime, reason: str = "") -> Event:
    previous, expected_seq = _previous(store, coop_id, job_id, None)
    return _append(
        store,
        coop_id,
        at,
        by,
        E.JOB_CANCELLED,
        payload={"job_id": job_id, "reason": _reason(reason, required=False), **previous},
        expected_seq=expected_seq,
    )


def propose(
    store: Store,
    coop_id: str,
    job_id: str,
    courier_id: str,
    *,
    at: datetime,
    explanation: dict[str, Any] | None = None,
    expected_seq: int | None = None,
) -> Event:
    """The planner's suggestion; it binds nobody. ``expected_seq``: the job as the round saw it."""
    return store.append(
        proposal(coop_id, job_id, courier_id, at=at, explanation=explanation), expected_seq=expected_seq
    )


def proposal(
    coop_id: str, job_id: str, courier_id: str, *, at: datetime, explanation: dict[str, Any] | None = None
) -> NewEvent:
    """The event :func:`propose` appends, for a round that appends its proposals together."""
    return NewEvent(
        cooperative_id=coop_id,
        at=at,
        actor=Actor.system(),
        type=E.PROPOSAL_MADE,
        payload={"job_id": job_id, "courier_id": courier_id, "explanation": explanation or {}},
    )


def withhold(
    store: Store,
    coop_id: str,
    job_id: str,
    *,
    reason: str | dict[str, Any],
    at: datetime,
    expected_seq: int | None = None,
) -> Event:
    """The planner could not propose the job (nobody on shift can fit it in, ...): a person decides.

    A job past a shift's end or beyond a courier's limits is a dispatcher's act (an override with
    force), never a silent plan ("overtime" is only the time sheet's decision, dispatch/overtime.py).
    """
    return store.append(withholding(coop_id, job_id, reason=reason, at=at), expected_seq=expected_seq)


def withholding(coop_id: str, job_id: str, *, reason: str | dict[str, Any], at: datetime) -> NewEvent:
    """The event :func:`withhold` appends, for a round that appends its events together; the
    planner's ``reason`` is a code with parameters (``routing/reasons.py``)."""
    return NewEvent(
        cooperative_id=coop_id,
        at=at,
        actor=Actor.system(),
        type=E.PROPOSAL_WITHHELD,
        payload={"job_id": job_id, "reason": reason},
    )


def accept(
    store: Store,
    coop_id: str,
    job_id: str,
    *,
    dispatcher_id: str,
    at: datetime,
    expected_seq: int | None = None,
    only_on_shift: bool = False,
) -> Event:
    """Bind the job to the courier of its proposal; the event names that courier.

    The proposal is read first, so the append is guarded by the job's sequence number: if a new
    proposal (or another dispatcher) got there in between, the dispatcher gets a Conflict rather
    than accepting something they did not see. ``only_on_shift``: the event says so, and the
    projection refuses it in the append's own transaction when the courier is not on shift then
    (a shift ending meanwhile does not move the job's seq).
    """
    job = store.job(coop_id, job_id)
    courier = (job.proposal or {}).get("courier_id")
    return _append(
        store,
        coop_id,
        at,
        Actor(ActorKind.DISPATCHER, dispatcher_id),
        E.PROPOSAL_ACCEPTED,
        payload={
            "job_id": job_id,
            **({"courier_id": courier} if courier else {}),
            **({"only_on_shift": True} if only_on_shift else {}),
        },
        expected_seq=job.last_seq if expected_seq is None else expected_seq,
    )


def _previous(store: Store, coop_id: str, job_id: str, expected_seq: int | None) -> tuple[dict[str, Any], int]:
    """The courier a job is taken from, for the log (so that courier's socket hears of it)."""
    job = store.job(coop_id, job_id)
    extra = {"previous_courier_id": job.courier_id} if job.courier_id else {}
    return extra, job.last_seq if expected_seq is None else expected_seq


def _bind(
    kind: EventType,
    store: Store,
    coop_id: str,
    job_id: str,
    courier_id: str,
    *,
    dispatcher_id: str,
    at: datetime,
    reason: str = "",
    expected_seq: int | None = None,
    extra: dict[str, Any] | None = None,
) -> Event:
    """A dispatcher binds a job to a courier; ``extra`` carries e.g. the override's cost report."""
    previous, expected_seq = _previous(store, coop_id, job_id, expected_seq)
    payload = {
        "job_id": job_id,
        "courier_id": courier_id,
        "reason": _reason(reason, required=False),
        **previous,
        **(extra or {}),
    }
    return _append(
        store, coop_id, at, Actor(ActorKind.DISPATCHER, dispatcher_id), kind, payload=payload, expected_seq=expected_seq
    )


class Decision(TypedDict, total=False):
    """The keyword arguments of a dispatcher's binding decision."""

    dispatcher_id: Required[str]
    at: Required[datetime]
    reason: str
    expected_seq: int | None
    extra: dict[str, Any] | None


def override(store: Store, coop_id: str, job_id: str, courier_id: str, **decision: Unpack[Decision]) -> Event:
    """Give an open job to a courier other than (or without) the proposal's."""
    return _bind(E.JOB_OVERRIDDEN, store, coop_id, job_id, courier_id, **decision)


def reassign(store: Store, coop_id: str, job_id: str, courier_id: str, **decision: Unpack[Decision]) -> Event:
    """Move an assigned job to another courier."""
    return _bind(E.JOB_REASSIGNED, store, coop_id, job_id, courier_id, **decision)


def unassign(
    store: Store,
    coop_id: str,
    job_id: str,
    *,
    dispatcher_id: str,
    at: datetime,
    reason: str = "",
    expected_seq: int | None = None,
) -> Event:
    previous, expected_seq = _previous(store, coop_id, job_id, expected_seq)
    return _append(
        store,
        coop_id,
        at,
        Actor(ActorKind.DISPATCHER, dispatcher_id),
        E.JOB_UNASSIGNED,
        payload={"job_id": job_id, "reason": _reason(reason, required=False), **previous},
        expected_seq=expected_seq,
    )


@dataclass(frozen=True)
class Unavailable:
    """What :func:`courier_unavailable` did, for the dispatcher who did it."""

    returned: list[str]  #: jobs back in the open queue: the next round proposes them to others
    on_board: list[str]  #: parcels the courier holds: a handover for a person to decide
    kept: dict[str, str]  #: jobs a person acted on meanwhile (their act stands), with why
    shift_ended: bool
    events: list[Event]  #: what was written, to announce
    #: open jobs proposed to them: the proposal is put aside (the job's seq moves, so a dispatcher
    #: who saw it cannot accept it unawares) and the next round proposes each to someone else
    withdrawn: list[str] = field(default_factory=list)


def courier_unavailable(
    store: Store, coop_id: str, courier_id: str, *, dispatcher_id: str, at: datetime, reason: str | Reason
) -> Unavailable:
    """A courier must stop now (sick, a broken bike): one dispatcher act (issue 18).

    Every job of theirs not yet picked up goes back to the open queue, so that the next round
    proposes each to someone else; every proposal standing to them is put aside; each parcel
    already on board is flagged for a handover decision (a meeting point with another courier,
    or back to the sender); their shift ends, so nothing is counted for them from now on. All
    of it is written together, in one transaction where nothing else intervenes; a job someone
    acted on in between keeps that act. Refused (``nothing_to_change``, nothing written) when
    none of it is left to do: off shift, nothing in hand, nothing proposed, every parcel on
    board already flagged (a second call, or a courier who never started), as a second
    deactivation is; there is then no act to record the reason with.
    """
    # a dispatcher's words, or a code the edge words (``absent_today``: the week's absence, whose
    # category, maybe health, stays out of the job events)
    why = reason.to_json() if isinstance(reason, Reason) else _reason(reason, required=True)
    store.courier(coop_id, courier_id)  # NotFound for a courier of another cooperative
    batch, proposed = _stopping(store, coop_id, courier_id, why, Actor(ActorKind.DISPATCHER, dispatcher_id), at)
    if not batch:
        raise NothingToChange("nothing_to_stop", courier=courier_id)
    return _stopped(batch, store.append_all(coop_id, batch), proposed)


def _stopping(
    store: Store, coop_id: str, courier_id: str, why: Any, actor: Actor, at: datetime
) -> tuple[list[tuple[NewEvent, int | None]], set[str]]:
    """The events that stop a courier now, each with the job's seq it was decided on, and the
    jobs whose proposal to them is put aside."""
    batch: list[tuple[NewEvent, int | None]] = []
    proposed: set[str] = set()
    for job in store.jobs(coop_id, ACTIVE_STATES | {JobState.PROPOSED}):
        payload: dict[str, Any] = {"job_id": job.id, "courier_id": courier_id}
        if job.state is JobState.PROPOSED:
            if (job.proposal or {}).get("courier_id") != courier_id or job.needs_decision is not None:
                continue  # not theirs, or already put aside
            note = reason("stopped_proposed", courier=courier_id, why=why).to_json()
            proposed.add(job.id)
            batch.append((NewEvent(coop_id, at, actor, E.PROPOSAL_WITHHELD, {**payload, "reason": note}), job.last_seq))
        elif job.courier_id != courier_id:
            continue
        elif job.state is JobState.PICKED_UP:
            if job.needs_decision is not None:
                continue  # flagged already: a handover is waiting for a person
            note = reason("stopped_on_board", courier=courier_id, why=why).to_json()
            batch.append((NewEvent(coop_id, at, actor, E.PROPOSAL_WITHHELD, {**payload, "reason": note}), job.last_seq))
        else:
            said = reason("stopped_taken_back", courier=courier_id, why=why).to_json()
            payload = {"job_id": job.id, "reason": said, "previous_courier_id": courier_id}
            batch.append((NewEvent(coop_id, at, actor, E.JOB_UNASSIGNED, payload), job.last_seq))
    status = store.courier_statuses(coop_id).get(courier_id)
    if status is not None and status.on_shift:
        # marked: the ledger takes the unworked rest off the planned shift (dispatch/ledger.py)
        ended = {"courier_id": courier_id, "reason": why, "stopped_early": True}
        batch.append((NewEvent(coop_id, at, actor, E.SHIFT_ENDED, ended), None))
    return batch, proposed


def _stopped(
    batch: list[tuple[NewEvent, int | None]], outcomes: list[Event | Exception], proposed: set[str]
) -> Unavailable:
    """What :func:`courier_unavailable`'s batch did, event by event."""
    done = Unavailable(returned=[], on_board=[], kept={}, shift_ended=False, events=[])
    for (new, _), outcome in zip(batch, outcomes, strict=True):
        if isinstance(outcome, Event):
            done.events.append(outcome)
        if new.type is E.SHIFT_ENDED:
            done = replace(done, shift_ended=not isinstance(outcome, Exception))  # else they ended it meanwhile
        elif isinstance(outcome, Exception):
            done.kept[str(new.payload["job_id"])] = str(outcome)
        elif new.type is E.JOB_UNASSIGNED:
            done.returned.append(str(new.payload["job_id"]))
        elif new.payload["job_id"] in proposed:
            done.withdrawn.append(str(new.payload["job_id"]))
        else:
            done.on_board.append(str(new.payload["job_id"]))
    return done


@dataclass(frozen=True)
class Reweighed:
    """What :func:`report_weight` did."""

    event: Event  #: the ParcelReweighed event
    sent_back: Event | None  #: the decline that returned the job to dispatch, if it did not fit
    #: The reason a dispatcher reads on the job sent back (``heavier_than_declared`` or
    #: ``bigger_than_declared``), as a ProposalWithheld: the decline's own reason is the courier's.
    flagged: Event | None = None


#: What a courier can report finding at pickup, per field: (lowest, highest) (the API's bounds too).
FOUND_RANGE: dict[str, tuple[float, float]] = {
    "weight_kg": (0.01, 1000.0),
    "volume_l": (0.01, 10_000.0),
    "longest_side_cm": (1.0, 1000.0),
}
#: How many times a courier may report what they found for one job: each report writes events
#: and calls the client's webhook, and a second look at pickup is one or two, not a flood.
MAX_WEIGHT_REPORTS = 5


@dataclass(frozen=True)
class Found:
    """What the courier found at pickup: the parcels' weight all together, their volume and
    longest side, each only when the courier reported it (None: the job's own, never checked
    against the bounds: a 5 g envelope whose size alone was measured is not refused on a weight
    the courier never gave)."""

    weight_kg: float | None = None
    volume_l: float | None = None
    longest_side_cm: float | None = None

    def __post_init__(self) -> None:
        for name, value, unit in (
            ("weight_kg", self.weight_kg, "kg"),
            ("volume_l", self.volume_l, "litres"),
            ("longest_side_cm", self.longest_side_cm, "cm"),
        ):
            if value is None:
                continue
            bottom, top = FOUND_RANGE[name]
            # the bottom is what a courier can tell apart at pickup: below it (5e-324 kg) the
            # parcels' weights scale to 0 or infinity and no planning round can read the job
            if isinstance(value, bool) or not isinstance(value, int | float) or not bottom <= value <= top:
                raise InvalidInput(name, "found_out_of_range", measure=unit, low=bottom, high=top)

    def kg(self, job: JobView) -> float:
        """The weight the job has from this report on: the one found, else the job's own."""
        return job.weight_kg if self.weight_kg is None else float(self.weight_kg)


def report_weight(
    store: Store,
    coop_id: str,
    job_id: str,
    *,
    courier_id: str,
    weight_kg: float | None,
    at: datetime,
    requote: dict[str, Any] | None = None,
    volume_l: float | None = None,
    longest_side_cm: float | None = None,
) -> Reweighed:
    """At pickup the parcels weigh ``weight_kg`` (and take ``volume_l``, the longest
    ``longest_side_cm``), not what was declared (issue 18). ``weight_kg`` None: only the size
    was found, and the job keeps its weight.

    The job, its ETAs and the ledger's heavy kilograms use what was found from now on. If the
    courier's vehicle cannot carry it with what is already on board, the job goes back to
    dispatch: a decline the planner respects (not proposed to them again), and the reason as a
    code a dispatcher reads in their language until the next round proposes the job to a
    vehicle that can. All of it is written in one transaction.

    The event keeps what was declared beside what was found, whether the job went back, and
    ``requote`` (the cooperative's repricing rule and both quotes, :func:`dispatch.pricing.requoted`),
    so the client's webhook and the quote history say what changed.
    """
    found = Found(weight_kg, volume_l, longest_side_cm)
    courier = store.courier(coop_id, courier_id)
    job = store.job(coop_id, job_id)
    on_board = [j for j in store.jobs(coop_id, [JobState.PICKED_UP]) if j.courier_id == courier_id and j.id != job_id]
    actor = Actor(ActorKind.COURIER, courier_id)
    misfit = _misfit(courier, job, found, on_board)
    _check_report(job, found, sends_back=misfit is not None)
    payload: dict[str, Any] = {
        "courier_id": courier_id,
        "job_id": job_id,
        "weight_kg": found.kg(job),
        "declared_weight_kg": job.client_declared_kg,
        **_size_found(job, found),
        "back_to_dispatch": misfit is not None,
        **({} if requote is None else {"requote": requote}),
    }
    # Appended on the job as it was read: of two reports racing past the count, the second meets
    # the first's seq (the weighing moves it) and is refused as a Conflict, so the cap holds.
    weighed = NewEvent(coop_id, at, actor, E.PARCEL_REWEIGHED, payload)
    batch: list[tuple[NewEvent, int | None]] = [(weighed, job.last_seq)]
    if misfit is not None:
        # the decline says the same as the flag: a reason the edge words for whoever reads it
        declined = {"courier_id": courier_id, "job_id": job_id, "reason": misfit.to_json()}
        batch.append((NewEvent(coop_id, at, actor, E.COURIER_DECLINED, declined), None))
        flagged = {"job_id": job_id, "reason": misfit.to_json()}
        batch.append((NewEvent(coop_id, at, actor, E.PROPOSAL_WITHHELD, flagged), None))
    outcomes = _reweighed(store, coop_id, batch)
    return Reweighed(
        event=outcomes[0],
        sent_back=outcomes[1] if len(outcomes) > 1 else None,
        flagged=outcomes[2] if len(outcomes) > 2 else None,
    )


def _check_report(job: JobView, found: Found, *, sends_back: bool) -> None:
    """Refuse a report that would change nothing (the job's values again, on a vehicle that
    carries them: no event, no webhook), and one report too many for the job
    (:data:`MAX_WEIGHT_REPORTS`). The job's values on a vehicle that cannot carry them do
    change something: the job goes back to dispatch. A job past pickup is refused by the
    projection, in its own words."""
    if job.state not in (JobState.ASSIGNED, JobState.ACKNOWLEDGED):
        return
    if job.weight_reports >= MAX_WEIGHT_REPORTS:
        raise ReportLimit(job.id, MAX_WEIGHT_REPORTS)
    same = math.isclose(found.kg(job), job.weight_kg, rel_tol=1e-9, abs_tol=1e-6)
    if found.volume_l is not None:
        same = same and math.isclose(found.volume_l, _volume(job), rel_tol=1e-9, abs_tol=1e-6)
    if found.longest_side_cm is not None:
        same = same and math.isclose(found.longest_side_cm, _longest(job), rel_tol=1e-9, abs_tol=1e-6)
    if same and not sends_back:
        raise NothingToChange("same_weight_and_size", job=job.id)


def _volume(job: JobView) -> float:
    return sum(float(p.get("volume_l", 0.0)) for p in job.request["parcels"])


def _longest(job: JobView) -> float:
    return max(float(p["longest_side_cm"]) for p in job.request["parcels"])


def _size_found(job: JobView, found: Found) -> dict[str, float]:
    """The size measured at pickup beside the one the job had until then."""
    size: dict[str, float] = {}
    if found.volume_l is not None:
        size |= {"volume_l": float(found.volume_l), "declared_volume_l": _volume(job)}
    if found.longest_side_cm is not None:
        size |= {"longest_side_cm": float(found.longest_side_cm), "declared_longest_side_cm": _longest(job)}
    return size


def _misfit(courier: Courier, job: JobView, found: Found, on_board: list[JobView]) -> Reason | None:
    """Why the courier's vehicle cannot carry what was found (a code with the figures, worded at
    the edge for the dispatcher and for the courier alike), or None when it can."""
    vehicle, kind = courier.vehicle, courier.vehicle.kind.value
    kg_on, litres_on = sum(j.weight_kg for j in on_board), sum(_volume(j) for j in on_board)
    kg = found.kg(job)
    if kg > vehicle.payload_kg - kg_on:
        declared = job.client_declared_kg
        return reason(
            "heavier_than_declared",
            courier=courier.id,
            kg=kg,
            declared=declared,
            vehicle=kind,
            payload=vehicle.payload_kg,
            on_board=kg_on,
        )
    litres = _volume(job) if found.volume_l is None else float(found.volume_l)
    cm = _longest(job) if found.longest_side_cm is None else float(found.longest_side_cm)
    if litres > vehicle.volume_l - litres_on or cm > vehicle.max_length_cm:
        return reason(
            "bigger_than_declared",
            courier=courier.id,
            litres=litres,
            cm=cm,
            vehicle=kind,
            volume=vehicle.volume_l,
            max_cm=vehicle.max_length_cm,
            on_board=litres_on,
        )
    return None


def _reweighed(store: Store, coop_id: str, batch: list[tuple[NewEvent, int | None]]) -> list[Event]:
    """Append the weighing and what follows from it together, or nothing: one unit of work in one
    transaction (as the store's admin acts do), so a refused weighing (the job moved since it was
    read) also takes back the decline that would have followed it, which ``append_all`` would
    have written without it."""

    def work(conn: Connection) -> list[Event]:
        return [
            store._append(
                conn, new, _json_payload(new.payload), idempotency_key=None, request_hash=None, expected_seq=seq
            ).event
            for new, seq in batch
        ]

    return store._commits.run(coop_id, work)


def _courier_act(
    store: Store,
    coop_id: str,
    courier_id: str,
    kind: EventType,
    at: datetime,
    key: str | None,
    also: Callable[[Connection, Event], None] | None = None,
    /,
    **payload: Any,
) -> Event:
    """``key``: the id of the courier's message, so that a phone resending it changes nothing.
    ``also``: rows written in the act's own transaction (:class:`dispatch.store.repository.AppendOptions`)."""
    body = {"courier_id": courier_id, **payload}
    return _append(
        store,
        coop_id,
        at,
        Actor(ActorKind.COURIER, courier_id),
        kind,
        payload=body,
        also=also,
        idempotency_key=None if key is None else f"courier:{courier_id}:{key}",
        request_hash=None
        if key is None
        else hashlib.sha256(json.dumps([kind.value, payload], sort_keys=True, default=str).encode()).hexdigest(),
    )


def acknowledge(
    store: Store, coop_id: str, job_id: str, *, courier_id: str, at: datetime, key: str | None = None
) -> Event:
    return _courier_act(store, coop_id, courier_id, E.COURIER_ACKNOWLEDGED, at, key, job_id=job_id)


def decline(
    store: Store, coop_id: str, job_id: str, *, courier_id: str, at: datetime, reason: str, key: str | None = None
) -> Event:
    """A courier says no, with a reason. It carries no penalty and changes no figure about them."""
    return _courier_act(
        store, coop_id, courier_id, E.COURIER_DECLINED, at, key, job_id=job_id, reason=_reason(reason, required=True)
    )


def pick_up(store: Store, coop_id: str, job_id: str, *, courier_id: str, at: datetime, key: str | None = None) -> Event:
    return _courier_act(store, coop_id, courier_id, E.PICKED_UP, at, key, job_id=job_id)


def deliver(
    store: Store,
    coop_id: str,
    job_id: str,
    *,
    courier_id: str,
    at: datetime,
    carried_m: float = 0.0,
    key: str | None = None,
    proof: dict[str, Any] | None = None,
    also: Callable[[Connection, Event], None] | None = None,
) -> Event:
    """``carried_m``: metres ridden with the parcels (the route's leg), for the kg x km ledger.

    ``proof``: what proof of delivery was given (its kinds and where the client reads it), checked
    by :func:`dispatch.proofs.deliver`; never the proof's content. ``also``: the proof's rows
    (the recipient's name, the code checked), written in the act's transaction.
    """
    if isinstance(carried_m, bool) or not (isinstance(carried_m, int | float) and 0 <= carried_m < 1e6):
        raise InvalidInput("carried_m", "metres_not_negative")
    extra = {} if proof is None else {"proof": proof}
    return _courier_act(
        store, coop_id, courier_id, E.DELIVERED, at, key, also, job_id=job_id, carried_m=float(carried_m), **extra
    )


def fail(
    store: Store, coop_id: str, job_id: str, *, courier_id: str, at: datetime, reason: str, key: str | None = None
) -> Event:
    return _courier_act(
        store, coop_id, courier_id, E.DELIVERY_FAILED, at, key, job_id=job_id, reason=_reason(reason, required=True)
    )


def start_shift(
    store: Store,
    coop_id: str,
    courier_id: str,
    *,
    at: datetime,
    planned_end: datetime | None = None,
    breaks: Sequence[ShiftBreak] = (),
    key: str | None = None,
) -> Event:
    """A shift starts, with the breaks it holds (issue 18), each inside it and planned around."""
    if planned_end is not None and planned_end <= at:
        raise InvalidInput("planned_end", "shift_ends_before_start")
    check_breaks(breaks, at, planned_end)
    held = {"breaks": [b.to_json() for b in breaks]} if breaks else {}
    return _courier_act(
        store,
        coop_id,
        courier_id,
        E.SHIFT_STARTED,
        at,
        key,
        planned_end=None if planned_end is None else planned_end.isoformat(),
        **held,
    )


def pause_shift(store: Store, coop_id: str, courier_id: str, *, at: datetime, key: str | None = None) -> Event:
    return _courier_act(store, coop_id, courier_id, E.SHIFT_PAUSED, at, key)


def resume_shift(store: Store, coop_id: str, courier_id: str, *, at: datetime, key: str | None = None) -> Event:
    return _courier_act(store, coop_id, courier_id, E.SHIFT_RESUMED, at, key)


def end_shift(store: Store, coop_id: str, courier_id: str, *, at: datetime, key: str | None = None) -> Event:
    return _courier_act(store, coop_id, courier_id, E.SHIFT_ENDED, at, key)
