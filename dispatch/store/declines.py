"""Forgetting the words of a decline (issue 16, privacy).

A courier who declines a job says why in their own words. Those words are for the dispatchers
while the job is open: once the job is settled (delivered, failed, cancelled) and the decline is
older than the retention the cooperative sets (``decline_reason_retention_days``, default 30),
the words go. The decline itself stays (the log keeps its meaning: that job was declined then),
its ``reason`` becomes null with ``reason_purged: true``; a structured reason (a code the planner
or the pickup scale gave, a dict such as ``{"code": "too_heavy", ...}``) is no person's words
and stays. Like the courier erasure (dispatch/store/erasure.py), this rewrites past payloads: the
one exception to an append-only log that privacy asks for, recorded as a
``DeclineReasonsPurged`` event (how many, taken before when) in the same transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from dispatch.errors import InvalidInput
from dispatch.events import Actor, EventType, NewEvent
from dispatch.lifecycle import ACTIVE_STATES, OPEN_STATES
from dispatch.store.repository import Store, _json_payload, _utc
from dispatch.store.schema import CooperativeRow, EventRow, JobRow

#: The settings key, and its default in days.
SETTING = "decline_reason_retention_days"
DEFAULT_DAYS = 30
#: The bounds a cooperative may set: a day to ten years.
MIN_DAYS, MAX_DAYS = 1, 3650
#: The payload keys that hold a person's free text (as in the erasure).
_WORDS = ("reason", "note", "comment")


def check_days(value: Any) -> int:
    """The retention as given, checked: a whole number of days from 1 to 3650 (no bool, no 7.5)."""
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_DAYS <= value <= MAX_DAYS:
        raise InvalidInput(SETTING, SETTING)
    return value


def retention_days(settings: dict[str, Any]) -> int:
    """The cooperative's retention of decline reasons, in days (the default when unset)."""
    return int(settings.get(SETTING, DEFAULT_DAYS))


def _forget(value: dict[str, Any]) -> dict[str, Any]:
    """A decline (an event's payload or a job view's entry) without its free text; a code stays."""
    out = dict(value)
    for key in _WORDS:
        if isinstance(out.get(key), str):
            out[key] = None
            out["reason_purged"] = True
    return out


def _settled_jobs(conn: Connection, coop_id: str) -> set[str]:
    """The cooperative's jobs no longer open nor held: their declines matter to no dispatcher."""
    live = [s.value for s in OPEN_STATES | ACTIVE_STATES]
    rows = conn.execute(select(JobRow.id).where(JobRow.cooperative_id == coop_id, JobRow.state.not_in(live)))
    return {r.id for r in rows}


def _purge_coop(conn: Connection, coop_id: str, before: datetime) -> int:
    """Rewrite the cooperative's old declines of settled jobs, events and job views; how many events."""
    settled = _settled_jobs(conn, coop_id)
    rows = conn.execute(
        select(EventRow.seq, EventRow.payload).where(
            EventRow.cooperative_id == coop_id,
            EventRow.type == EventType.COURIER_DECLINED.value,
            EventRow.at < before,
        )
    ).all()
    changed = 0
    for row in rows:
        forgotten = _forget(row.payload)
        if row.payload.get("job_id") in settled and forgotten != row.payload:
            conn.execute(
                update(EventRow)
                .where(EventRow.cooperative_id == coop_id, EventRow.seq == row.seq)
                .values(payload=_json_payload(forgotten))
            )
            changed += 1
    jobs = conn.execute(select(JobRow.id, JobRow.view).where(JobRow.id.in_(settled))).all() if changed else []
    for job in jobs:
        declines = [
            _forget(d) if _utc(datetime.fromisoformat(d["at"])) < before else d for d in job.view.get("declines", [])
        ]
        if declines != job.view.get("declines", []):
            view = {**job.view, "declines": declines}
            conn.execute(update(JobRow).where(JobRow.id == job.id).values(view=_json_payload(view)))
    return changed


def purge(store: Store, *, now: datetime, coop_id: str | None = None, actor: Actor | None = None) -> dict[str, int]:
    """Forget the words of every decline past its cooperative's retention on a settled job (or
    of one cooperative's); returns how many declines each cooperative had purged. Each purge and
    its ``DeclineReasonsPurged`` event are one transaction; a cooperative with none records nothing."""
    query = select(CooperativeRow.id, CooperativeRow.settings)
    if coop_id is not None:
        store.cooperative(coop_id)  # NotFound for a cooperative that does not exist
        query = query.where(CooperativeRow.id == coop_id)
    with store.engine.connect() as conn:
        coops = [(r.id, retention_days(r.settings or {})) for r in conn.execute(query)]
    purged: dict[str, int] = {}
    for coop, days in coops:
        before = now - timedelta(days=days)

        def run(conn: Connection, coop: str = coop, before: datetime = before) -> int:
            count = _purge_coop(conn, coop, before)
            if count:
                payload = {"declines": count, "before": before.isoformat()}
                new = NewEvent(coop, now, actor or Actor.system(), EventType.DECLINE_REASONS_PURGED, payload)
                store._append(
                    conn, new, _json_payload(payload), idempotency_key=None, request_hash=None, expected_seq=None
                )
            return count

        purged[coop] = store._commits.run(coop, run)
    return purged
