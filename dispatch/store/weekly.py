"""Reading a cooperative's events of a few types (the week's planning, shifts, demand).

The week's state (availability, contracts, rotas, swaps) and the time sheets are folds of a
handful of event types; reading only those rows, and only since a time, keeps them from reading
the whole log, which grows with every job.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select

from dispatch.events import Event, EventType
from dispatch.store.engine import reading
from dispatch.store.repository import Store, _event
from dispatch.store.schema import EventRow


def events_of(
    store: Store,
    coop_id: str,
    types: Iterable[EventType],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Event]:
    """The cooperative's events of ``types`` in log order, at or after ``since`` and before ``until``."""
    query = select(EventRow.__table__).where(
        EventRow.cooperative_id == coop_id, EventRow.type.in_([t.value for t in types])
    )
    # Times are stored in UTC (SQLite keeps them as text without a zone): compare in UTC.
    if since is not None:
        query = query.where(EventRow.at >= since.astimezone(UTC))
    if until is not None:
        query = query.where(EventRow.at < until.astimezone(UTC))
    with reading(store.engine) as conn:
        return [_event(row) for row in conn.execute(query.order_by(EventRow.seq))]
