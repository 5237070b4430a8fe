"""The job state machine: which act is allowed in which state, and where it leads.

A job only ever moves by an act of a person (client, dispatcher, courier) or the planner's
proposal; the planner's ``propose`` never takes a job out of a human-decided state.
"""

from __future__ import annotations

from enum import StrEnum

from dispatch.errors import IllegalTransition


class JobState(StrEnum):
    REQUESTED = "requested"
    PROPOSED = "proposed"
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    PICKED_UP = "picked_up"
    DELIVERED = "delivered"
    DECLINED = "declined"  #: the courier said no (with a reason, no penalty); back to the dispatcher
    UNASSIGNED = "unassigned"  #: a dispatcher took it back; back in the open queue
    FAILED = "failed"
    CANCELLED = "cancelled"


class Act(StrEnum):
    PROPOSE = "propose"  #: the planner
    ACCEPT = "accept"  #: a dispatcher accepts the proposal
    OVERRIDE = "override"  #: a dispatcher assigns another courier than proposed (or without proposal)
    REASSIGN = "reassign"  #: a dispatcher moves an assigned job to another courier
    UNASSIGN = "unassign"  #: a dispatcher takes an assigned job back
    ACKNOWLEDGE = "acknowledge"  #: the courier
    DECLINE = "decline"  #: the courier
    PICK_UP = "pick_up"
    DELIVER = "deliver"
    FAIL = "fail"
    CANCEL = "cancel"  #: the client or a dispatcher


S, A = JobState, Act

#: Jobs waiting for a person to decide (the dispatcher's open queue).
OPEN_STATES = frozenset({S.REQUESTED, S.PROPOSED, S.DECLINED, S.UNASSIGNED})
#: Jobs bound to a courier.
ACTIVE_STATES = frozenset({S.ASSIGNED, S.ACKNOWLEDGED, S.PICKED_UP})
FINAL_STATES = frozenset({S.DELIVERED, S.FAILED, S.CANCELLED})

TRANSITIONS: dict[tuple[JobState, Act], JobState] = {
    **{(state, A.PROPOSE): S.PROPOSED for state in OPEN_STATES},
    (S.PROPOSED, A.ACCEPT): S.ASSIGNED,
    **{(state, A.OVERRIDE): S.ASSIGNED for state in OPEN_STATES},
    (S.ASSIGNED, A.REASSIGN): S.ASSIGNED,
    (S.ACKNOWLEDGED, A.REASSIGN): S.ASSIGNED,
    # A handover: another courier takes a parcel already on board (a meeting point), e.g. when
    # the courier who picked it up must go home (issue 18). It stays on board, with them.
    (S.PICKED_UP, A.REASSIGN): S.PICKED_UP,
    (S.ASSIGNED, A.UNASSIGN): S.UNASSIGNED,
    (S.ACKNOWLEDGED, A.UNASSIGN): S.UNASSIGNED,
    (S.ASSIGNED, A.ACKNOWLEDGE): S.ACKNOWLEDGED,
    (S.ASSIGNED, A.DECLINE): S.DECLINED,
    (S.ACKNOWLEDGED, A.DECLINE): S.DECLINED,
    (S.ACKNOWLEDGED, A.PICK_UP): S.PICKED_UP,
    (S.PICKED_UP, A.DELIVER): S.DELIVERED,
    (S.ACKNOWLEDGED, A.FAIL): S.FAILED,  # nothing to pick up at the address
    (S.PICKED_UP, A.FAIL): S.FAILED,  # could not deliver
    **{(state, A.CANCEL): S.CANCELLED for state in OPEN_STATES | {S.ASSIGNED, S.ACKNOWLEDGED}},
}


def next_state(job_id: object, state: JobState, act: Act) -> JobState:
    """Where ``act`` takes a job in ``state``; :class:`IllegalTransition` if it may not."""
    try:
        return TRANSITIONS[(state, act)]
    except KeyError:
        raise IllegalTransition(job_id, state.value, act.value) from None


def allowed_acts(state: JobState) -> list[Act]:
    """The acts a job in ``state`` accepts (for the console's buttons)."""
    return [act for (from_state, act) in TRANSITIONS if from_state == state]
