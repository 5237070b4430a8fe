"""Expected demand for the coming week, from the cooperative's own log (issue 23).

No black box: for each weekday and hour, the forecast is the **mean number of jobs to pick up
in that hour on that weekday over the last ``weeks`` weeks** (a job counts in the hour its pickup
window opens, or the hour it was requested if later: that is when a courier is needed, not when the
client asked) (a week with no request at that
hour counts as zero; weeks before the first request in the log are not counted). Heavy parcels
and cargo-only jobs (heavier than a bike carries) are counted the same way. To turn jobs into
couriers, the cooperative's own pace is used: **jobs delivered per worked hour** over the same
weeks (from the log: deliveries, and worked time from acknowledgement to the end of the job as
the ledger counts it), so an hour expecting 6 jobs at 2 jobs per courier-hour wants 3 couriers.
Every figure says how it was computed (``ExpectedHour.why``, a reason the edge words).

It reads events only (``dispatch.events``); the rota (``routing.rota``) takes its output as
``Demand``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dispatch.events import Event, EventType
from dispatch.model import JobRequest
from routing.reasons import Reason, reason

E = EventType
#: A bike's payload (dispatch.model.Vehicle.of_kind("bike")): heavier jobs need a cargo bike.
BIKE_PAYLOAD_KG = 25.0
#: When the log has no delivery yet, the pace assumed (an assumption: a courier in a city
#: centre delivers about 2 jobs an hour, pickup and drop-off included).
DEFAULT_JOBS_PER_HOUR = 2.0


@dataclass(frozen=True)
class ExpectedHour:
    weekday: int  #: 0 = Monday
    hour: int
    jobs: float
    heavy: float
    cargo_only: float
    couriers: int  #: wanted, at the cooperative's pace
    cargo_bikes: int  #: of whom on cargo bikes (at least one where cargo-only jobs are expected)
    why: Reason  #: ``forecast_hour``: the figures it was computed from


@dataclass(frozen=True)
class Forecast:
    hours: tuple[ExpectedHour, ...]
    weeks: int  #: weeks of history actually used
    jobs_per_courier_hour: float
    pace_from: Reason  #: how the pace was found: ``forecast_pace_seen`` or ``forecast_pace_assumed``

    def note(self) -> Reason:
        """How the whole forecast was made (the week page's note): the weeks it looked back on
        and where its pace came from."""
        return reason("forecast_note", weeks=self.weeks, pace_from=self.pace_from.to_json())

    def couriers(self) -> dict[tuple[int, int], int]:
        return {(h.weekday, h.hour): h.couriers for h in self.hours if h.couriers}

    def cargo(self) -> dict[tuple[int, int], int]:
        return {(h.weekday, h.hour): h.cargo_bikes for h in self.hours if h.cargo_bikes}


def forecast(
    events: Iterable[Event], *, timezone: ZoneInfo, until: datetime, weeks: int = 4, heavy_threshold_kg: float = 25.0
) -> Forecast:
    """The expected demand per weekday and hour, from the ``weeks`` weeks before ``until``."""
    if weeks < 1:
        raise ValueError("a forecast looks at one week or more")
    since = until - timedelta(weeks=weeks)
    counts: dict[tuple[int, int], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    first: datetime | None = None
    acknowledged: dict[str, datetime] = {}
    worked_s = 0.0
    delivered = 0
    for event in events:
        if event.type is E.JOB_REQUESTED:
            moment = _to_pick_up(event, since, until, timezone)
            if moment is None:
                continue
            first = moment if first is None else min(first, moment)
            kg = JobRequest.from_json(event.payload["request"]).weight_kg
            row = counts[(moment.weekday(), moment.hour)]
            row[0] += 1
            row[1] += kg >= heavy_threshold_kg
            row[2] += kg > BIKE_PAYLOAD_KG
        elif not since <= event.at < until:
            continue
        elif event.type is E.COURIER_ACKNOWLEDGED:
            acknowledged[str(event.payload["job_id"])] = event.at
        elif event.type in (E.DELIVERED, E.DELIVERY_FAILED):
            began = acknowledged.pop(str(event.payload["job_id"]), None)
            if began is not None:
                worked_s += (event.at - began).total_seconds()
                delivered += event.type is E.DELIVERED
    used = weeks if first is None else max(1, min(weeks, math.ceil((until - first) / timedelta(weeks=1))))
    if delivered and worked_s > 0:
        pace = delivered / (worked_s / 3600.0)
        pace_from = reason("forecast_pace_seen", delivered=delivered, hours=round(worked_s / 3600, 1))
    else:
        pace, pace_from = DEFAULT_JOBS_PER_HOUR, reason("forecast_pace_assumed", pace=DEFAULT_JOBS_PER_HOUR)
    hours = []
    for (weekday, hour), (jobs, heavy, cargo_only) in sorted(counts.items()):
        mean, mean_heavy, mean_cargo = jobs / used, heavy / used, cargo_only / used
        couriers = math.ceil(mean / pace - 1e-9)
        cargo = math.ceil(mean_cargo / pace - 1e-9) if mean_cargo else 0
        why = reason(
            "forecast_hour",
            jobs=jobs,
            weekday=DAY_NAMES[weekday].lower(),  # a code (``Kind.WEEKDAY``), worded at the edge
            hour=hour,
            end_h=hour + 1,
            weeks=used,
            mean=round(mean, 1),
            pace=round(pace, 1),
            pace_from=pace_from.to_json(),
            couriers=couriers,
        )
        hours.append(ExpectedHour(weekday, hour, mean, mean_heavy, mean_cargo, couriers, min(cargo, couriers), why))
    return Forecast(tuple(hours), used, pace, pace_from)


def _to_pick_up(requested: Event, since: datetime, until: datetime, zone: ZoneInfo) -> datetime | None:
    """When a requested job is to be picked up (its pickup window's opening, or its request if
    later), on the cooperative's clock, if that falls within the weeks looked back on; None
    otherwise: a booking made now for next year is no demand of the past weeks. Read from the
    payload's window alone, so requests outside the weeks cost no parsing of the whole request."""
    if requested.at >= until:
        return None
    moment = max(requested.at, datetime.fromisoformat(requested.payload["request"]["pickup_window"]["start"]))
    return moment.astimezone(zone) if since <= moment < until else None


DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
