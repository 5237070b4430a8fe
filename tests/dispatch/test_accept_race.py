"""Accepting a proposal races the courier's own shift end (review item 10): their shift end does
not move the job's seq, so the check before the append cannot see it. The acceptance is marked to
stand only while they are on shift, and the append's transaction refuses it when they are not."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch import commands as do
from dispatch.decide import ProposedToCourierOffShift, accept_proposal
from dispatch.lifecycle import JobState
from dispatch.model import Vehicle
from dispatch.projections import CourierStatus
from dispatch.store import Store
from tests.dispatch.helsinki import MARKET, NOON, STATION
from tests.dispatch.test_planning import job

MIN = timedelta(minutes=1)


def test_a_shift_ending_between_the_check_and_the_acceptance_refuses_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    coop_id = store.create_cooperative("Race coop").id
    client = store.add_client(coop_id, "Shop")[0].id
    veera = store.add_courier(coop_id, "Veera", Vehicle.of_kind("bike")).id
    do.start_shift(store, coop_id, veera, at=NOON - 30 * MIN)
    job_id = do.request_job(store, coop_id, client, job(STATION, MARKET, 4), at=NOON).id
    do.propose(store, coop_id, job_id, veera, at=NOON)
    seen = store.job(coop_id, job_id).last_seq
    read = store.courier_statuses

    def then_she_ends_her_shift(coop: str) -> dict[str, CourierStatus]:
        statuses = read(coop)  # the check sees her on shift...
        do.end_shift(store, coop_id, veera, at=NOON + MIN)  # ...and she ends it right after
        return statuses

    monkeypatch.setattr(store, "courier_statuses", then_she_ends_her_shift)
    with pytest.raises(ProposedToCourierOffShift, match="Veera, who is not on shift"):
        accept_proposal(store, coop_id, job_id, dispatcher_id="desk", at=NOON + 2 * MIN, expected_seq=seen)
    after = store.job(coop_id, job_id)
    assert after.state is JobState.PROPOSED and after.courier_id is None and after.last_seq == seen
