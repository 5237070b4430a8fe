"""An absent shift is not worked (issue 23, review item 11): the limits a dispatcher's edit must
respect (one shift a day, the weekly maximum) leave it out, as the choice of covers does, and it
cannot be handed to a colleague by a swap, asked or confirmed: a dispatcher assigns a cover."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from dispatch.errors import InvalidInput
from dispatch.events import Actor, ActorKind
from dispatch.store import Store
from dispatch.week import decide_swap, edit, propose, publish, record_absence, request_swap, week_state
from tests.dispatch.test_week import DESK, MONDAY, NOW, _week_coop


def _lou_mon_tue_wed(store: Store) -> tuple[str, dict[str, str], dict[str, dict[str, Any]]]:
    """Lou alone on the published rota: Monday, Tuesday and Wednesday 10-16 (18 h of 20)."""
    coop_id, ids = _week_coop(store)
    propose(store, coop_id, MONDAY, actor=DESK, now=NOW)
    for s in week_state(store, coop_id).rota(MONDAY).draft or []:
        edit(store, coop_id, MONDAY, {"action": "remove", "shift_id": s["id"]}, actor=DESK, at=NOW)
    for offset in range(3):
        day = (MONDAY + timedelta(days=offset)).isoformat()
        add = {"action": "add", "courier_id": ids["Lou"], "day": day, "start_h": 10, "end_h": 16}
        edit(store, coop_id, MONDAY, add, actor=DESK, at=NOW)
    publish(store, coop_id, MONDAY, actor=DESK, at=NOW)
    return coop_id, ids, {s["day"]: s for s in week_state(store, coop_id).rota(MONDAY).published or []}


def _day(offset: int) -> str:
    return (MONDAY + timedelta(days=offset)).isoformat()


def test_an_absent_shift_counts_neither_for_one_shift_a_day_nor_for_the_weekly_maximum(store: Store) -> None:
    coop_id, ids, lou = _lou_mon_tue_wed(store)
    for offset in (0, 1):
        record_absence(store, coop_id, MONDAY, lou[_day(offset)]["id"], "other", note="", actor=DESK, at=NOW)
    # Thursday 10-16: 18 h published, 12 of them absent: 12 h worked, not 24 h beyond 20 h.
    thursday = {"action": "add", "courier_id": ids["Lou"], "day": _day(3), "start_h": 10, "end_h": 16}
    edit(store, coop_id, MONDAY, thursday, actor=DESK, at=NOW)
    # Back on Monday afternoon after a morning away: the absent Monday shift is not "a shift that day".
    monday = {"action": "add", "courier_id": ids["Lou"], "day": _day(0), "start_h": 12, "end_h": 16}
    edit(store, coop_id, MONDAY, monday, actor=DESK, at=NOW)
    draft = week_state(store, coop_id).rota(MONDAY).draft or []
    worked = [(s["day"], s["start_h"]) for s in draft if s["courier_id"] == ids["Lou"] and not s.get("absent")]
    assert worked == [(_day(0), 12), (_day(2), 10), (_day(3), 10)]
    # What is worked still counts: a second Monday shift, or hours beyond the contract, are refused.
    with pytest.raises(InvalidInput, match="one shift a day"):
        edit(store, coop_id, MONDAY, {**monday, "start_h": 10, "end_h": 14}, actor=DESK, at=NOW)
    with pytest.raises(InvalidInput, match="at most 20 h"):
        edit(store, coop_id, MONDAY, {**thursday, "day": _day(4)}, actor=DESK, at=NOW)


def test_an_absent_shift_cannot_be_swapped_asked_or_confirmed(store: Store) -> None:
    coop_id, ids, lou = _lou_mon_tue_wed(store)
    courier = Actor(ActorKind.COURIER, ids["Lou"])
    pending = request_swap(
        store, coop_id, ids["Lou"], MONDAY, lou[_day(1)]["id"], ids["Sam"], note="", at=NOW, actor=courier
    )
    for offset in (0, 1):
        record_absence(store, coop_id, MONDAY, lou[_day(offset)]["id"], "sick", note="", actor=DESK, at=NOW)
    before = week_state(store, coop_id)
    with pytest.raises(InvalidInput, match="marked absent") as asked:
        request_swap(store, coop_id, ids["Lou"], MONDAY, lou[_day(0)]["id"], ids["Sam"], note="", at=NOW, actor=courier)
    assert asked.value.field == "shift_id" and "assigns a cover" in str(asked.value)
    swap_id = str(pending.payload["swap_id"])
    with pytest.raises(InvalidInput, match="marked absent"):  # asked before the absence
        decide_swap(store, coop_id, swap_id, confirm=True, reason="", actor=DESK, at=NOW)
    assert week_state(store, coop_id) == before  # nothing appended
    decide_swap(store, coop_id, swap_id, confirm=False, reason="Lou is off sick", actor=DESK, at=NOW)
    published = {s["id"]: s for s in week_state(store, coop_id).rota(MONDAY).published or []}
    assert published[lou[_day(1)]["id"]]["courier_id"] == ids["Lou"] and published[lou[_day(1)]["id"]]["absent"]
