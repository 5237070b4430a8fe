"""Time sheets (issue 23): the minutes each courier worked, per day and per week, from the log.

Members are paid for their time, whatever the jobs, so the time sheet counts the shift as the
courier declared it on the phone: from Start (or Resume) to Pause (or End) is worked time, from
Pause to Resume is a break. A stretch counts on the local day it closes, exactly as the fairness
ledger counts ``shift_minutes`` (``dispatch/projections.py``): a time sheet's day equals the
ledger's day, and its week the sum of them. A stretch still running is not counted until it
closes (``open`` says so). Beside it, the minutes the published rota planned that day, the
minutes worked beyond that plan (what a dispatcher has to decide on), and the overtime a
dispatcher decided for the day (``dispatch/overtime.py``): never derived, only decided.

Beyond plan is the one figure that does not count a stretch on the day it closes. A plan is a
day's shifts (a rota's shift may end at 24:00), so a night stretch from 18:00 to 00:02 counted
whole on the day it closed would show the evening as not worked and the next day as six hours
beyond a plan of nothing. Beyond plan therefore compares each day's planned minutes with the
minutes worked within that calendar day (the stretches cut at local midnight); the worked
minutes themselves still count on the closing day, so the sheet keeps equalling the ledger.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from dispatch.events import Event, EventType
from dispatch.store import Store
from dispatch.store.weekly import events_of

E = EventType
SHIFT_EVENTS = (E.SHIFT_STARTED, E.SHIFT_PAUSED, E.SHIFT_RESUMED, E.SHIFT_ENDED)
#: How far before the first day a shift's start is looked for (a night shift, a forgotten End),
#: and after the last day its end.
LOOK_BACK = timedelta(days=2)
CSV_COLUMNS = (
    "courier_id",
    "courier",
    "day",
    "worked_minutes",
    "break_minutes",
    "planned_minutes",
    "first_start",
    "last_end",
    "open",
    "cover_minutes",
    "beyond_plan_minutes",
    "overtime_minutes",
)


@dataclass
class SheetDay:
    courier_id: str
    day: str  #: local date, YYYY-MM-DD
    worked_minutes: float = 0.0
    break_minutes: float = 0.0
    planned_minutes: float = 0.0
    first_start: str | None = None  #: local time of the day's first Start or Resume
    last_end: str | None = None  #: local time of the day's last Pause or End
    open: bool = False  #: a stretch began this day and has not closed yet
    #: of the planned minutes, those covering for an absent colleague (a cover shift)
    cover_minutes: float = 0.0
    #: minutes worked within this calendar day above the planned ones (the stretches cut at local
    #: midnight, unlike ``worked_minutes``): what there is to decide on
    beyond_plan_minutes: float = 0.0
    #: the overtime a dispatcher decided for this day (``dispatch/overtime.py``), whatever was worked
    overtime_minutes: float = 0.0

    def row(self, name: str) -> list[object]:
        return [
            self.courier_id,
            name,
            self.day,
            round(self.worked_minutes, 1),
            round(self.break_minutes, 1),
            round(self.planned_minutes, 1),
            self.first_start or "",
            self.last_end or "",
            "yes" if self.open else "",
            round(self.cover_minutes, 1),
            round(self.beyond_plan_minutes, 1),
            round(self.overtime_minutes, 1),
        ]


@dataclass
class _Running:
    since: datetime | None = None  #: counting since (None: on a pause)
    paused_at: datetime | None = None


@dataclass
class _Fold:
    zone: ZoneInfo
    first: date
    last: date
    days: dict[tuple[str, str], SheetDay] = field(default_factory=dict)
    running: dict[str, _Running] = field(default_factory=dict)
    #: (courier, day) -> the minutes worked within that local calendar day (stretches cut at
    #: midnight), for the beyond-plan comparison only
    calendar: dict[tuple[str, str], float] = field(default_factory=dict)

    def day(self, courier_id: str, at: datetime) -> SheetDay | None:
        local = at.astimezone(self.zone).date()
        if not self.first <= local <= self.last:
            return None
        key = (courier_id, local.isoformat())
        return self.days.setdefault(key, SheetDay(courier_id, local.isoformat()))

    def by_calendar(self, courier_id: str, since: datetime, until: datetime) -> None:
        """Add a closed stretch to :attr:`calendar`, cut at each local midnight it crosses.

        In UTC: Python subtracts two times of the same zone on the wall clock, which would hide a
        change of the clocks within the stretch."""
        cursor, until = since.astimezone(UTC), until.astimezone(UTC)
        while cursor < until:
            local = cursor.astimezone(self.zone).date()
            midnight = datetime.combine(local + timedelta(days=1), time(), tzinfo=self.zone).astimezone(UTC)
            end = min(until, midnight)
            if self.first <= local <= self.last:
                key = (courier_id, local.isoformat())
                self.calendar[key] = self.calendar.get(key, 0.0) + (end - cursor).total_seconds() / 60
            cursor = end

    def clock(self, at: datetime) -> str:
        return at.astimezone(self.zone).strftime("%H:%M")

    def apply(self, event: Event) -> None:
        courier_id, at = str(event.payload["courier_id"]), event.at
        state = self.running.get(courier_id)
        if event.type in (E.SHIFT_STARTED, E.SHIFT_RESUMED):
            if event.type is E.SHIFT_RESUMED and state is not None and state.paused_at is not None:
                sheet = self.day(courier_id, at)
                if sheet is not None:
                    sheet.break_minutes += (at - state.paused_at).total_seconds() / 60
            self.running[courier_id] = _Running(since=at)
            sheet = self.day(courier_id, at)
            if sheet is not None and sheet.first_start is None:
                sheet.first_start = self.clock(at)
            return
        if state is None or state.since is None:
            return  # a pause or an end without a known start: nothing to count
        self.by_calendar(courier_id, state.since, at)
        sheet = self.day(courier_id, at)
        if sheet is not None:
            sheet.worked_minutes += (at - state.since).total_seconds() / 60
            sheet.last_end = self.clock(at)
        if event.type is E.SHIFT_PAUSED:
            self.running[courier_id] = _Running(paused_at=at)
        else:
            self.running.pop(courier_id, None)


def timesheet(
    store: Store,
    coop_id: str,
    first: date,
    last: date,
    *,
    zone: ZoneInfo,
    planned: Mapping[tuple[str, str], float] | None = None,
    cover: Mapping[tuple[str, str], float] | None = None,
    overtime: Mapping[tuple[str, str], float] | None = None,
    courier_id: str | None = None,
) -> list[SheetDay]:
    """Each courier's days from ``first`` to ``last`` (included) that hold worked, break,
    planned or overtime minutes, or part of a stretch that closed on a later day, in order of
    day then courier; ``planned``: (courier, day) -> minutes; ``cover``: of those, the minutes
    of cover shifts; ``overtime``: the minutes a dispatcher decided were overtime."""
    since = datetime.combine(first, time(), tzinfo=zone) - LOOK_BACK
    # Read past the last day too: a stretch that closes after it (a night shift over the week's
    # or the month's end) is not counted here, but it is not ``open`` either.
    until = datetime.combine(last + timedelta(days=1), time(), tzinfo=zone) + LOOK_BACK
    fold = _Fold(zone, first, last)
    for event in events_of(store, coop_id, SHIFT_EVENTS, since=since, until=until):
        fold.apply(event)
    for cid, running in fold.running.items():
        if running.since is not None:
            sheet = fold.day(cid, running.since)
            if sheet is not None:
                sheet.open = True
    for name, given in (("planned_minutes", planned), ("cover_minutes", cover), ("overtime_minutes", overtime)):
        for (cid, day), minutes in (given or {}).items():
            if first.isoformat() <= day <= last.isoformat():
                sheet = fold.days.setdefault((cid, day), SheetDay(cid, day))
                setattr(sheet, name, getattr(sheet, name) + minutes)
    for key in fold.calendar:
        fold.days.setdefault(key, SheetDay(*key))  # the evening of a stretch that closed the day after
    for key, sheet in fold.days.items():
        sheet.beyond_plan_minutes = max(0.0, fold.calendar.get(key, 0.0) - sheet.planned_minutes)
    rows = [d for d in fold.days.values() if courier_id is None or d.courier_id == courier_id]
    return sorted(rows, key=lambda d: (d.day, d.courier_id))


_SUMMED = (
    "worked_minutes",
    "break_minutes",
    "planned_minutes",
    "cover_minutes",
    "beyond_plan_minutes",
    "overtime_minutes",
)


def totals(days: Iterable[SheetDay]) -> dict[str, dict[str, float]]:
    """Per courier: worked, break, planned, cover, beyond-plan and overtime minutes summed over
    the days given (beyond plan is summed day by day: a short day does not offset a long one)."""
    out: dict[str, dict[str, float]] = {}
    for d in days:
        total = out.setdefault(d.courier_id, dict.fromkeys(_SUMMED, 0.0))
        for key in _SUMMED:
            total[key] += getattr(d, key)
    return out


def planned_minutes(day: date, start_h: int, end_h: int, zone: ZoneInfo) -> float:
    """The real minutes of a rota's shift on ``day`` from ``start_h`` to ``end_h`` (24: the
    next midnight), local hours in ``zone``.

    Not ``60 * (end_h - start_h)``: on the days the clocks change a shift over the change holds
    an hour more or less (00-04 on the autumn change day is five hours worked), and beyond plan
    compares the plan with real minutes worked. In UTC: Python subtracts two times of the same
    zone on the wall clock, which hides the change."""
    start = datetime.combine(day, time(start_h), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=end_h // 24), time(end_h % 24), tzinfo=zone)
    return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 60


def sheet_rows(days: Iterable[SheetDay], names: Mapping[str, str], *, guarded: bool = True) -> list[list[object]]:
    """The rows every export holds, header first: one per courier and day, then one total per
    courier, so the CSV and the spreadsheet cannot disagree.

    ``guarded`` (the CSV): a name that a spreadsheet opening the file would run as a formula is
    written with a leading apostrophe (:func:`guarded_cell`). The spreadsheet asks for the names
    as typed (``guarded=False``): it types its cells as text, and an apostrophe there would
    show to payroll as part of the name."""
    rows = list(days)
    cell = guarded_cell if guarded else str
    out: list[list[object]] = [list(CSV_COLUMNS)]
    out.extend(d.row(cell(names.get(d.courier_id, d.courier_id))) for d in rows)
    for cid, total in sorted(totals(rows).items()):
        name = cell(names.get(cid, cid))
        minutes = [round(total[k], 1) for k in ("worked_minutes", "break_minutes", "planned_minutes")]
        after = [round(total[k], 1) for k in ("cover_minutes", "beyond_plan_minutes", "overtime_minutes")]
        out.append([cid, name, "total", *minutes, "", "", "", *after])
    return out


def to_csv(days: Iterable[SheetDay], names: Mapping[str, str]) -> str:
    """The time sheet as CSV for payroll: one row per courier and day, then one total per courier."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(sheet_rows(days, names))
    return out.getvalue()


