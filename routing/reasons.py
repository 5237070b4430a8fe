"""Reasons as data: every explanation, refusal and cost the planner and the domain give is a code
with parameters, never a sentence.

Words belong to the reader: a dispatcher in Lyon reads French, a client's program reads the code.
So ``routing/`` and ``dispatch/`` say *what* (``Reason("too_heavy", {"kg": 400})``) and the edge
(``api/reasons.py``, the console's catalogue) says it in the reader's language, with courier names
filled in from ids there. :data:`CODES` is the registry both sides are checked against: every code
with the kind of each of its parameters (how the edge formats it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: A parameter's value: a number, an id, a vehicle kind, a list of courier ids, or another
#: reason as data said inside this one (a ``Kind.TEXT`` parameter: the forecast's pace).
Param = str | int | float | tuple[str, ...] | Mapping[str, Any] | None


class Kind(StrEnum):
    """How the edge formats a parameter (the same rules in Python and in the console)."""

    MINUTES = "minutes"  #: one decimal
    WHOLE_MINUTES = "whole_minutes"  #: no decimal
    KG = "kg"  #: as short as exact (``:g``)
    LITRES = "litres"
    CM = "cm"
    SHARE = "share"  #: a fraction shown as a whole percentage
    COUNT = "count"
    COURIER = "courier"  #: a courier id, shown as their name
    COURIERS = "couriers"  #: a list of courier ids, shown as their names
    VEHICLE = "vehicle"  #: a vehicle kind (``cargo_bike``), shown in the reader's words
    PLACE = "place"  #: ``pickup`` or ``dropoff``, shown in the reader's words
    TEXT = "text"  #: what a person wrote (a dispatcher's reason), shown as they wrote it
    ABSENCE = "absence"  #: ``sick`` or ``other``, shown in the reader's words
    KM = "km"  #: as short as exact, like kilograms
    DECIMAL = "decimal"  #: one decimal (a mean, a pace)
    WEEKDAY = "weekday"  #: ``monday`` .. ``sunday``, shown in the reader's words


K = Kind
#: Every code, with its parameters and their kinds. A new reason is added here first; the tests
#: then ask the edge for its English and French words, each using every parameter.
CODES: dict[str, dict[str, Kind]] = {
    # why this courier (routing/explain.py)
    "adds_minutes": {"minutes": K.MINUTES, "courier": K.COURIER},
    "locked": {},
    "on_board": {},
    "few_vehicles": {"able": K.COUNT, "total": K.COUNT, "kg": K.KG, "litres": K.LITRES, "cm": K.CM},
    "heavy_fewest": {"courier": K.COURIER, "kg": K.KG},
    "heavy_carried": {"courier": K.COURIER, "kg": K.KG, "fewest": K.KG},
    "worked_share": {"courier": K.COURIER, "share": K.SHARE, "cooperative": K.SHARE},
    "not_compared": {},
    "cannot_fit": {},
    "sharing_moved": {"other": K.COURIER, "other_share": K.SHARE, "budget": K.SHARE},
    "sharing_kept": {"courier": K.COURIER, "other": K.COURIER},
    "sharing_shift_ends": {
        "other": K.COURIER,
        "courier": K.COURIER,
        "minutes_left": K.WHOLE_MINUTES,
        "expected": K.SHARE,
        "other_expected": K.SHARE,
        "budget": K.SHARE,
    },
    "sharing_fits_better": {"other": K.COURIER, "courier": K.COURIER},
    # the slope decides between vehicles (issue 20): vehicles compared, never the people on them
    "hill_vehicle": {"kg": K.KG, "minutes": K.WHOLE_MINUTES, "vehicle": K.VEHICLE, "other": K.VEHICLE},
    # why a job is not in the plan (routing/solver.py, routing/problem.py, dispatch/planning.py)
    "deferred": {},
    "fits_nowhere": {},
    "no_plan_locks": {},
    "no_plan_time": {},
    "no_plan_settings": {},
    "solver_stopped": {"status": K.COUNT},
    "no_courier_on_shift": {},
    "too_heavy": {"kg": K.KG},
    "too_bulky": {"litres": K.LITRES},
    "too_long": {"cm": K.CM},
    "no_single_vehicle": {},
    "all_declined": {},
    "pickup_closes": {},
    "dropoff_closes": {},
    "shift_too_short": {},
    "courier_off_shift": {},
    "too_far_from_street": {"place": K.PLACE, "vehicle": K.VEHICLE},
    "unreadable_request": {},  # its stored request cannot be planned (old data): left out, the others planned
    # declines (dispatch/planning.py)
    "declined_again": {"courier": K.COURIER},
    "declined_by": {"couriers": K.COURIERS},
    # a parcel heavier than declared, back to dispatch (dispatch/commands.py, issue 18)
    "heavier_than_declared": {
        "courier": K.COURIER,
        "kg": K.KG,
        "declared": K.KG,
        "vehicle": K.VEHICLE,
        "payload": K.KG,
        "on_board": K.KG,
    },
    "bigger_than_declared": {
        "courier": K.COURIER,
        "litres": K.LITRES,
        "cm": K.CM,
        "vehicle": K.VEHICLE,
        "volume": K.LITRES,
        "max_cm": K.CM,
        "on_board": K.LITRES,
    },
    # an override's cost (dispatch/decisions.py)
    "over_payload": {"kg": K.KG, "payload": K.KG, "courier": K.COURIER, "vehicle": K.VEHICLE},
    "over_volume": {"litres": K.LITRES, "volume": K.LITRES},
    "over_length": {"cm": K.CM, "max_cm": K.CM},
    "not_on_shift": {"courier": K.COURIER},
    "courier_paused": {"courier": K.COURIER},  # a handover to a courier on a pause (dispatch/decide.py)
    "override_adds": {"minutes": K.MINUTES, "courier": K.COURIER},
    "proposal_added": {"minutes": K.MINUTES},
    "objective_cost": {"minutes": K.MINUTES},
    "objective_vs_proposal": {"minutes": K.MINUTES, "proposal": K.MINUTES},
    "lateness_risk": {"minutes": K.WHOLE_MINUTES},
    # a courier's work when they stop (dispatch/commands.py) or leave (dispatch/store/access.py)
    "stopped_proposed": {"courier": K.COURIER, "why": K.TEXT},
    "stopped_on_board": {"courier": K.COURIER, "why": K.TEXT},
    "stopped_taken_back": {"courier": K.COURIER, "why": K.TEXT},
    "left_on_board": {"courier": K.COURIER, "why": K.TEXT},
    "left_taken_back": {"courier": K.COURIER},
    # why a restore deactivated and erased someone again: an erasure of that day (dispatch/store/erasure.py)
    "erased_again": {"day": K.TEXT},
    # a stop's ``why`` when the week's absence for today stopped the courier (its category left out)
    "absent_today": {},
    # why a shift is on the week's rota (routing/rota.py, dispatch/week.py): a list of these
    "rota_peak": {"expected": K.COUNT, "peak": K.COUNT},
    "rota_cargo": {},
    "rota_no_demand": {},
    "rota_hours_left": {"courier": K.COURIER, "hours": K.COUNT, "min_h": K.COUNT, "max_h": K.COUNT, "left": K.COUNT},
    "rota_hours_full": {"courier": K.COURIER, "hours": K.COUNT, "min_h": K.COUNT, "max_h": K.COUNT},
    "rota_added": {},
    "rota_moved": {"courier": K.COURIER, "day": K.TEXT, "start_h": K.COUNT, "end_h": K.COUNT},
    "rota_swapped": {},
    "rota_swapped_because": {"why": K.TEXT},
    "rota_covers_for": {"courier": K.COURIER, "absence": K.ABSENCE},
    # the same as the covering courier reads it: their colleague's absence is not theirs to know
    "rota_covers_colleague": {"courier": K.COURIER},
    # who could cover an absence, and why someone cannot (routing/rota.py)
    "cover_counts": {"covered": K.COUNT, "days": K.COUNT, "left_h": K.COUNT},
    "cover_not_available": {},
    "cover_same_day": {},
    "cover_short_rest": {"rest": K.COUNT, "rest_h": K.COUNT},
    "cover_over_max": {"hours": K.COUNT, "max_h": K.COUNT},
    # the hours of the week with no demand expected (dispatch/week.py)
    "no_jobs_seen": {},
    # how an hour's expected demand was computed (dispatch/forecast.py), and the pace it used
    "forecast_hour": {
        "jobs": K.COUNT,
        "weekday": K.WEEKDAY,
        "hour": K.COUNT,
        "end_h": K.COUNT,
        "weeks": K.COUNT,
        "mean": K.DECIMAL,
        "pace": K.DECIMAL,
        "pace_from": K.TEXT,
        "couriers": K.COUNT,
    },
    "forecast_pace_seen": {"delivered": K.COUNT, "hours": K.DECIMAL},
    "forecast_pace_assumed": {"pace": K.DECIMAL},
    # the week page's note on the forecast (api/week.py)
    "forecast_note": {"weeks": K.COUNT, "pace_from": K.TEXT},
    # the lines of a quote (dispatch/pricing.py)
    "quote_base": {},
    "quote_distance": {"km": K.KM, "over": K.KM},
    "quote_weight": {"kg": K.KG, "over": K.KG},
    "quote_express": {"percent": K.COUNT},
    "quote_solidarity": {"percent": K.COUNT},
}


@dataclass(frozen=True)
class Reason:
    """One reason: a code of :data:`CODES` and its parameters (checked when made)."""

    code: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A reason the edge cannot say is a bug here, not a blank line in a dispatcher's console.
        expected = CODES.get(self.code)
        if expected is None:
            raise ValueError(f"unknown reason code {self.code!r}")
        if set(self.params) != set(expected):
            raise ValueError(f"reason {self.code!r} takes {sorted(expected)}, not {sorted(self.params)}")

    def __hash__(self) -> int:
        return hash((self.code, tuple(sorted((k, str(v)) for k, v in self.params.items()))))

    def to_json(self) -> dict[str, Any]:
        """As stored in the log and sent to machines: ``{"code": ..., "params": {...}}``."""
        return {
            "code": self.code,
            "params": {k: list(v) if isinstance(v, tuple) else v for k, v in self.params.items()},
        }


def reason(code: str, **params: Param) -> Reason:
    """``reason("too_heavy", kg=400)``: the short way to make one."""
    return Reason(code, params)


def is_reason(value: object) -> bool:
    """Whether a stored value is a reason as data (old events hold plain text)."""
    return isinstance(value, dict) and set(value) == {"code", "params"} and value["code"] in CODES


def from_json(value: Mapping[str, Any]) -> Reason:
    """A reason read back from the log."""
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in dict(value["params"]).items()}
    return Reason(str(value["code"]), params)
