"""Reading a cooperative's events of a few types (the week's planning, shifts, demand), and the
ledger's rows of a span of days (its rolling week and month).

The week's state (availability, contracts, rotas, swaps) and the time sheets are folds of a
handful of event types; reading only those rows, and only since a time, keeps them from reading
the whole log, which grows with every job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import fields as dataclass_fields
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Select, select

from dispatch.events import Event, EventType
from dispatch.ledger import LedgerEntry
from dispatch.store.engine import reading
from dispatch.store.repository import Store, _event
from dispatch.store.schema import EventRow, LedgerRow


def events_of(
    store: Store,
    coop_id: str,
    types: Iterable[EventType],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Event]:
    """The cooperative's events of ``types`` in log order, at or after ``since`` and before ``until``."""
    query = _of_types(coop_id, types, since, until)
    with reading(store.engine) as conn:
        return [_event(row) for row in conn.execute(query.order_by(EventRow.seq))]


def _of_types(
    coop_id: str, types: Iterable[EventType], since: datetime | None, until: datetime | None = None
) -> Select[Any]:
    query = select(EventRow.__table__).where(
        EventRow.cooperative_id == coop_id, EventRow.type.in_([t.value for t in types])
    )
    # Times are stored in UTC (SQLite keeps them as text without a zone): compare in UTC.
    if since is not None:
        query = query.where(EventRow.at >= since.astimezone(UTC))
    if until is not None:
        query = query.where(EventRow.at < until.astimezone(UTC))
    return query


def checked_before(
    coop_id: str,
    types: Iterable[EventType],
    since: datetime,
    verdict: Callable[[list[Event]], Exception | None],
) -> Callable[[Connection, Event], None]:
    """A guard for :meth:`Store.append`'s ``also``: in the append's own transaction, the
    cooperative's events of ``types`` from ``since`` up to the new one are handed to ``verdict``;
    the exception it returns is raised, and the append rolls back.

    Why: an act allowed only by a state of the log (withdrawing an overtime decision needs one
    standing) must check that state where no other API worker can change it between the check
    and the write; only the append's transaction, where a cooperative's appends are serialised,
    sees the log as it will be written (a read before the append is a race, issue 23)."""
    listed = list(types)

    def check(conn: Connection, appended: Event) -> None:
        query = _of_types(coop_id, listed, since).where(EventRow.seq < appended.seq)
        refused = verdict([_event(row) for row in conn.execute(query.order_by(EventRow.seq))])
        if refused is not None:
            raise refused

    return check


def ledger_between(store: Store, coop_id: str, first: date, last: date) -> list[LedgerEntry]:
    """The fairness ledger's rows of every courier from ``first`` to ``last`` (local days, both
    included): the days a rolling view sums (``dispatch/week.py``, ``rolling_ledger``)."""
    table = LedgerRow.__table__
    query = select(table).where(
        LedgerRow.cooperative_id == coop_id, LedgerRow.day >= first.isoformat(), LedgerRow.day <= last.isoformat()
    )
    fields = [f.name for f in dataclass_fields(LedgerEntry) if f.name not in ("courier_id", "day")]
    with reading(store.engine) as conn:
        rows = conn.execute(query.order_by(LedgerRow.day, LedgerRow.courier_id)).all()
    return [LedgerEntry(courier_id=r.courier_id, day=r.day, **{f: getattr(r, f) for f in fields}) for r in rows]


def unchanged_since(
    coop_id: str, types: Iterable[EventType], after_seq: int, refusal: Callable[[Event], Exception | None]
) -> Callable[[Connection, Event], None]:
    """A guard for :meth:`Store.append`'s ``also``: in the append's own transaction, after the
    cooperative's row is locked for the event's number, every event of ``types`` between
    ``after_seq`` and the new one is handed to ``refusal``; the first exception it returns is
    raised, and the append rolls back.

    Why in the transaction: an act that read a state and appends what follows from it (the
    week's rota, a whole list of shifts each time) must not land on a state that another worker
    changed between its read and its append; only the append's transaction sees the log as it
    will be written, since appends of a cooperative are serialised there."""
    names = [t.value for t in types]

    def check(conn: Connection, appended: Event) -> None:
        query = select(EventRow.__table__).where(
            EventRow.cooperative_id == coop_id,
            EventRow.type.in_(names),
            EventRow.seq > after_seq,
            EventRow.seq < appended.seq,
        )
        for row in conn.execute(query.order_by(EventRow.seq)):
            refused = refusal(_event(row))
            if refused is not None:
                raise refused

    return check
