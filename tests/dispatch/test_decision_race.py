"""An accept and an override sent at the same time, neither with ``expected_seq`` (outside
tester's finding 1): both got a 200, and the courier just given the job lost it to a
JobReassigned nobody meant. A decision is made against the job as it was read when deciding, so
that read's seq guards the append even when the dispatcher sent none: the second act is a
Conflict naming who acted, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

import pytest

from dispatch import commands as do
from dispatch import decisions
from dispatch.decide import Decision, decide
from dispatch.errors import Conflict
from dispatch.events import EventType
from dispatch.lifecycle import JobState
from dispatch.store import Store
from routing.network import BikeNetwork
from tests.dispatch.conftest import Coop, a_request, at


def _proposed(coop: Coop) -> str:
    job = do.request_job(coop.store, coop.id, coop.client, a_request(), at=at(0))
    do.start_shift(coop.store, coop.id, coop.bike, at=at(0))
    do.start_shift(coop.store, coop.id, coop.cargo, at=at(0))
    do.propose(coop.store, coop.id, job.id, coop.bike, at=at(1))
    return job.id


def test_an_override_racing_an_accept_is_a_conflict_not_a_silent_reassignment(
    coop: Coop, helsinki: BikeNetwork, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = _proposed(coop)
    other_desk = Store.open(db_url, migrate=False)  # dispatcher 1, on a connection of their own
    cost = decisions.override_cost

    def while_the_override_is_weighed(*args: Any, **kwargs: Any) -> decisions.OverrideCost:
        weighed = cost(*args, **kwargs)  # dispatcher 2 has read the job and weighs the override...
        decide(other_desk, coop.id, helsinki, job_id, Decision("accept"), dispatcher_id="d1", now=at(2))
        return weighed  # ...while dispatcher 1's accept lands

    monkeypatch.setattr(decisions, "override_cost", while_the_override_is_weighed)
    try:
        with pytest.raises(Conflict) as refused:
            decide(
                coop.store,
                coop.id,
                helsinki,
                job_id,
                Decision("override", coop.cargo, reason="x"),
                dispatcher_id="d2",
                now=at(3),
            )
    finally:
        other_desk.close()
    assert refused.value.last_act == EventType.PROPOSAL_ACCEPTED.value and refused.value.by == "dispatcher d1"
    job = coop.store.job(coop.id, job_id)
    assert job.state is JobState.ASSIGNED and job.courier_id == coop.bike
    kinds = [e.type for e in coop.store.events(coop.id) if e.job_id == job_id]
    assert EventType.JOB_REASSIGNED not in kinds and EventType.JOB_OVERRIDDEN not in kinds


def test_an_unassign_decided_on_an_open_job_does_not_undo_an_accept_made_meanwhile(
    coop: Coop, helsinki: BikeNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = _proposed(coop)
    read, seen = coop.store.job, list[int]()

    def then_the_accept_lands(coop_id: str, jid: str) -> Any:
        view = read(coop_id, jid)
        if not seen:  # the first read is the one the decision is made against
            seen.append(view.last_seq)
            do.accept(coop.store, coop.id, job_id, dispatcher_id="d1", at=at(2))
        return view

    monkeypatch.setattr(coop.store, "job", then_the_accept_lands)
    with pytest.raises(Conflict):
        decide(coop.store, coop.id, helsinki, job_id, Decision("unassign"), dispatcher_id="d2", now=at(3))
    monkeypatch.undo()
    assert coop.store.job(coop.id, job_id).courier_id == coop.bike
