"""Positions: only with a job in hand, deleted after the retention (on a simulated clock)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch import commands
from dispatch.errors import InvalidInput
from dispatch.store import positions
from tests.dispatch.conftest import Coop, a_request, at


def test_a_position_is_kept_only_with_a_job_in_hand_and_only_for_the_retention(coop: Coop) -> None:
    store = coop.store
    commands.start_shift(store, coop.id, coop.bike, at=at(0))
    job = commands.request_job(store, coop.id, coop.client, a_request(), at=at(1)).id
    with pytest.raises(InvalidInput):  # not yet theirs
        positions.record(store, coop.id, coop.bike, job, 24.94, 60.17, at(2))
    commands.override(store, coop.id, job, coop.bike, dispatcher_id="d", at=at(3))
    with pytest.raises(InvalidInput):  # assigned, but not acknowledged: not in hand yet
        positions.record(store, coop.id, coop.bike, job, 24.94, 60.17, at(4))
    commands.acknowledge(store, coop.id, job, courier_id=coop.bike, at=at(5))
    with pytest.raises(InvalidInput):  # another courier cannot share on this job
        positions.record(store, coop.id, coop.cargo, job, 24.94, 60.17, at(6))
    for bad in (float("nan"), float("inf"), 200.0):
        with pytest.raises(InvalidInput):
            positions.record(store, coop.id, coop.bike, job, bad, 60.17, at(6))
    positions.record(store, coop.id, coop.bike, job, 24.941, 60.171, at(6))
    positions.record(store, coop.id, coop.bike, job, 24.945, 60.170, at(10))
    latest = positions.latest(store, coop.id)
    assert [(p.courier_id, p.lon) for p in latest] == [(coop.bike, 24.945)]
    commands.pick_up(store, coop.id, job, courier_id=coop.bike, at=at(12))
    commands.deliver(store, coop.id, job, courier_id=coop.bike, at=at(20))
    with pytest.raises(InvalidInput):  # the job is done: sharing stops
        positions.record(store, coop.id, coop.bike, job, 24.94, 60.17, at(21))

    assert positions.purge(store, now=at(6) + timedelta(hours=23)) == 0
    assert positions.purge(store, now=at(6) + timedelta(hours=24, minutes=1)) == 1  # the 08:06 one
    assert [p.lon for p in positions.of_courier(store, coop.id, coop.bike)] == [24.945]
    assert positions.purge(store, now=at(10) + timedelta(hours=2), retention=timedelta(hours=1)) == 1
    assert positions.latest(store, coop.id) == []
