"""What a courier may announce about their own shift, checked before it becomes an event.

The planned end of a shift bounds every planning horizon and the ledger's shift minutes, so a
mistyped one (year 9999, or a time without its zone, read as another place's clock) would skew
the work shared out to everyone on shift; it is refused with a reason instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dispatch.errors import InvalidInput

#: The longest shift a courier may announce.
MAX_SHIFT = timedelta(hours=24)


def planned_end(value: object, now: datetime) -> datetime | None:
    """The announced end of a shift starting ``now``, from its ISO 8601 text; None when unsaid."""
    try:
        end = None if value is None else datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput("planned_end", "an ISO 8601 date-time with a time zone") from None
    if end is not None and end.tzinfo is None:
        raise InvalidInput("planned_end", "needs a time zone")
    if end is not None and end > now + MAX_SHIFT:
        raise InvalidInput("planned_end", f"a shift ends within {MAX_SHIFT.total_seconds() / 3600:g} hours")
    return end
