"""What a courier may announce about their own shift, checked before it becomes an event.

The planned end of a shift bounds every planning horizon and the ledger's shift minutes, so a
mistyped one (year 9999, or a time without its zone, read as another place's clock) would skew
the work shared out to everyone on shift; it is refused with a reason instead. The same holds
for the breaks a shift holds (issue 18): each is planned around in every round.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dispatch.errors import InvalidInput

#: The longest shift a courier may announce.
MAX_SHIFT = timedelta(hours=24)


def planned_end(value: object, now: datetime) -> datetime | None:
    """The announced end of a shift starting ``now``, from its ISO 8601 text; None when unsaid."""
    try:
        end = None if value is None else datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput("planned_end", "date_time_with_zone") from None
    if end is not None and end.tzinfo is None:
        raise InvalidInput("planned_end", "needs_time_zone")
    if end is not None and end > now + MAX_SHIFT:
        raise InvalidInput("planned_end", "shift_ends_within", hours=MAX_SHIFT.total_seconds() / 3600)
    return end


#: The most breaks a shift may hold (a mistyped list of hundreds would slow every round).
MAX_BREAKS = 6


@dataclass(frozen=True)
class ShiftBreak:
    """A break the shift holds (issue 18): ``minutes`` taken between ``earliest`` and ``latest``."""

    earliest: datetime
    latest: datetime
    minutes: int

    def to_json(self) -> dict[str, Any]:
        return {"earliest": self.earliest.isoformat(), "latest": self.latest.isoformat(), "minutes": self.minutes}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ShiftBreak:
        earliest, latest = datetime.fromisoformat(data["earliest"]), datetime.fromisoformat(data["latest"])
        return cls(earliest, latest, int(data["minutes"]))


def shift_breaks(value: object, start: datetime, end: datetime | None) -> tuple[ShiftBreak, ...]:
    """The breaks announced with a shift starting at ``start``, from their JSON form
    (``[{"earliest": iso, "latest": iso, "minutes": 30}]``), checked (:func:`check_breaks`)."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(b, dict) for b in value):
        raise InvalidInput("breaks", "breaks_shape")
    out = []
    for b in value:
        try:
            earliest, latest = datetime.fromisoformat(str(b["earliest"])), datetime.fromisoformat(str(b["latest"]))
        except (KeyError, ValueError):
            raise InvalidInput("breaks", "break_times") from None
        minutes = b.get("minutes")
        if not isinstance(minutes, int) or isinstance(minutes, bool):
            raise InvalidInput("breaks", "break_minutes")
        out.append(ShiftBreak(earliest, latest, minutes))
    check_breaks(out, start, end)
    return tuple(out)


def check_breaks(breaks: Sequence[ShiftBreak], start: datetime, end: datetime | None) -> None:
    """Each break inside the shift (its end, or ``MAX_SHIFT`` when unsaid) and long enough to
    be taken in its window; a break that could not be taken would make every plan refuse it."""
    if len(breaks) > MAX_BREAKS:
        raise InvalidInput("breaks", "too_many_breaks", most=MAX_BREAKS)
    last = end if end is not None else start + MAX_SHIFT
    for b in breaks:
        if b.earliest.tzinfo is None or b.latest.tzinfo is None:
            raise InvalidInput("breaks", "break_time_zone")
        if not 0 < b.minutes * 60 <= (b.latest - b.earliest).total_seconds():
            raise InvalidInput("breaks", "break_length")
        if b.earliest < start or b.latest > last:
            raise InvalidInput("breaks", "break_inside_shift")
    # Together they must be takeable one after the other, each in its window: six copies of one
    # 238-minute break were accepted once and planned back to back into the next day (attack).
    free = start
    for b in sorted(breaks, key=lambda x: (x.earliest, x.latest)):
        free = max(free, b.earliest) + timedelta(minutes=b.minutes)
        if free > b.latest:
            raise InvalidInput("breaks", "breaks_overlap")
