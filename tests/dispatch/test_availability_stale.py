"""A courier's availability declared from a stale read (issue 23): a declaration is written whole,
so one made from an old read would erase what was declared since. With ``expected_seq`` (the
seq of the declaration the writer read), a declaration of that courier after it refuses the
write as :class:`AvailabilityChanged`, naming who declared, and nothing is written; a colleague's
declaration refuses nothing; without it the latest wins as before. Two stores (two API workers,
two engines on one database) declaring from one read at once: one wins. SQLite and PostgreSQL."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dispatch import availability
from dispatch.availability import AvailabilityChanged, declare, declared, declared_seq, parse
from dispatch.events import Actor, ActorKind, Event, EventType
from dispatch.store import Store
from tests.dispatch.conftest import Coop

AT = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Europe/Helsinki"))
DESK = Actor(ActorKind.DISPATCHER, "desk-1")
WEEKDAYS = {"weekly": [{"weekday": 0, "start": "08:00", "end": "16:00"}]}
HOLIDAY = {**WEEKDAYS, "holidays": [{"first_day": "2026-12-24", "last_day": "2026-12-26"}]}
EVENINGS = {
    "weekly": [{"weekday": 0, "start": "08:00", "end": "16:00"}, {"weekday": 2, "start": "17:00", "end": "22:00"}]
}


def test_a_stale_declaration_is_refused_naming_who_and_the_other_stands(coop: Coop) -> None:
    s, c, aino = coop.store, coop.id, coop.bike
    assert declared_seq(s, c, aino) == 0  # nothing declared yet
    first = declare(s, c, aino, WEEKDAYS, actor=DESK, at=AT)
    seen = declared_seq(s, c, aino)  # what the week page reads
    assert seen == first.seq
    mine = Actor(ActorKind.COURIER, aino)
    holiday = declare(s, c, aino, HOLIDAY, actor=mine, at=AT, expected_seq=seen)  # the phone, from its read
    with pytest.raises(AvailabilityChanged) as refused:  # the week page, from its older read
        declare(s, c, aino, EVENINGS, actor=DESK, at=AT, expected_seq=seen)
    error = refused.value
    assert error.why == "availability_redeclared_by_courier"
    assert error.params == {"courier": aino, "by": f"courier {aino}"}
    assert (error.expected_seq, error.actual_seq, error.last_act) == (seen, holiday.seq, "AvailabilityDeclared")
    assert error.code == "conflict" and pickle.loads(pickle.dumps(error)).params == error.params
    assert declared(s, c)[aino] == parse(aino, HOLIDAY)  # the courier's holiday stands
    assert declared_seq(s, c, aino) == holiday.seq
    # the courier's own stale read, a dispatcher having declared since: the dispatcher is named
    desk = declare(
        s, c, aino, EVENINGS | {"holidays": HOLIDAY["holidays"]}, actor=DESK, at=AT, expected_seq=holiday.seq
    )
    with pytest.raises(AvailabilityChanged) as again:
        declare(s, c, aino, WEEKDAYS, actor=mine, at=AT, expected_seq=holiday.seq)
    assert again.value.why == "availability_redeclared" and again.value.by == "dispatcher desk-1"
    assert again.value.actual_seq == desk.seq
    # a colleague's declaration since refuses nothing of Aino's
    declare(s, c, coop.cargo, WEEKDAYS, actor=DESK, at=AT)
    kept = declare(s, c, aino, HOLIDAY, actor=mine, at=AT, expected_seq=desk.seq)
    assert declared_seq(s, c, aino) == kept.seq
    # without expected_seq, as before: the latest declaration wins
    declare(s, c, aino, WEEKDAYS, actor=DESK, at=AT)
    assert declared(s, c)[aino] == parse(aino, WEEKDAYS)
    lines = [e for e in s.events(c) if e.type is EventType.AVAILABILITY_DECLARED and e.payload["courier_id"] == aino]
    assert len(lines) == 5  # the two refused declarations wrote nothing


def test_two_declarations_from_one_read_on_two_workers_write_one(coop: Coop, db_url: str) -> None:
    s, c, aino = coop.store, coop.id, coop.bike
    seen = declare(s, c, aino, WEEKDAYS, actor=DESK, at=AT).seq
    other = Store.open(db_url)
    together = threading.Barrier(2, timeout=10)
    checked = availability.parse

    def parse_together(courier_id: str, data: Mapping[str, Any]) -> availability.Availability:
        parsed = checked(courier_id, data)
        together.wait()  # both past their checks, both about to append
        return parsed

    outcomes: list[Event | AvailabilityChanged] = []

    def run(on: Store, data: dict[str, Any], actor: Actor) -> None:
        try:
            outcomes.append(declare(on, c, aino, data, actor=actor, at=AT, expected_seq=seen))
        except AvailabilityChanged as exc:
            outcomes.append(exc)

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(availability, "parse", parse_together)
            threads = [
                threading.Thread(target=run, args=(s, HOLIDAY, Actor(ActorKind.COURIER, aino))),
                threading.Thread(target=run, args=(other, EVENINGS, DESK)),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
    finally:
        other.close()
    written = [o for o in outcomes if isinstance(o, Event)]
    refused = [o for o in outcomes if isinstance(o, AvailabilityChanged)]
    assert len(written) == 1 and len(refused) == 1, outcomes
    (won,), (lost,) = written, refused
    assert lost.actual_seq == won.seq and lost.by == f"{won.actor.kind.value} {won.actor.id}"
    stands = HOLIDAY if won.actor.kind is ActorKind.COURIER else EVENINGS
    assert declared(s, c)[aino] == parse(aino, stands)
    assert declared_seq(s, c, aino) == won.seq
