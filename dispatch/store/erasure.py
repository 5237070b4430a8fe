"""Erasing a departed courier's personal data (the GDPR's right to erasure, issue 16).

What goes: the name (a neutral label takes its place), the contact, the login and password,
every session, every position kept, the name wherever a note of the log repeated it, and the
free text the courier wrote themselves (decline and shift reasons). What stays: the courier's
id and the facts the cooperative owes its members and its accounts (jobs done, minutes worked,
the ledger), which name nobody once the id leads to no one. Proofs of delivery keep their
recipients' names: they are the recipients' data, not the courier's.

The log is append-only, with this one exception that the law asks for: the erasure rewrites the
payloads that carried the person's words or name, in the transaction that records it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, String, cast, delete, or_, select, update

from dispatch.errors import DomainError, InvalidInput
from dispatch.events import Actor, Event, EventType
from dispatch.lifecycle import ACTIVE_STATES
from dispatch.store.access import NothingToChange, _admin_event, _end_sessions, _revoked
from dispatch.store.repository import Store, _json_payload
from dispatch.store.schema import CourierPositionRow, CourierRow, CourierStatusRow, EventRow, JobRow
from dispatch.text import check_text

#: What replaces the courier's own words in the log.
ERASED = "(erased)"
#: The payload keys that hold a person's free text.
_WORDS = frozenset({"reason", "note", "comment"})


class StillWorking(DomainError):
    """A courier holding jobs or on shift is not erased: the work must be handed over first."""

    code = "courier_still_working"


def erased_label(courier_id: str) -> str:
    """The neutral name an erased courier goes by: their id's first characters, nothing else."""
    return f"Former courier {courier_id[:8]}"


@dataclass(frozen=True)
class Erased:
    event: Event  #: the CourierErased event
    label: str  #: the name they now go by
    positions_deleted: int
    events_redacted: int

    def to_json(self) -> dict[str, Any]:
        """What the CLI's ``--json`` and the API answer alike."""
        return {
            "courier_id": self.event.payload["courier_id"],
            "display_name": self.label,
            "positions_deleted": self.positions_deleted,
            "events_redacted": self.events_redacted,
            "seq": self.event.seq,
        }


def _scrub(value: Any, name: str, label: str, *, own: bool, key: str = "") -> Any:
    """A payload whose notes (``_WORDS``) say the label instead of the name and, in the courier's
    own events, hold :data:`ERASED` instead of their words. Only notes are touched: a short
    name must not change an id or an address that happens to contain it."""
    if isinstance(value, dict):
        return {k: _scrub(v, name, label, own=own, key=k) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, name, label, own=own, key=key) for v in value]
    if isinstance(value, str) and key in _WORDS and value:  # ids, addresses and figures stay as they are
        return ERASED if own else value.replace(name, label)
    return value


def _refuse_while_working(conn: Connection, coop_id: str, courier_id: str) -> None:
    held = conn.execute(
        select(JobRow.id).where(
            JobRow.cooperative_id == coop_id,
            JobRow.courier_id == courier_id,
            JobRow.state.in_([s.value for s in ACTIVE_STATES]),
        )
    ).all()
    if held:
        raise StillWorking("still_holds_jobs", courier=courier_id, jobs=len(held))
    status = conn.execute(
        select(CourierStatusRow.view).where(
            CourierStatusRow.cooperative_id == coop_id, CourierStatusRow.courier_id == courier_id
        )
    ).scalar()
    if status and status.get("on_shift"):
        raise StillWorking("erase_on_shift", courier=courier_id)


def _redact_log(conn: Connection, coop_id: str, courier_id: str, name: str, label: str) -> int:
    """Rewrite the events and job views that carry the courier's name or words; how many events."""
    mentions = or_(EventRow.actor_id == courier_id, cast(EventRow.payload, String).contains(courier_id))
    rows = conn.execute(
        select(EventRow.seq, EventRow.actor_id, EventRow.payload).where(EventRow.cooperative_id == coop_id, mentions)
    ).all()
    changed = 0
    for row in rows:
        payload = _scrub(row.payload, name, label, own=row.actor_id == courier_id)
        if payload != row.payload:
            conn.execute(
                update(EventRow)
                .where(EventRow.cooperative_id == coop_id, EventRow.seq == row.seq)
                .values(payload=_json_payload(payload))
            )
            changed += 1
    jobs = conn.execute(
        select(JobRow.id, JobRow.view).where(
            JobRow.cooperative_id == coop_id, cast(JobRow.view, String).contains(courier_id)
        )
    ).all()
    for job in jobs:
        view = _scrub(job.view, name, label, own=False)
        if view != job.view:
            conn.execute(update(JobRow).where(JobRow.id == job.id).values(view=_json_payload(view)))
    return changed


def erase_courier(store: Store, coop_id: str, courier_id: str, *, by: Actor, reason: str) -> Erased:
    """Erase a departed courier's personal data (see the module's text), refused with the reason
    while they hold jobs or are on shift; recorded as a CourierErased event (who, when, and
    ``reason``: on what grounds, such as the courier's request; an irreversible act is never
    done by an empty call), and their login is gone: they are out of every session at once and
    can log in no more."""
    why = check_text("reason", reason)
    if not why.strip():
        raise InvalidInput("reason", "erasure_grounds")
    courier = store.courier(coop_id, courier_id)
    label = erased_label(courier_id)
    counts: dict[str, int] = {}

    def work(conn: Connection) -> tuple[EventType, dict[str, Any]]:
        row = conn.execute(
            select(CourierRow.display_name, CourierRow.login, CourierRow.contact).where(
                CourierRow.cooperative_id == coop_id, CourierRow.id == courier_id
            )
        ).first()
        if row is None or (row.display_name == label and row.login is None and not row.contact):
            raise NothingToChange("already_erased", courier=courier_id)
        _refuse_while_working(conn, coop_id, courier_id)
        conn.execute(
            update(CourierRow)
            .where(CourierRow.cooperative_id == coop_id, CourierRow.id == courier_id)
            .values(display_name=label, contact="", login=None, secret_hash=None, active=False)
        )
        _end_sessions(conn, coop_id, courier_id)
        gone = conn.execute(
            delete(CourierPositionRow).where(
                CourierPositionRow.cooperative_id == coop_id, CourierPositionRow.courier_id == courier_id
            )
        )
        counts["positions"] = int(gone.rowcount or 0)
        counts["events"] = _redact_log(conn, coop_id, courier_id, courier.display_name, label)
        return EventType.COURIER_ERASED, {"courier_id": courier_id, "reason": why.replace(courier.display_name, label)}

    try:
        event = _admin_event(store, coop_id, by, work)
    finally:
        _revoked.add_one()
    return Erased(event, label, counts["positions"], counts["events"])
