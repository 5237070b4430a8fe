"""A dispatcher's decision on a job, as one call: which act it is, and whether the job's state allows it.

Every door a decision comes in by (the console's API today, a script tomorrow) gets the same
rules: accept binds the proposal's courier while they are on shift; unassign goes straight to its
command; override gives an open job and reassign moves an assigned one, each at the cost stated
first (dispatch/decisions.py); reassign also hands a parcel already on board over to another
courier, refused at a physical limit of their vehicle or when they are off shift or paused,
unless forced with a reason (a handover at a meeting point, issue 18). A stale decision is left
to the store, whose Conflict names who acted meanwhile: that says more than a complaint about the
state the job is in now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from dispatch import commands
from dispatch.decisions import OverrideCost, decide_override, override_cost
from dispatch.errors import IllegalTransition, InvalidInput, PhysicalLimit
from dispatch.events import Event
from dispatch.lifecycle import FINAL_STATES, OPEN_STATES, JobState
from dispatch.model import JobRequest
from dispatch.projections import AcceptedOffShift
from dispatch.store import Store
from routing.network import BikeNetwork
from routing.reasons import Reason, reason

Action = Literal["accept", "override", "reassign", "unassign"]
#: The states a job may be reassigned from: someone has it. Once it is picked up, a reassignment is
#: a handover (a meeting point): the parcel moves on board to the other courier, who only has its
#: drop-off left to ride (issue 18: the courier who picked it up had to go home).
REASSIGNABLE = frozenset({JobState.ASSIGNED, JobState.ACKNOWLEDGED, JobState.PICKED_UP})


class ProposedToCourierOffShift(IllegalTransition):
    """A proposal to a courier who is no longer on shift (sent home, shift ended): accepting it
    would bind a job to someone who will not ride it (attack finding 3), so it is refused; the
    next round proposes the job to someone on shift, or a dispatcher overrides it."""

    code = "courier_off_shift"

    def __init__(self, job_id: str, name: str) -> None:
        super().__init__(job_id, JobState.PROPOSED.value, "accept")
        self.why, self.params = "proposed_to_off_shift", {**self.params, "name": name}


class HandoverLimit(PhysicalLimit):
    """A handover the other courier cannot take as things stand: their vehicle's limits, or they
    are off shift or paused. The same code as a physical limit, so the console offers ``force``."""

    def __init__(self, limits: tuple[Reason, ...]) -> None:
        super().__init__(limits)
        self.why = "handover_limit"


class JobFinished(IllegalTransition):
    """A decision on a delivered, failed or cancelled job: its state forbids every act (409, as
    any act the job's state forbids), and the message says none would do."""

    def __init__(self, job_id: str, state: str, act: str) -> None:
        super().__init__(job_id, state, act)
        self.why = "job_finished"


def accept_proposal(
    store: Store, coop_id: str, job_id: str, *, dispatcher_id: str, at: datetime, expected_seq: int | None = None
) -> Event:
    """Accept the job's proposal, unless its courier is off shift now. The job is read once and
    the acceptance is guarded by that read's seq: a proposal put aside meanwhile (the courier
    sent home) makes it a Conflict, never an acceptance of what was checked before. The courier's
    own shift end does not move the job's seq, so the acceptance is also marked to stand only
    while they are on shift, checked again in the append's transaction (review item 10): the
    check here names them early, that one holds in a race."""
    job = store.job(coop_id, job_id)
    seq = job.last_seq if expected_seq is None else expected_seq
    courier_id = (job.proposal or {}).get("courier_id")
    if job.state is JobState.PROPOSED and seq == job.last_seq and courier_id is not None:
        status = store.courier_statuses(coop_id).get(str(courier_id))
        if status is None or not status.on_shift:
            raise ProposedToCourierOffShift(job_id, store.courier(coop_id, str(courier_id)).display_name)
    try:
        return commands.accept(
            store, coop_id, job_id, dispatcher_id=dispatcher_id, at=at, expected_seq=seq, only_on_shift=True
        )
    except AcceptedOffShift as exc:
        raise ProposedToCourierOffShift(job_id, store.courier(coop_id, exc.courier_id).display_name) from exc


@dataclass(frozen=True)
class Decision:
    """What a dispatcher decided; ``expected_seq`` is the last seq they saw of the job."""

    action: Action
    courier_id: str | None = None
    reason: str = ""
    force: bool = False
    expected_seq: int | None = None


def _check_state(store: Store, coop_id: str, job_id: str, decision: Decision) -> None:
    """Refuse a decision the job's state does not allow, naming the act that would do (or saying
    that none would: a finished job is nobody's to move)."""
    job = store.job(coop_id, job_id)
    if decision.expected_seq is not None and decision.expected_seq != job.last_seq:
        return  # stale: the store's Conflict says who acted, which is what the dispatcher needs
    state = job.state.value
    if job.state in FINAL_STATES:
        raise JobFinished(job_id, state, decision.action)
    if decision.action == "override" and job.state not in OPEN_STATES:
        raise InvalidInput("action", "use_reassign", job=job_id, state=state)
    if decision.action == "reassign" and job.state not in REASSIGNABLE:
        raise InvalidInput("action", "use_override", job=job_id, state=state)
    if decision.action == "unassign" and job.state is JobState.PICKED_UP:
        raise InvalidInput("action", "on_board_use_reassign", job=job_id)


def decision_cost(
    store: Store, coop_id: str, network: BikeNetwork, job_id: str, courier_id: str, now: datetime
) -> OverrideCost:
    """What giving ``job_id`` to ``courier_id`` would cost, said before deciding: an override's
    or a reassignment's cost against the plan, or a handover's physical limits."""
    if store.job(coop_id, job_id).state is JobState.PICKED_UP:
        return handover_cost(store, coop_id, job_id, courier_id)
    return override_cost(store, coop_id, network, job_id, courier_id, now)


def handover_cost(store: Store, coop_id: str, job_id: str, courier_id: str) -> OverrideCost:
    """A parcel on board handed over at a meeting point: what the other courier's vehicle must
    hold, with what they already carry on board. The minutes are not compared: where they meet
    is for the two couriers to say, and the next round plans only the drop-off from there (the
    parcel is on board with them: ``dispatch/planning.py``).

    A courier off shift or on a pause is a limit too, as a vehicle's payload is: the planner
    leaves their work aside (``courier_off_shift``), so the parcel would sit unplanned unless a
    person forces it and says why (the reason is what the log keeps of it)."""
    parcel = JobRequest.from_json(store.job(coop_id, job_id).request)
    vehicle = store.courier(coop_id, courier_id).vehicle
    carried = [
        JobRequest.from_json(j.request)
        for j in store.jobs(coop_id, (JobState.PICKED_UP,))
        if j.courier_id == courier_id and j.id != job_id
    ]
    kg = parcel.weight_kg + sum(r.weight_kg for r in carried)
    litres = parcel.volume_l + sum(r.volume_l for r in carried)
    limits: list[Reason] = []
    if kg > vehicle.payload_kg:
        limits.append(
            reason("over_payload", kg=kg, payload=vehicle.payload_kg, courier=courier_id, vehicle=vehicle.kind.value)
        )
    if litres > vehicle.volume_l:
        limits.append(reason("over_volume", litres=litres, volume=vehicle.volume_l))
    if parcel.longest_side_cm > vehicle.max_length_cm:
        limits.append(reason("over_length", cm=parcel.longest_side_cm, max_cm=vehicle.max_length_cm))
    status = store.courier_statuses(coop_id).get(courier_id)
    if status is None or not status.on_shift:
        limits.append(reason("not_on_shift", courier=courier_id))
    elif status.paused:
        limits.append(reason("courier_paused", courier=courier_id))
    return OverrideCost(job_id, courier_id, None, None, 0.0, None, None, tuple(limits), tuple(limits))


def _hand_over(
    store: Store, coop_id: str, job_id: str, decision: Decision, *, dispatcher_id: str, now: datetime
) -> tuple[Event, OverrideCost]:
    """Reassign a parcel on board: refused at a physical limit of the other vehicle, or to a
    courier off shift or paused, unless forced with a reason, like an override; the parcel stays
    on board, now with the other courier."""
    assert decision.courier_id is not None
    if store.job(coop_id, job_id).courier_id == decision.courier_id:  # said before any limit of theirs
        raise InvalidInput("courier_id", "already_with", job=job_id, courier=decision.courier_id)
    cost = handover_cost(store, coop_id, job_id, decision.courier_id)
    if cost.breaks and not decision.force:
        raise HandoverLimit(cost.breaks)
    if cost.breaks and not decision.reason.strip():
        raise InvalidInput("reason", "forced_needs_reason")
    event = commands.reassign(
        store,
        coop_id,
        job_id,
        decision.courier_id,
        dispatcher_id=dispatcher_id,
        at=now,
        reason=decision.reason,
        expected_seq=decision.expected_seq,
        extra={"cost": cost.to_json(), "forced": bool(cost.breaks), "handover": True},
    )
    return event, cost


def decide(
    store: Store,
    coop_id: str,
    network: BikeNetwork,
    job_id: str,
    decision: Decision,
    *,
    dispatcher_id: str,
    now: datetime,
) -> tuple[Event, OverrideCost | None]:
    """Record ``decision`` on ``job_id``; an override or reassignment also returns what it costs."""
    seq = decision.expected_seq
    if decision.action == "accept":
        return accept_proposal(store, coop_id, job_id, dispatcher_id=dispatcher_id, at=now, expected_seq=seq), None
    if decision.action == "unassign":
        _check_state(store, coop_id, job_id, decision)
        event = commands.unassign(
            store, coop_id, job_id, dispatcher_id=dispatcher_id, at=now, reason=decision.reason, expected_seq=seq
        )
        return event, None
    if decision.courier_id is None:
        raise InvalidInput("courier_id", "needs_courier", action=decision.action)
    _check_state(store, coop_id, job_id, decision)
    if not store.courier(coop_id, decision.courier_id).active:
        raise InvalidInput("courier_id", "courier_deactivated_give")
    if store.job(coop_id, job_id).state is JobState.PICKED_UP:
        return _hand_over(store, coop_id, job_id, decision, dispatcher_id=dispatcher_id, now=now)
    return decide_override(
        store,
        coop_id,
        network,
        job_id,
        decision.courier_id,
        dispatcher_id=dispatcher_id,
        now=now,
        reason=decision.reason,
        force=decision.force,
        expected_seq=seq,
    )
