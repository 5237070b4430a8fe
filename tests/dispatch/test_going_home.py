"""A courier goes home sick (issue 18): one dispatcher act sends their jobs not yet picked up
back to the queue, reproposed to others in the next round; parcels on board are flagged for a
handover, which another courier can take; nothing is lost and nothing is counted for the time
they did not work."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch import commands as do
from dispatch.errors import InvalidInput
from dispatch.events import EventType
from dispatch.lifecycle import JobState
from dispatch.model import JobRequest, Parcel, Place, TimeWindow, Vehicle
from dispatch.planning import planning_round
from dispatch.store import Store
from routing.network import BikeNetwork
from tests.dispatch.helsinki import ESPLANADI, KAMPPI, MARKET, NOON, STATION

PLACES = (STATION, MARKET, ESPLANADI, KAMPPI)


def _request(i: int) -> JobRequest:
    window = TimeWindow(NOON, NOON + timedelta(hours=3))
    return JobRequest(
        pickup=Place(*PLACES[i % 4]),
        dropoff=Place(*PLACES[(i + 1) % 4]),
        pickup_window=window,
        dropoff_window=window,
        parcels=(Parcel(weight_kg=3 + i, volume_l=10, longest_side_cm=30),),
    )


def test_a_courier_with_six_jobs_two_on_board_goes_home(store: Store, helsinki: BikeNetwork) -> None:
    coop = store.create_cooperative("Sick day", fairness_weight=1.0).id
    client = store.add_client(coop, "Shop")[0].id
    mikko = store.add_courier(coop, "Mikko", Vehicle.of_kind("cargo_bike")).id
    others = [store.add_courier(coop, n, Vehicle.of_kind("cargo_bike")).id for n in ("Aino", "Eero")]
    for courier in (mikko, *others):
        do.start_shift(store, coop, courier, at=NOON - timedelta(hours=1), planned_end=NOON + timedelta(hours=4))
    jobs = [do.request_job(store, coop, client, _request(i), at=NOON - timedelta(minutes=30)).id for i in range(6)]
    for i, job in enumerate(jobs):
        do.override(store, coop, job, mikko, dispatcher_id="d", at=NOON - timedelta(minutes=20))
        if i >= 3:
            do.acknowledge(store, coop, job, courier_id=mikko, at=NOON - timedelta(minutes=15))
        if i >= 4:
            do.pick_up(store, coop, job, courier_id=mikko, at=NOON - timedelta(minutes=10))
    ledger_before = {e.courier_id: e for e in store.ledger(coop, "2026-11-28")}
    events_before = len(store.events(coop))

    with pytest.raises(InvalidInput, match="say why"):
        do.courier_unavailable(store, coop, mikko, dispatcher_id="d", at=NOON, reason=" ")
    gone = do.courier_unavailable(store, coop, mikko, dispatcher_id="d", at=NOON, reason="fever")
    assert sorted(gone.returned) == sorted(jobs[:4]) and sorted(gone.on_board) == sorted(jobs[4:])
    assert gone.kept == {} and gone.shift_ended
    written = store.events(coop)[events_before:]
    assert [e.type for e in written].count(EventType.JOB_UNASSIGNED) == 4
    assert written[-1].type is EventType.SHIFT_ENDED
    assert all(
        store.job(coop, j).needs_decision == {"code": "stopped_on_board", "params": {"courier": mikko, "why": "fever"}}
        for j in jobs[4:]
    )

    round_ = planning_round(store, coop, helsinki, NOON + timedelta(minutes=1), budget_s=0.5)
    proposed = {e.payload["job_id"]: e.payload["courier_id"] for e in round_.proposals}
    assert sorted(proposed) == sorted(jobs[:4])  # all four reproposed in one round
    assert set(proposed.values()) <= set(others)  # never to the courier who went home
    assert all(store.job(coop, j).state is JobState.PICKED_UP for j in jobs[4:])  # nothing lost

    # Nothing is counted for Mikko from the moment he stopped.
    later = {e.courier_id: e for e in store.ledger(coop, "2026-11-28")}
    worked_at_stop = later[mikko].worked_minutes
    assert worked_at_stop >= ledger_before.get(mikko, later[mikko]).worked_minutes
    assert worked_at_stop <= 20.0 + 1e-6  # from acknowledging at 11:45 to going home at 12:00, at most

    # A handover at a meeting point: Aino takes a parcel on board and delivers it.
    do.reassign(store, coop, jobs[4], others[0], dispatcher_id="d", at=NOON + timedelta(minutes=20), reason="meet")
    handed = store.job(coop, jobs[4])
    assert handed.state is JobState.PICKED_UP and handed.courier_id == others[0] and handed.needs_decision is None
    do.deliver(store, coop, jobs[4], courier_id=others[0], at=NOON + timedelta(minutes=40))
    after = {e.courier_id: e for e in store.ledger(coop, "2026-11-28")}
    assert after[mikko].worked_minutes == worked_at_stop
    assert after[others[0]].worked_minutes > 0


def test_a_deactivated_courier_gets_no_proposal_even_with_a_shift_written_for_them(
    store: Store, helsinki: BikeNetwork
) -> None:
    from dispatch.events import Actor, ActorKind
    from dispatch.store.access import deactivate_courier

    coop = store.create_cooperative("Left us").id
    client = store.add_client(coop, "Shop")[0].id
    gone = store.add_courier(coop, "Mikko", Vehicle.of_kind("cargo_bike")).id
    deactivate_courier(store, coop, gone, by=Actor(ActorKind.DISPATCHER, "d"), reason="moved away")
    do.start_shift(
        store, coop, gone, at=NOON - timedelta(hours=1), planned_end=NOON + timedelta(hours=4)
    )  # a stray write
    job = do.request_job(store, coop, client, _request(0), at=NOON).id
    round_ = planning_round(store, coop, helsinki, NOON, budget_s=0.3)
    assert round_.proposals == [] and job in round_.unassigned
