"""What the week's routes (api/week.py) take and answer: availability, the rota, swaps, time sheets.

Inputs refuse unknown fields and check their shape here (a time is ``HH:MM``, a day
``YYYY-MM-DD``); the rules between values (a window ends after it starts, windows of a day do
not overlap, a shift fits its courier's availability and limits) are the domain's
(``dispatch/availability.py``, ``dispatch/week.py``), so that the CLI refuses the same things.
Answers are ``Out`` models: they may hold more than they name. None holds a figure that compares
people: the only figures of a person are their own hours against their own contract.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictBool, StrictInt

from api.errors import Ident, Text
from api.schemas import Out, Strict

CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$"
DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
Clock = Field(pattern=CLOCK, description="HH:MM, local time; 24:00 ends the day")


# What the week's routes take


class WeeklyWindowIn(Strict):
    weekday: StrictInt = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    start: str = Clock
    end: str = Clock


class AvailabilityWindowIn(Strict):
    start: str = Clock
    end: str = Clock


class ExceptionIn(Strict):
    day: str = Field(pattern=DAY)
    windows: list[AvailabilityWindowIn] = Field(
        default_factory=list, max_length=10, description="none: not available that day"
    )


class HolidayIn(Strict):
    first_day: str = Field(pattern=DAY)
    last_day: str = Field(pattern=DAY)


class ContractIn(Strict):
    min_h: StrictInt = Field(ge=0, le=60)
    max_h: StrictInt = Field(ge=0, le=60)


class AvailabilityIn(Strict):
    """A courier's whole availability: it replaces the one declared before."""

    weekly: list[WeeklyWindowIn] = Field(default_factory=list, max_length=70)
    exceptions: list[ExceptionIn] = Field(default_factory=list, max_length=366)
    holidays: list[HolidayIn] = Field(default_factory=list, max_length=100)
    contract: ContractIn | None = Field(default=None, description="contracted hours a week: a dispatcher's to set")
    expected_seq: StrictInt | None = Field(
        default=None,
        ge=0,
        le=2**62,
        description="the availability's seq as you read it: a 409 if the courier's availability was declared "
        "again since (nothing written); without it, the latest declaration wins",
    )


SeenSeq = Field(
    default=None, ge=0, le=2**62, description="the week's rota_seq as you saw it: a 409 if it changed since"
)


class WeekIn(Strict):
    week: str | None = Field(default=None, pattern=DAY, description="its Monday; default: next week")
    expected_seq: StrictInt | None = SeenSeq


class EditIn(Strict):
    """One edit of the week's draft: add a shift, move one (hours, day or courier), remove one."""

    week: str = Field(pattern=DAY)
    action: Literal["add", "move", "remove"]
    shift_id: Ident | None = Field(default=None, max_length=36)
    courier_id: Ident | None = Field(default=None, max_length=36)
    day: str | None = Field(default=None, pattern=DAY)
    start_h: StrictInt | None = Field(default=None, ge=0, le=24)
    end_h: StrictInt | None = Field(default=None, ge=0, le=24)
    expected_seq: StrictInt | None = SeenSeq


class SwapIn(Strict):
    week: str = Field(pattern=DAY)
    shift_id: Ident = Field(min_length=1, max_length=36)
    with_courier_id: Ident = Field(min_length=1, max_length=36)
    note: Text = Field(default="", max_length=300)


class SwapDecisionIn(Strict):
    swap_id: Ident = Field(min_length=1, max_length=36)
    confirm: StrictBool
    reason: Text = Field(default="", max_length=300, description="required to refuse")


class AbsenceIn(Strict):
    """A courier of the published rota cannot come: the dispatcher records it on their shift."""

    week: str = Field(pattern=DAY)
    shift_id: Ident = Field(min_length=1, max_length=36)
    reason: Literal["sick", "other"]
    note: Text = Field(default="", max_length=300)
    expected_seq: StrictInt | None = SeenSeq


class NoCoverIn(Strict):
    """The dispatcher chooses no one of those who could cover an absent shift, for now."""

    week: str = Field(pattern=DAY)
    shift_id: Ident = Field(min_length=1, max_length=36)
    note: Text = Field(default="", max_length=300)


class CoverIn(Strict):
    """The dispatcher's pick of who covers an absent courier's shift."""

    week: str = Field(pattern=DAY)
    shift_id: Ident = Field(min_length=1, max_length=36)
    courier_id: Ident = Field(min_length=1, max_length=36)
    expected_seq: StrictInt | None = SeenSeq


