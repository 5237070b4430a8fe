"""Erasing a departed courier's personal data (the GDPR's right to erasure, issue 16).

What goes: the name (a neutral label takes its place), the contact, the login and password,
every session, every position kept, the name wherever a note of the log repeated it, and the
free text the courier wrote themselves (decline and shift reasons). What stays: the courier's
id and the facts the cooperative owes its members and its accounts (jobs done, minutes worked,
the ledger), which name nobody once the id leads to no one. Proofs of delivery keep their
recipients' names: they are the recipients' data, not the courier's.

The log is append-only, with this one exception that the law asks for: the erasure rewrites the
payloads that carried the person's words or name, in the transaction that records it.

A backup taken before an erasure still holds the person: so every erasure is also written to an
*erasure journal* kept beside the data (:func:`journal_path`: ids and a time, never a name), and
``restore`` (dispatch/store/backup.py) re-applies every erasure the journal and the replaced
database know of to what it brings back (:func:`reapply`): nobody erased comes back with a backup.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, String, cast, delete, inspect, or_, select, update
from sqlalchemy.engine import make_url

from dispatch.errors import DomainError, InvalidInput
from dispatch.events import Actor, ActorKind, Event, EventType
from dispatch.lifecycle import ACTIVE_STATES
from dispatch.store.access import NothingToChange, _admin_event, _end_sessions, _revoked, deactivate_courier
from dispatch.store.engine import make_engine
from dispatch.store.repository import Store, _json_payload
from dispatch.store.schema import CourierPositionRow, CourierRow, CourierStatusRow, EventRow, JobRow
from dispatch.text import check_text
from routing.network import data_dir
from routing.reasons import reason

log = logging.getLogger("tandem.erasure")

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
    #: False when the erasure is committed but its journal line could not be written (see
    #: :func:`erase_courier`): the operator is told, the erasure stands
    journaled: bool = True

    def to_json(self) -> dict[str, Any]:
        """What the CLI's ``--json`` and the API answer alike."""
        return {
            "courier_id": self.event.payload["courier_id"],
            "display_name": self.label,
            "positions_deleted": self.positions_deleted,
            "events_redacted": self.events_redacted,
            "seq": self.event.seq,
            "journaled": self.journaled,
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
    can log in no more. Once committed, it is written to the erasure journal (after, never
    before: a journal line for an erasure that rolled back would erase someone at a restore). A
    journal that cannot be written (a full or read-only disk) is logged at error level and said in
    the answer (``journaled`` false), not raised: the erasure is committed, and a 500 would tell the
    dispatcher it was not."""
    why = check_text("reason", reason)
    if not why.strip():
        raise InvalidInput("reason", "erasure_grounds")
    done = _erase(store, coop_id, courier_id, by=by, why=why, while_working=False)
    url = _store_url(store)
    try:
        _journal_add(url, [_entry(done.event)])
    except OSError as exc:  # committed already: the erasure stands, and the operator must know
        log.error(
            "courier %s of cooperative %s is erased (log seq %s) but the erasure journal %s was not "
            "written (%s): a restore still finds the erasure in this database's log, not in the journal; "
            "make the journal writable",
            courier_id, coop_id, done.event.seq, journal_path(url), exc.strerror or type(exc).__name__,
        )  # fmt: skip
        return replace(done, journaled=False)
    return done


def _erase(
    store: Store, coop_id: str, courier_id: str, *, by: Actor, why: str | dict[str, Any], while_working: bool
) -> Erased:
    """The erasure itself, in one transaction; ``while_working`` only when a restore re-applies
    an erasure already made (the backup's moment may show the courier still at work, and ``why``
    is then the code ``erased_again``, worded at the edge: a dispatcher's grounds are their words)."""
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
        if not while_working:
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
        said = why.replace(courier.display_name, label) if isinstance(why, str) else why
        return EventType.COURIER_ERASED, {"courier_id": courier_id, "reason": said}

    try:
        event = _admin_event(store, coop_id, by, work)
    finally:
        _revoked.add_one()
    return Erased(event, label, counts["positions"], counts["events"])


# ---------------------------------------------------------------- the erasure journal


def journal_path(url: str) -> Path:
    """Where the erasures of the database at ``url`` are journaled: ``TANDEM_ERASURE_JOURNAL``
    if set; beside a SQLite file (``tandem.db.erasures``); else ``erasures.jsonl`` in Tandem's
    data directory (PostgreSQL: the machine that runs ``tandem restore`` must hold it)."""
    env = os.environ.get("TANDEM_ERASURE_JOURNAL")
    if env:
        return Path(env).expanduser()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return Path(parsed.database + ".erasures")
    return data_dir() / "erasures.jsonl"


def _store_url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def _entry(event: Event) -> dict[str, Any]:
    """A journal line: who was erased, in which cooperative, when; no name, no words."""
    return {
        "cooperative_id": event.cooperative_id,
        "courier_id": str(event.payload["courier_id"]),
        "erased_at": event.at.isoformat(),
    }


def read_journal(url: str) -> list[dict[str, Any]]:
    """The erasures journaled for the database at ``url`` (a torn last line is skipped: the
    erasure it belonged to is in the database's own log too)."""
    path = journal_path(url)
    if not path.is_file():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and {"cooperative_id", "courier_id"} <= entry.keys():
            entries.append(entry)
    return entries


def _journal_add(url: str, entries: list[dict[str, Any]]) -> None:
    """Append the entries not yet journaled, flushed to the disk before returning."""
    known = {(e["cooperative_id"], e["courier_id"]) for e in read_journal(url)}
    new = [e for e in entries if (e["cooperative_id"], e["courier_id"]) not in known]
    if not new:
        return
    path = journal_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as journal:
        journal.writelines(json.dumps(e, sort_keys=True) + "\n" for e in new)
        journal.flush()
        os.fsync(journal.fileno())


def recorded_erasures(url: str) -> list[dict[str, Any]]:
    """Every erasure the database at ``url`` knows of, from its journal and its own log: read
    before a restore replaces it, so that an erasure survives a journal lost with the disk."""
    entries = read_journal(url)
    engine = make_engine(url)
    try:
        if "events" in inspect(engine).get_table_names():
            with engine.connect() as conn:
                rows = conn.execute(
                    select(EventRow.cooperative_id, EventRow.payload, EventRow.at).where(
                        EventRow.type == EventType.COURIER_ERASED.value
                    )
                ).all()
            entries += [
                {"cooperative_id": r.cooperative_id, "courier_id": r.payload["courier_id"], "erased_at": str(r.at)}
                for r in rows
            ]
    finally:
        engine.dispose()
    return entries


def reapply(url: str, entries: list[dict[str, Any]]) -> list[Erased]:
    """Erase again, in the database at ``url`` (just restored), everyone ``entries`` names who is
    in it and not erased there: a courier at work at the backup's moment is deactivated first
    (their work back to the queue), then erased. Each act is recorded in the log by the system
    (``restore``) and the journal keeps every entry for the next restore."""
    if not entries:
        return []
    store = Store.open(url)
    done: list[Erased] = []
    by = Actor(ActorKind.SYSTEM, "restore")
    try:
        for entry in entries:
            coop_id, courier_id = str(entry["cooperative_id"]), str(entry["courier_id"])
            why = reason("erased_again", day=str(entry.get("erased_at", ""))[:10])
            try:
                courier = store.courier(coop_id, courier_id)
                if courier.display_name == erased_label(courier_id):  # erased in this backup already
                    continue
                if courier.active:
                    deactivate_courier(store, coop_id, courier_id, by=by, reason=why)
                done.append(_erase(store, coop_id, courier_id, by=by, why=why.to_json(), while_working=True))
            except DomainError:  # not in this backup, or already erased in it
                continue
        _journal_add(url, entries)
    finally:
        store.close()
    return done
