"""A dispatcher's decision on a job, as one call: which act it is, and whether the job's state allows it.

Every door a decision comes in by (the console's API today, a script tomorrow) gets the same
rules: accept and unassign go straight to their command; override gives an open job and
reassign moves an assigned one, each at the cost stated first (dispatch/decisions.py). A stale
decision is left to the store, whose Conflict names who acted meanwhile: that says more than a
complaint about the state the job is in now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from dispatch import commands
from dispatch.decisions import OverrideCost, decide_override
from dispatch.errors import InvalidInput
from dispatch.events import Event
from dispatch.lifecycle import OPEN_STATES, JobState
from dispatch.store import Store
from routing.network import BikeNetwork

Action = Literal["accept", "override", "reassign", "unassign"]
#: The states a job may be reassigned from (someone has it, and has not picked it up).
REASSIGNABLE = frozenset({JobState.ASSIGNED, JobState.ACKNOWLEDGED})


@dataclass(frozen=True)
class Decision:
    """What a dispatcher decided; ``expected_seq`` is the last seq they saw of the job."""

    action: Action
    courier_id: str | None = None
    reason: str = ""
    force: bool = False
    expected_seq: int | None = None


def _check_state(store: Store, coop_id: str, job_id: str, decision: Decision) -> None:
    """Refuse an override of an assigned job or a reassignment of an open one, naming the right act."""
    job = store.job(coop_id, job_id)
    if decision.expected_seq is not None and decision.expected_seq != job.last_seq:
        return  # stale: the store's Conflict says who acted, which is what the dispatcher needs
    if decision.action == "override" and job.state not in OPEN_STATES:
        raise InvalidInput("action", f"job {job_id} is {job.state.value}: use reassign to move it")
    if decision.action == "reassign" and job.state not in REASSIGNABLE:
        raise InvalidInput("action", f"job {job_id} is {job.state.value}: use override to give an open job")


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
        return commands.accept(store, coop_id, job_id, dispatcher_id=dispatcher_id, at=now, expected_seq=seq), None
    if decision.action == "unassign":
        event = commands.unassign(
            store, coop_id, job_id, dispatcher_id=dispatcher_id, at=now, reason=decision.reason, expected_seq=seq
        )
        return event, None
    if decision.courier_id is None:
        raise InvalidInput("courier_id", f"{decision.action} needs the courier to give the job to")
    _check_state(store, coop_id, job_id, decision)
    if not store.courier(coop_id, decision.courier_id).active:
        raise InvalidInput("courier_id", "this courier is deactivated: reactivate them before giving them work")
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
