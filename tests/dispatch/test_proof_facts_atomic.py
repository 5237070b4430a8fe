"""The recipient's name and the code checked are kept in the deliver act's own transaction
(review item 14): when the process stops while they are written, the act is not kept either, so
the log never has a ``Delivered`` naming proofs with no row behind them; the phone's resend of
the act then records the act and both facts together."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete

from dispatch import commands, proofs
from dispatch.events import EventType
from dispatch.lifecycle import JobState
from dispatch.proofs import Given, ProofKind
from dispatch.store import proofs as kept
from dispatch.store.schema import ProofRow
from tests.dispatch.conftest import Coop, a_request, at


def _picked_up_needing_name_and_code(coop: Coop) -> str:
    store = coop.store
    job = commands.request_job(store, coop.id, coop.client, a_request(), at=at(0)).id
    kept.require(store, coop.id, job, proofs.requirement(frozenset({ProofKind.NAME}), "4711"), coop.client)
    commands.override(store, coop.id, job, coop.bike, dispatcher_id="d", at=at(1))
    commands.acknowledge(store, coop.id, job, courier_id=coop.bike, at=at(2))
    commands.pick_up(store, coop.id, job, courier_id=coop.bike, at=at(3))
    return job


def test_a_stop_while_the_facts_are_written_keeps_neither_act_nor_facts(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = _picked_up_needing_name_and_code(coop)
    given = Given(recipient_name="Liisa", code="4711")
    insert = kept._insert

    def stops_at_the_code(*args: Any, **values: Any) -> str:
        if args[4] is ProofKind.CODE:  # the name is written; the process stops before the code
            raise RuntimeError("the process stopped")
        return insert(*args, **values)

    monkeypatch.setattr(kept, "_insert", stops_at_the_code)
    with pytest.raises(RuntimeError, match="stopped"):
        proofs.deliver(coop.store, coop.id, job, courier_id=coop.bike, at=at(10), given=given, key="m1")
    monkeypatch.undo()
    assert coop.store.job(coop.id, job).state is JobState.PICKED_UP
    assert not [e for e in coop.store.events(coop.id) if e.job_id == job and e.type is EventType.DELIVERED]
    assert kept.proofs_of_job(coop.store, coop.id, job) == []

    event = proofs.deliver(coop.store, coop.id, job, courier_id=coop.bike, at=at(11), given=given, key="m1")
    assert event.type is EventType.DELIVERED and event.payload["proof"]["kinds"] == ["code", "name"]
    facts = {p.kind: p.text for p in kept.proofs_of_job(coop.store, coop.id, job)}
    assert facts == {ProofKind.NAME: "Liisa", ProofKind.CODE: None}
    assert kept.requirement_of(coop.store, coop.id, job)[1] == 0  # the right code counts no wrong try


def test_a_resent_act_restores_a_code_check_an_older_act_lost(coop: Coop) -> None:
    """An act recorded before the facts shared its transaction may have lost them: its resend
    keeps the code check again, as it keeps the name (without the code, which is never kept)."""
    job = _picked_up_needing_name_and_code(coop)
    given = Given(recipient_name="Liisa", code="4711")
    # in the evening: the restored rows are dated by the stored act (in UTC), and the purge test
    # of test_proofs.py counts every cooperative's rows of the morning in this shared database
    event = proofs.deliver(coop.store, coop.id, job, courier_id=coop.bike, at=at(600), given=given, key="m2")
    with coop.store.engine.begin() as conn:  # as a stop right after the act left it
        conn.execute(delete(ProofRow).where(ProofRow.cooperative_id == coop.id, ProofRow.job_id == job))
    again = proofs.deliver(coop.store, coop.id, job, courier_id=coop.bike, at=at(602), given=given, key="m2")
    assert again.seq == event.seq
    facts = {p.kind: p.text for p in kept.proofs_of_job(coop.store, coop.id, job)}
    assert facts == {ProofKind.NAME: "Liisa", ProofKind.CODE: None}
    proofs.deliver(coop.store, coop.id, job, courier_id=coop.bike, at=at(603), given=given, key="m2")
    assert len(kept.proofs_of_job(coop.store, coop.id, job)) == 2  # kept once
