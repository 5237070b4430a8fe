"""A decline's words are for the dispatchers while the job is open, and go after the retention the
cooperative sets (issue 16, privacy): the decline stays, its free text does not."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from dispatch import commands as do
from dispatch.analyst_view import as_read_by
from dispatch.errors import InvalidInput
from dispatch.events import Actor, EventType
from dispatch.store import declines
from dispatch.store.access import change_settings
from dispatch.store.schema import EventRow
from tests.dispatch.conftest import Coop, a_request, at

WORDS = "my knee hurts today"


def _declined(coop: Coop, *, settle: bool) -> str:
    """A job given to Aino, declined in her words at 08:10; cancelled after when ``settle``."""
    store = coop.store
    do.start_shift(store, coop.id, coop.bike, at=at(0), planned_end=at(300))
    job = do.request_job(store, coop.id, coop.client, a_request(), at=at(1)).id
    do.override(store, coop.id, job, coop.bike, dispatcher_id="d", at=at(2))
    do.decline(store, coop.id, job, courier_id=coop.bike, at=at(10), reason=WORDS)
    if settle:
        do.cancel_job(store, coop.id, job, by=Actor.system(), at=at(20))
    return job


def _decline_event(coop: Coop, job: str) -> dict[str, Any]:
    [event] = [e for e in coop.store.events(coop.id) if e.type is EventType.COURIER_DECLINED and e.job_id == job]
    return event.payload


def test_an_old_decline_on_a_settled_job_loses_its_words_and_keeps_the_decline(coop: Coop) -> None:
    job = _declined(coop, settle=True)
    purged = declines.purge(coop.store, now=at(10) + timedelta(days=31), coop_id=coop.id)

    assert purged == {coop.id: 1}
    payload = _decline_event(coop, job)
    assert payload["reason"] is None and payload["reason_purged"] is True
    assert payload["job_id"] == job  # the decline itself stays
    [entry] = coop.store.job(coop.id, job).declines
    assert entry["reason"] is None and entry["reason_purged"] is True
    [said] = [e for e in coop.store.events(coop.id) if e.type is EventType.DECLINE_REASONS_PURGED]
    assert said.payload["declines"] == 1
    with coop.store.engine.connect() as conn:  # the words are nowhere in the log any more
        payloads = [str(p) for (p,) in conn.execute(EventRow.__table__.select().with_only_columns(EventRow.payload))]
    assert not any(WORDS in p for p in payloads)
    assert declines.purge(coop.store, now=at(10) + timedelta(days=32), coop_id=coop.id) == {coop.id: 0}


def test_a_recent_decline_keeps_its_words(coop: Coop) -> None:
    job = _declined(coop, settle=True)
    assert declines.purge(coop.store, now=at(10) + timedelta(days=29), coop_id=coop.id) == {coop.id: 0}
    assert _decline_event(coop, job)["reason"] == WORDS
    assert coop.store.job(coop.id, job).declines[0]["reason"] == WORDS


def test_a_decline_on_an_open_job_keeps_its_words_however_old(coop: Coop) -> None:
    job = _declined(coop, settle=False)
    assert declines.purge(coop.store, now=at(10) + timedelta(days=400), coop_id=coop.id) == {coop.id: 0}
    assert _decline_event(coop, job)["reason"] == WORDS


def test_the_cooperatives_retention_decides(coop: Coop) -> None:
    job = _declined(coop, settle=True)
    _, event = change_settings(coop.store, coop.id, by=Actor.system(), decline_reason_retention_days=7)
    assert event is not None and event.payload["changes"]["decline_reason_retention_days"] == {"from": 30, "to": 7}
    assert declines.purge(coop.store, now=at(10) + timedelta(days=6), coop_id=coop.id) == {coop.id: 0}
    assert declines.purge(coop.store, now=at(10) + timedelta(days=8), coop_id=coop.id) == {coop.id: 1}
    assert _decline_event(coop, job)["reason"] is None


def test_a_longer_retention_keeps_the_words_past_the_default(coop: Coop) -> None:
    job = _declined(coop, settle=True)
    change_settings(coop.store, coop.id, by=Actor.system(), decline_reason_retention_days=90)
    assert declines.purge(coop.store, now=at(10) + timedelta(days=60), coop_id=coop.id) == {coop.id: 0}
    assert _decline_event(coop, job)["reason"] == WORDS


def test_a_structured_reason_is_a_code_and_stays(coop: Coop) -> None:
    """A reason the scale gave (``{"code": ...}``) names no one's words: the purge leaves it."""
    assert declines._forget({"job_id": "j", "reason": {"code": "too_heavy", "params": {}}}) == {
        "job_id": "j",
        "reason": {"code": "too_heavy", "params": {}},
    }


@pytest.mark.parametrize("days", [0, 3651, 7.5, True, "30", None])
def test_the_retention_is_a_whole_number_of_days_from_1_to_3650(coop: Coop, days: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        change_settings(coop.store, coop.id, by=Actor.system(), decline_reason_retention_days=days)
    assert refused.value.field == "decline_reason_retention_days"


def test_a_replay_built_from_the_log_reads_no_decline(coop: Coop) -> None:
    """The analysts' replay of a past day (``day_from_log``) carries no decline: not its words,
    not who declined; its couriers are the day's shifts, counted from the work, never a decline."""
    from dispatch.replay import day_from_log

    _declined(coop, settle=True)
    day = repr(day_from_log(coop.store, coop.id))
    assert WORDS not in day and "declin" not in day.lower()


def test_an_analyst_reads_a_declined_by_reason_without_the_couriers(coop: Coop) -> None:
    said = {"reasons": [{"code": "declined_by", "params": {"couriers": [coop.bike]}}], "declines": []}
    assert coop.bike not in repr(as_read_by("analyst", said))
    assert as_read_by("dispatcher", said) == said
