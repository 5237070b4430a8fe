"""The fairness ledger: per courier per day, the real work done, visible to every member.

Shift minutes (on shift, pauses excluded), the planned shift length, worked minutes (time with
at least one acknowledged job in hand), kilogram-kilometres carried, and heavy jobs (at least the
cooperative's threshold) with their kilograms. Figures of work, never of merit: nothing here
ranks anyone, and lists come in the neutral rotation order (``dispatch.rotation``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any


@dataclass
class LedgerEntry:
    courier_id: str
    day: str  #: ISO date in the cooperative's time zone
    shift_minutes: float = 0.0
    planned_shift_minutes: float = 0.0
    worked_minutes: float = 0.0
    kg_km: float = 0.0
    heavy_jobs: int = 0
    heavy_kg: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def worked_share_of_shift(self) -> float | None:
        """Worked time over shift time, the figure the planner's fairness term balances."""
        basis = self.planned_shift_minutes or self.shift_minutes
        return None if basis <= 0 else self.worked_minutes / basis


def worked_minutes_until(entry: LedgerEntry | None, open_since: str | None, now: datetime) -> float:
    """Minutes worked today up to ``now``: the ledger's closed stretches plus the one still open.

    The ledger closes a stretch of work when the courier's hands are empty, so a courier riding
    job after job all day has one open stretch and zero closed minutes. The planner read those
    zeros: its fairness then gave the work to everyone who never had empty hands and none to a
    courier who had just finished a job (issue 15: one or two couriers at 40-50 minutes of a
    4-hour shift while the others worked 3 hours, whatever the weight). The console's view of
    today and the planner count the same way, here.
    """
    closed = entry.worked_minutes if entry is not None else 0.0
    if open_since is None:
        return closed
    return closed + max(0.0, (now - datetime.fromisoformat(open_since)).total_seconds() / 60.0)


def stopped_early(entry: LedgerEntry, planned_end: str | None, at: datetime) -> None:
    """A dispatcher stopped the shift at ``at`` before its planned end (the courier went home
    sick, issue 18, or was deactivated): the time they will not work leaves the planned shift,
    so nothing is counted for them from then on; their share of work is of the time they were
    there. A courier who ends their own shift early keeps the shift they planned.

    The projection calls it only for a shift end marked ``"stopped_early": true`` (written by
    :func:`dispatch.commands.courier_unavailable` and by deactivation): a dispatcher's shift end
    written before the mark keeps its full planned shift, as the ledger said then, so rebuilding
    the projections from an old log never changes a past day's figures."""
    if planned_end is None:
        return
    unworked = (datetime.fromisoformat(planned_end) - at).total_seconds() / 60.0
    if unworked > 0:
        entry.planned_shift_minutes = max(0.0, entry.planned_shift_minutes - unworked)


def cooperative_view(entries: list[LedgerEntry], order: list[str]) -> list[LedgerEntry]:
    """The day's ledger of every courier in ``order`` (the rotation); absent couriers show zeros."""
    by_courier = {e.courier_id: e for e in entries}
    day = entries[0].day if entries else ""
    return [by_courier.get(c, LedgerEntry(courier_id=c, day=day)) for c in order]


#: The spans of the ledger's rolling view (issue 23): a week and four weeks, for everyone alike.
ROLLING_DAYS = (7, 28)
_SUMMED = ("shift_minutes", "planned_shift_minutes", "worked_minutes", "kg_km", "heavy_jobs", "heavy_kg")


def rolling(entries: list[LedgerEntry], order: list[str]) -> list[dict[str, Any]]:
    """Each courier's ledger summed over the days of ``entries`` (a rolling 7 or 28 days), in
    ``order`` (the rotation), never sorted by a figure: the same sums a courier would get adding
    up their days, so a time sheet's worked minutes equal the span's ``shift_minutes``.

    Why sums and not an average per day: a member paid for their time compares their hours with
    their contract, and a courier who rode two long days and a courier who rode four short ones
    should both see what they did, not a mean that hides it. ``days_on_shift`` says over how many
    days the shift minutes were spread; the share of work is of the span's shift time, as the
    planner's fairness term counts it for a day."""
    sums: dict[str, dict[str, Any]] = {
        c: {"courier_id": c, **dict.fromkeys(_SUMMED, 0.0), "heavy_jobs": 0, "days_on_shift": 0} for c in order
    }
    basis: dict[str, float] = {}  #: each day's planned shift (or its shift when none was planned)
    for e in entries:
        row = sums.get(e.courier_id)
        if row is None:
            continue  # a courier no longer listed (erased or gone) is not shown
        for key in _SUMMED:
            row[key] += getattr(e, key)
        row["days_on_shift"] += 1 if e.shift_minutes > 0 else 0
        basis[e.courier_id] = basis.get(e.courier_id, 0.0) + (e.planned_shift_minutes or e.shift_minutes)
    for c in order:
        sums[c]["worked_share_of_shift"] = sums[c]["worked_minutes"] / basis[c] if basis.get(c) else None
    return [sums[c] for c in order]