def to_xlsx(days: Iterable[SheetDay], names: Mapping[str, str], *, title: str = "Time sheet") -> bytes:
    """The same rows as :func:`to_csv` in one spreadsheet sheet (Office Open XML), minutes as
    numbers so payroll can sum them without converting text; every text cell is typed as text
    (openpyxl would write a string starting with ``=`` as a formula) and marked with Excel's
    quote prefix (editing the cell keeps it text), so nothing a courier typed as a name is ever
    evaluated as a formula, and the name reads as typed, with no apostrophe added."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = title[:31]  # the format's limit on a sheet's name
    for values in sheet_rows(days, names, guarded=False):
        sheet.append([None if v == "" else v for v in values])
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
                cell.quotePrefix = True
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


#: What a spreadsheet reads as the start of a formula, and the characters it skips or splits a
#: cell on before one (OWASP's CSV injection guidance).
_FORMULA = ("=", "+", "-", "@")
_CONTROL = ("\t", "\r", "\n")


def guarded_cell(text: str) -> str:
    """A CSV cell no spreadsheet runs as a formula: text whose first character that is not
    white space is ``=``, ``+``, ``-`` or ``@``, or that starts with a tab or a line break, gets
    a leading apostrophe. Not only the first character: a spreadsheet trims a leading space or
    tab and runs ``\t=HYPERLINK(...)`` all the same (outside attacker's finding 4)."""
    if text[:1] in _CONTROL or text.lstrip()[:1] in _FORMULA:
        return "'" + text
    return text
