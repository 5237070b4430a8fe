"""Two dispatchers deciding one courier's day from the same read, on two workers at once (issue
23): with ``expected_seq``, the check runs in the append's transaction, so exactly one decision
is written and the other is refused as :class:`OvertimeChanged`, naming who decided what; on
SQLite (one file, two engines) and PostgreSQL alike."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import timedelta

from dispatch import overtime
from dispatch.events import Actor, ActorKind, Event, EventType
from dispatch.store import Store
from tests.dispatch.test_overtime import DESK, LATER, MONDAY, _coop, _race

OTHER_DESK = Actor(ActorKind.DISPATCHER, "desk-2")


def test_two_decisions_from_one_read_on_two_workers_write_one(store: Store, db_url: str) -> None:
    coop_id, lou, sam = _coop(store)
    tuesday = "2026-12-08"
    overtime.decide(store, coop_id, sam, tuesday, 10, actor=DESK, at=LATER)
    seen = store.cooperative_last_seq(coop_id)
    other = Store.open(db_url)
    try:

        def deciding(minutes: int, actor: Actor) -> Callable[[Store], object]:
            def decide(on: Store) -> object:
                try:
                    return overtime.decide(on, coop_id, lou, tuesday, minutes, actor=actor, at=LATER, expected_seq=seen)
                except overtime.OvertimeChanged as exc:
                    return exc

            return decide

        outcomes = _race([store, other], [deciding(30, DESK), deciding(45, OTHER_DESK)])
    finally:
        other.close()
    refused = [o for o in outcomes if isinstance(o, overtime.OvertimeChanged)]
    written = [o for o in outcomes if not isinstance(o, overtime.OvertimeChanged)]
    assert len(refused) == 1 and len(written) == 1, outcomes
    (won,), (lost,) = written, refused
    assert isinstance(won, Event)
    assert lost.why == "overtime_changed" and lost.params["minutes"] == won.payload["minutes"]
    assert lost.by == f"dispatcher {won.actor.id}" and lost.actual_seq == won.seq
    assert pickle.loads(pickle.dumps(lost)).params == lost.params  # it crosses process pools whole
    lous = [e for e in store.events(coop_id) if e.type is EventType.OVERTIME_DECIDED and e.payload["courier_id"] == lou]
    assert [e.seq for e in lous] == [won.seq]
    standing = overtime.decided(store, coop_id, MONDAY, MONDAY + timedelta(days=6))
    assert standing[(lou, tuesday)].minutes == won.payload["minutes"]
    assert standing[(sam, tuesday)].minutes == 10  # another courier's day, decided before the read, is untouched
