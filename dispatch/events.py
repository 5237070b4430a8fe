"""Events: immutable facts, the source of truth. Current state is a fold of them.

Every event has an id, its cooperative, a timestamp, an actor (who), a type, a payload and a
per-cooperative sequence number given by the store when the event is appended.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from dispatch.errors import InvalidInput
from dispatch.lifecycle import Act


class EventType(StrEnum):
    JOB_REQUESTED = "JobRequested"
    JOB_CANCELLED = "JobCancelled"
    PROPOSAL_MADE = "ProposalMade"
    #: The planner could not propose this open job: a person must decide (with the reason).
    PROPOSAL_WITHHELD = "ProposalWithheld"
    PROPOSAL_ACCEPTED = "ProposalAccepted"
    JOB_OVERRIDDEN = "JobOverridden"
    JOB_REASSIGNED = "JobReassigned"
    JOB_UNASSIGNED = "JobUnassigned"
    COURIER_ACKNOWLEDGED = "CourierAcknowledged"
    COURIER_DECLINED = "CourierDeclined"
    PICKED_UP = "PickedUp"
    DELIVERED = "Delivered"
    DELIVERY_FAILED = "DeliveryFailed"
    SHIFT_STARTED = "ShiftStarted"
    SHIFT_PAUSED = "ShiftPaused"
    SHIFT_RESUMED = "ShiftResumed"
    SHIFT_ENDED = "ShiftEnded"
    COURIER_POSITION_SHARED = "CourierPositionShared"
    #: At pickup the courier found the parcels heavier (or lighter) than declared (issue 18).
    PARCEL_REWEIGHED = "ParcelReweighed"
    #: Admin acts (issue 16): who changed the cooperative's set-up, when and what. They change
    #: no job, shift or ledger; the projection folds them as nothing.
    CLIENT_KEY_REVOKED = "ClientKeyRevoked"
    CLIENT_KEY_ROTATED = "ClientKeyRotated"
    COURIER_DEACTIVATED = "CourierDeactivated"
    COURIER_REACTIVATED = "CourierReactivated"
    COOPERATIVE_SETTINGS_CHANGED = "CooperativeSettingsChanged"
    MEMBER_LOGIN_REVOKED = "MemberLoginRevoked"
    MEMBER_PASSWORD_RESET = "MemberPasswordReset"
    #: A departed courier's personal data erased (the GDPR's right to erasure): their id stays.
    COURIER_ERASED = "CourierErased"
    #: Proofs of delivery past the retention were deleted (issue 18): how many, taken before when.
    PROOFS_PURGED = "ProofsPurged"
    #: Decline reasons past the cooperative's retention forgotten (issue 16): how many, before when.
    DECLINE_REASONS_PURGED = "DeclineReasonsPurged"
    #: The cooperative's week (issue 23, dispatch/availability.py and dispatch/week.py): when a
    #: courier can work, their contracted hours, the rota proposed, edited and published, and
    #: swaps a dispatcher confirms. They change no job, shift or ledger.
    AVAILABILITY_DECLARED = "AvailabilityDeclared"
    CONTRACT_SET = "ContractSet"
    ROTA_PROPOSED = "RotaProposed"
    ROTA_EDITED = "RotaEdited"
    ROTA_PUBLISHED = "RotaPublished"
    SHIFT_SWAP_REQUESTED = "ShiftSwapRequested"
    SHIFT_SWAP_DECIDED = "ShiftSwapDecided"
    #: A courier of the published rota cannot come (sick, other), and who covers for them.
    ABSENCE_RECORDED = "AbsenceRecorded"
    COVER_ASSIGNED = "CoverAssigned"
    #: The dispatcher chose no one of those who could cover, for now (the rota is unchanged).
    NO_COVER_PICKED = "NoCoverPicked"
    #: A dispatcher decided that some of a courier's time on a local day is overtime
    #: (dispatch/overtime.py); the latest for a courier and day stands, 0 minutes withdraws it.
    OVERTIME_DECIDED = "OvertimeDecided"


class ActorKind(StrEnum):
    DISPATCHER = "dispatcher"
    COURIER = "courier"
    CLIENT = "client"
    SYSTEM = "system"  #: the planner, the clock, an import
    ADMIN = "admin"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str | None = None  #: the dispatcher's, courier's or client's id; None for the system

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorKind.SYSTEM)


#: The lifecycle act each job event performs (JobRequested creates the job).
JOB_ACTS: dict[EventType, Act] = {
    EventType.JOB_CANCELLED: Act.CANCEL,
    EventType.PROPOSAL_MADE: Act.PROPOSE,
    EventType.PROPOSAL_ACCEPTED: Act.ACCEPT,
    EventType.JOB_OVERRIDDEN: Act.OVERRIDE,
    EventType.JOB_REASSIGNED: Act.REASSIGN,
    EventType.JOB_UNASSIGNED: Act.UNASSIGN,
    EventType.COURIER_ACKNOWLEDGED: Act.ACKNOWLEDGE,
    EventType.COURIER_DECLINED: Act.DECLINE,
    EventType.PICKED_UP: Act.PICK_UP,
    EventType.DELIVERED: Act.DELIVER,
    EventType.DELIVERY_FAILED: Act.FAIL,
}

#: The admin acts: facts about the cooperative's set-up, recorded with who did them.
ADMIN_EVENTS = frozenset(
    {
        EventType.CLIENT_KEY_REVOKED,
        EventType.CLIENT_KEY_ROTATED,
        EventType.COURIER_DEACTIVATED,
        EventType.COURIER_REACTIVATED,
        EventType.COOPERATIVE_SETTINGS_CHANGED,
        EventType.MEMBER_LOGIN_REVOKED,
        EventType.MEMBER_PASSWORD_RESET,
        EventType.COURIER_ERASED,
        EventType.PROOFS_PURGED,
        EventType.DECLINE_REASONS_PURGED,
    }
)

#: The week's planning (issue 23): folded by dispatch/week.py, as nothing by the day's projection.
WEEK_EVENTS = frozenset(
    {
        EventType.AVAILABILITY_DECLARED,
        EventType.CONTRACT_SET,
        EventType.ROTA_PROPOSED,
        EventType.ROTA_EDITED,
        EventType.ROTA_PUBLISHED,
        EventType.SHIFT_SWAP_REQUESTED,
        EventType.SHIFT_SWAP_DECIDED,
        EventType.ABSENCE_RECORDED,
        EventType.COVER_ASSIGNED,
        EventType.NO_COVER_PICKED,
        EventType.OVERTIME_DECIDED,
    }
)

#: Payload keys each type must carry (more may follow; unknown types are refused).
REQUIRED: dict[EventType, frozenset[str]] = {
    EventType.JOB_REQUESTED: frozenset({"job_id", "client_id", "request"}),
    EventType.JOB_CANCELLED: frozenset({"job_id"}),
    EventType.PROPOSAL_MADE: frozenset({"job_id", "courier_id"}),
    EventType.PROPOSAL_WITHHELD: frozenset({"job_id", "reason"}),
    EventType.PROPOSAL_ACCEPTED: frozenset({"job_id"}),
    EventType.JOB_OVERRIDDEN: frozenset({"job_id", "courier_id"}),
    EventType.JOB_REASSIGNED: frozenset({"job_id", "courier_id"}),
    EventType.JOB_UNASSIGNED: frozenset({"job_id"}),
    EventType.COURIER_ACKNOWLEDGED: frozenset({"job_id"}),
    EventType.COURIER_DECLINED: frozenset({"job_id", "reason"}),
    EventType.PICKED_UP: frozenset({"job_id"}),
    EventType.DELIVERED: frozenset({"job_id"}),
    EventType.DELIVERY_FAILED: frozenset({"job_id", "reason"}),
    EventType.SHIFT_STARTED: frozenset({"courier_id"}),
    EventType.SHIFT_PAUSED: frozenset({"courier_id"}),
    EventType.SHIFT_RESUMED: frozenset({"courier_id"}),
    EventType.SHIFT_ENDED: frozenset({"courier_id"}),
    EventType.COURIER_POSITION_SHARED: frozenset({"courier_id", "lon", "lat", "job_id"}),
    EventType.PARCEL_REWEIGHED: frozenset({"courier_id", "job_id", "weight_kg"}),
    EventType.CLIENT_KEY_REVOKED: frozenset({"client_id"}),
    EventType.CLIENT_KEY_ROTATED: frozenset({"client_id"}),
    EventType.COURIER_DEACTIVATED: frozenset({"courier_id", "reason"}),
    EventType.COURIER_REACTIVATED: frozenset({"courier_id"}),
    EventType.COOPERATIVE_SETTINGS_CHANGED: frozenset({"changes"}),
    EventType.MEMBER_LOGIN_REVOKED: frozenset({"member_id", "role"}),
    EventType.MEMBER_PASSWORD_RESET: frozenset({"member_id", "role"}),
    EventType.COURIER_ERASED: frozenset({"courier_id", "reason"}),
    EventType.PROOFS_PURGED: frozenset({"proofs", "before"}),
    EventType.DECLINE_REASONS_PURGED: frozenset({"declines", "before"}),
    EventType.AVAILABILITY_DECLARED: frozenset({"courier_id", "weekly", "exceptions", "holidays"}),
    EventType.CONTRACT_SET: frozenset({"courier_id", "min_h", "max_h"}),
    EventType.ROTA_PROPOSED: frozenset({"week", "shifts", "gaps"}),
    EventType.ROTA_EDITED: frozenset({"week", "edit", "shifts"}),
    EventType.ROTA_PUBLISHED: frozenset({"week", "shifts"}),
    EventType.SHIFT_SWAP_REQUESTED: frozenset({"swap_id", "week", "courier_id", "shift_id", "with_courier_id"}),
    EventType.SHIFT_SWAP_DECIDED: frozenset({"swap_id", "week", "confirmed"}),
    EventType.ABSENCE_RECORDED: frozenset({"week", "shift_id", "courier_id", "reason", "shifts"}),
    EventType.COVER_ASSIGNED: frozenset({"week", "shift_id", "courier_id", "shifts"}),
    EventType.NO_COVER_PICKED: frozenset({"week", "shift_id", "courier_id", "offered"}),
    EventType.OVERTIME_DECIDED: frozenset({"courier_id", "day", "minutes"}),
}


@dataclass(frozen=True)
class NewEvent:
    """An event before the store numbers it."""

    cooperative_id: str
    at: datetime
    actor: Actor
    type: EventType
    payload: dict[str, Any]
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise InvalidInput("at", "needs_time_zone")
        if not isinstance(self.type, EventType):
            raise InvalidInput("type", "unknown_event_type", value=str(self.type))
        missing = REQUIRED[self.type] - self.payload.keys()
        if missing:
            raise InvalidInput("payload", "payload_needs", values=sorted(missing))


@dataclass(frozen=True)
class Event:
    """A stored event: a :class:`NewEvent` with its per-cooperative sequence number."""

    seq: int
    id: str
    cooperative_id: str
    at: datetime
    actor: Actor
    type: EventType
    payload: dict[str, Any]

    @property
    def job_id(self) -> str | None:
        job = self.payload.get("job_id")
        return None if job is None else str(job)