class OvertimeIn(Strict):
    """A dispatcher's decision: this many minutes of the courier's day are overtime (it replaces
    the one standing for that day; 0 withdraws it)."""

    courier_id: Ident = Field(min_length=1, max_length=36)
    day: str = Field(pattern=DAY, description="the cooperative's local day, YYYY-MM-DD; today or before")
    minutes: StrictInt = Field(ge=0, le=1500, description="at most the day's length (1,440; 1,500 when clocks go back)")
    note: Text = Field(default="", max_length=300)
    expected_seq: StrictInt | None = Field(
        default=None,
        ge=0,
        le=2**62,
        description="the seq of the time sheet or list you read: a 409 if that courier's day was decided since",
    )


# What they answer


class WindowOut(Out):
    start: str
    end: str


class WeeklyWindowOut(WindowOut):
    weekday: int


class ExceptionOut(Out):
    day: str
    windows: list[WindowOut]


class HolidayOut(Out):
    first_day: str
    last_day: str


class ContractOut(Out):
    min_h: int
    max_h: int


class AvailabilityOut(Out):
    courier_id: str
    weekly: list[WeeklyWindowOut]
    exceptions: list[ExceptionOut]
    holidays: list[HolidayOut]
    contract: ContractOut
    seq: int = Field(
        description="the seq of the courier's latest declaration (0: none yet): send it back as expected_seq"
    )


class RotaShiftOut(Out):
    id: str
    courier_id: str
    day: str
    start_h: int
    end_h: int
    why: str | list[dict[str, Any]] = Field(
        description="why this shift was proposed, or who changed it: reasons, each a code with its parameters and "
        "its text in the Accept-Language asked (a shift of a rota made before reasons were codes: a sentence)"
    )
    absent: str | None = Field(default=None, description="sick or other: its courier cannot come")
    covered_by: str | None = Field(default=None, description="the courier covering this absent shift")
    cover_for: str | None = Field(default=None, description="the absent shift this one covers")
    left: Literal["deactivated", "erased"] | None = Field(
        default=None,
        description="its courier left the cooperative before it began (deactivated, or erased for good): withdrawn, "
        "rostered for nobody, to be covered",
    )


class GapOut(Out):
    day: str
    hour: int
    missing: int = Field(description="couriers wanted that the rota could not cover")


class RotaOut(Out):
    week: str
    shifts: list[RotaShiftOut]
    state: Literal["draft", "published"]
    version: int = Field(description="how many times this week was published")
    gaps: list[GapOut] = Field(default_factory=list)
    seq: int = Field(description="the event that made it")


class HourOut(Out):
    day: str
    hour: int
    available: list[str]
    expected: int
    gap: int = Field(description="couriers expected beyond those available")
    rostered: list[str]
    why: dict[str, Any] = Field(
        description="how the expected figure was computed (forecast_hour), or no_jobs_seen: a reason (code, params, "
        "text in the Accept-Language asked)"
    )


class WeekCourierOut(Out):
    id: str
    name: str
    cargo: bool
    declared: bool = Field(description="whether they declared an availability")
    contract: ContractOut
    available_h: int
    rostered_h: int


class FormerCourierOut(Out):
    id: str
    name: str = Field(description="their name, or for one erased a worded 'former courier' in the Accept-Language")
    left: Literal["deactivated", "erased"]


class SwapOut(Out):
    id: str
    week: str
    courier_id: str
    shift_id: str
    with_courier_id: str
    note: str
    state: Literal["pending", "confirmed", "refused"]
    asked_at: str
    reason: str = Field(default="", description="the dispatcher's, once decided")


class DraftOut(Out):
    shifts: list[RotaShiftOut]
    gaps: list[GapOut]


class PublishedOut(Out):
    shifts: list[RotaShiftOut]
    version: int
    published_at: str | None


class WeekOut(Out):
    week: str
    rota_seq: int = Field(description="the last event that changed this week's rota (send it back as expected_seq)")
    first_h: int
    last_h: int
    forecast: dict[str, Any] = Field(
        description="how the expected demand was computed (forecast_note): a reason (code, params, text)"
    )
    couriers: list[WeekCourierOut] = Field(description="the couriers who work here (active)")
    former: list[FormerCourierOut] = Field(
        default_factory=list, description="the couriers who left (inactive), named for their shifts, swaps and sheets"
    )
    hours: list[HourOut]
    draft: DraftOut | None
    published: PublishedOut | None
    swaps: list[SwapOut]
    no_cover: dict[str, NoCoverOut] = Field(
        default_factory=dict, description="absent shift id -> the last time a dispatcher chose no one to cover it"
    )


class SwapShiftOut(Out):
    day: str
    start_h: int
    end_h: int


class MySwapOut(SwapOut):
    shift: SwapShiftOut | None = Field(
        default=None, description="the swapped shift's day and hours (None once the rota no longer has it)"
    )


