"""A shift a dispatcher stops early leaves the ledger's planned shift (issue 18), but only when its
end carries the mark ``"stopped_early": true`` (review item 18), which ``courier_unavailable``
and deactivation write from then on: a dispatcher's shift end written before the mark keeps the
full planned shift it had when written, so folding the log again never changes a past ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dispatch import commands as do
from dispatch.events import Actor, ActorKind, EventType, NewEvent
from dispatch.model import Vehicle
from dispatch.projections import fold
from dispatch.store import Store
from dispatch.store.access import deactivate_courier
from tests.dispatch.helsinki import NOON

HOURS_4 = 4 * 60.0
DESK = Actor(ActorKind.DISPATCHER, "desk")


def _planned(store: Store, coop_id: str, courier_id: str) -> float:
    return sum(e.planned_shift_minutes for e in store.ledger_of(coop_id, courier_id))


def test_an_old_dispatcher_shift_end_without_the_mark_keeps_the_full_planned_shift(store: Store) -> None:
    coop_id = store.create_cooperative("Old log coop").id
    aino = store.add_courier(coop_id, "Aino", Vehicle.of_kind("bike")).id
    veera = store.add_courier(coop_id, "Veera", Vehicle.of_kind("bike")).id
    for courier in (aino, veera):
        do.start_shift(store, coop_id, courier, at=NOON, planned_end=NOON + timedelta(hours=4))
    # a deactivation's shift end as it was written before the mark
    old = {"courier_id": aino, "reason": "left the cooperative"}
    store.append(NewEvent(coop_id, NOON + timedelta(hours=1), DESK, EventType.SHIFT_ENDED, old))
    # sent home now: marked, the three hours she will not ride leave her planned shift
    stopped = do.courier_unavailable(
        store, coop_id, veera, dispatcher_id="desk", at=NOON + timedelta(hours=1), reason="fever"
    )
    [ended] = [e for e in stopped.events if e.type is EventType.SHIFT_ENDED]
    assert ended.payload["stopped_early"] is True
    assert _planned(store, coop_id, aino) == HOURS_4
    assert _planned(store, coop_id, veera) == 60.0

    # the log folded again gives the same ledger
    coop = store.cooperative(coop_id)
    again = fold(store.events(coop_id), timezone=ZoneInfo(coop.timezone), heavy_threshold_kg=coop.heavy_threshold_kg)
    assert {c: e.planned_shift_minutes for (c, _), e in again.ledger.items()} == {aino: HOURS_4, veera: 60.0}


def test_a_deactivation_marks_the_shift_it_ends(store: Store) -> None:
    coop_id = store.create_cooperative("Leaving coop").id
    aino = store.add_courier(coop_id, "Aino", Vehicle.of_kind("bike")).id
    now = datetime.now(UTC)
    do.start_shift(store, coop_id, aino, at=now, planned_end=now + timedelta(hours=4))
    done = deactivate_courier(store, coop_id, aino, by=DESK, reason="moved away")
    [ended] = [e for e in done.events if e.type is EventType.SHIFT_ENDED]
    assert ended.payload["stopped_early"] is True
    assert _planned(store, coop_id, aino) < 1
