"""Expected demand for the coming week, from the cooperative's own log (issue 23).

No black box: for each weekday and hour, the forecast is the **mean number of jobs requested
in that hour on that weekday over the last ``weeks`` weeks** (a week with no request at that
hour counts as zero; weeks before the first request in the log are not counted). Heavy parcels
and cargo-only jobs (heavier than a bike carries) are counted the same way. To turn jobs into
couriers, the cooperative's own pace is used: **jobs delivered per worked hour** over the same
weeks (from the log: deliveries, and worked time from acknowledgement to the end of the job as
the ledger counts it), so an hour expecting 6 jobs at 2 jobs per courier-hour wants 3 couriers.
Every figure says how it was computed (``ExpectedHour.why``).

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
    why: str


@dataclass(frozen=True)
class Forecast:
    hours: tuple[ExpectedHour, ...]
    weeks: int  #: weeks of history actually used
    jobs_per_courier_hour: float
    pace_from: str  #: how the pace was found

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
        if not since <= event.at < until:
            continue
        local = event.at.astimezone(timezone)
        if event.type is E.JOB_REQUESTED:
            first = first or event.at
            kg = JobRequest.from_json(event.payload["request"]).weight_kg
            row = counts[(local.weekday(), local.hour)]
            row[0] += 1
            row[1] += kg >= heavy_threshold_kg
            row[2] += kg > BIKE_PAYLOAD_KG
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
        pace_from = f"{delivered} deliveries in {worked_s / 3600:.1f} worked hours"
    else:
        pace, pace_from = (
            DEFAULT_JOBS_PER_HOUR,
            f"no delivery in the log yet: {DEFAULT_JOBS_PER_HOUR:g} jobs an hour assumed",
        )
    hours = []
    for (weekday, hour), (jobs, heavy, cargo_only) in sorted(counts.items()):
        mean, mean_heavy, mean_cargo = jobs / used, heavy / used, cargo_only / used
        couriers = math.ceil(mean / pace - 1e-9)
        cargo = math.ceil(mean_cargo / pace - 1e-9) if mean_cargo else 0
        why = (
            f"{jobs:g} jobs requested on {DAY_NAMES[weekday]}s {hour:02d}:00-{hour + 1:02d}:00 over the last {used} "
            f"week{'s' if used > 1 else ''}: {mean:.1f} a week; at {pace:.1f} jobs per courier-hour ({pace_from}), "
            f"{couriers} courier{'s' if couriers != 1 else ''}"
        )
        hours.append(ExpectedHour(weekday, hour, mean, mean_heavy, mean_cargo, couriers, min(cargo, couriers), why))
    return Forecast(tuple(hours), used, pace, pace_from)


DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