class AskedOfMeOut(Out):
    """A swap a colleague asked of me: who asks, which shift, its state (never their note, nor a
    dispatcher's reason)."""

    id: str
    week: str
    courier_id: str = Field(description="the colleague who asks")
    shift_id: str
    state: Literal["pending", "confirmed", "refused"] = Field(description="pending: waiting for a dispatcher")
    asked_at: str
    shift: SwapShiftOut | None = Field(default=None, description="the shift's day and hours")


class MyWeekOut(Out):
    week: str
    shifts: list[RotaShiftOut]
    version: int
    swaps: list[MySwapOut]
    asked_of_me: list[AskedOfMeOut] = Field(
        default_factory=list, description="swaps colleagues asked of me this week: a dispatcher confirms or refuses"
    )


class WhoOut(Out):
    courier_id: str
    name: str
    available: bool
    available_until: str | None
    minutes_left: int
    on_shift: bool
    on_rota: bool


class WhoAtOut(Out):
    at: str
    couriers: list[WhoOut]


class SheetDayOut(Out):
    courier_id: str
    day: str
    worked_minutes: float
    break_minutes: float
    planned_minutes: float
    first_start: str | None
    last_end: str | None
    open: bool
    cover_minutes: float = Field(description="of the planned minutes, those of cover shifts")
    beyond_plan_minutes: float = Field(
        description="the minutes worked within this calendar day (a stretch over midnight cut there, unlike"
        " worked_minutes, which counts it on the day it closes) above the planned ones: what there is to decide on"
    )
    overtime_minutes: float = Field(description="the overtime a dispatcher decided for this day")


class CoverOut(Out):
    courier_id: str
    name: str
    covered: int = Field(
        description="cover shifts they took in the last 28 days (the order: fewest first, then most hours left)"
    )
    left_h: int = Field(description="hours left on their contract this week, before this shift")
    why: dict[str, Any] = Field(description="both figures as a reason: code, params, and text in the Accept-Language")


class NoCoverOut(Out):
    at: str
    by: str = Field(description="who chose no one: their role and id")
    offered: list[str] = Field(description="the couriers who could cover then")
    note: str


class StoppedOut(Out):
    """An absence for today of a courier on shift: what stopping them did (as ``/unavailable``)."""

    returned: list[str] = Field(description="jobs back in the open queue")
    on_board: list[str] = Field(description="parcels they hold: a handover for a dispatcher to decide")
    withdrawn: list[str] = Field(description="open jobs whose proposal to them was put aside")
    shift_ended: bool


class AbsenceOut(Out):
    week: str
    shift: RotaShiftOut
    covers: list[CoverOut] = Field(
        description="who could cover: those who covered least lately first, then those with most hours left"
    )
    no_cover: NoCoverOut | None = Field(default=None, description="the last time a dispatcher chose no one")
    stopped: StoppedOut | None = Field(default=None, description="an absence for today: the courier stopped now")
    version: int
    seq: int


class SheetTotalOut(Out):
    courier_id: str
    name: str
    worked_minutes: float
    break_minutes: float
    planned_minutes: float
    cover_minutes: float
    beyond_plan_minutes: float
    overtime_minutes: float


class TimesheetOut(Out):
    first_day: str
    last_day: str
    days: list[SheetDayOut]
    totals: list[SheetTotalOut]
    today: str = Field(description="the cooperative's local day now: overtime is decided on it or before, never after")
    seq: int | None = Field(
        default=None, description="for a dispatcher: the log's seq as read (send it as expected_seq to decide overtime)"
    )


class RollingRowOut(Out):
    courier_id: str
    shift_minutes: float = Field(description="on shift, pauses excluded, summed over the span's days")
    planned_shift_minutes: float
    worked_minutes: float = Field(description="with at least one job in hand")
    kg_km: float
    heavy_jobs: int
    heavy_kg: float
    days_on_shift: int
    worked_share_of_shift: float | None


class RollingLedgerOut(Out):
    days: int = Field(description="7 or 28")
    first: str = Field(description="the span's first local day")
    last: str = Field(description="today, whose closed stretches count")
    fairness_weight: float
    heavy_threshold_kg: float
    couriers: list[RollingRowOut] = Field(description="In today's neutral rotation, never sorted by a figure.")


class OvertimeOut(Out):
    """A decision standing for a courier's day (or, once withdrawn, with 0 minutes)."""

    courier_id: str
    name: str
    day: str
    minutes: int
    note: str = Field(description="the dispatcher's words, for dispatchers only")
    by: str = Field(description="who decided: their role and id")
    at: str
    seq: int


class OvertimeListOut(Out):
    first_day: str
    last_day: str
    seq: int = Field(description="the log's seq as read (send it as expected_seq to decide one of these days)")
    decisions: list[OvertimeOut]
