"""A day of requests and its fleet, as files analysts can write by hand or export from elsewhere.

JSON: ``{"timezone": "Europe/Helsinki", "couriers": [...], "requests": [...]}`` where a courier is
``{"id", "name", "vehicle", "shift_start", "shift_end"}``, optionally with the shift's ``"breaks"``
(``[{"earliest", "latest", "minutes"}]``, as a courier announces them when the shift starts) and
``"unavailable_from"`` (the time a dispatcher says they must stop, e.g. sick: the replay makes
that act then), and a request is the body a client
would POST to ``/v1/deliveries`` plus ``"id"`` and ``"request_time"`` and, optionally, what
actually happened: ``"happened": {"courier", "picked_up_at", "delivered_at"}``.

CSV: one request per row with the columns of :data:`CSV_COLUMNS` (the ``happened_*`` ones may be
empty); the fleet then comes from a JSON file (``--fleet``): a list of couriers, or
``{"timezone": ..., "couriers": [...]}``. Times are ISO 8601 with a zone.
Every row is validated like a client's request; a bad one is refused with its line and field.
"""

from __future__ import annotations

import csv
import json
import math
import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from dispatch.errors import InvalidInput
from dispatch.model import JobRequest, Parcel, Place, TimeWindow, VehicleKind, check_timezone
from dispatch.shifts import ShiftBreak, shift_breaks
from routing.network import BikeNetwork
from routing.profiles import PROFILES, handling_time_s

CSV_COLUMNS = (
    "id",
    "request_time",
    "pickup_lon",
    "pickup_lat",
    "pickup_address",
    "dropoff_lon",
    "dropoff_lat",
    "dropoff_address",
    "pickup_start",
    "pickup_end",
    "dropoff_start",
    "dropoff_end",
    "weight_kg",
    "volume_l",
    "longest_side_cm",
    "bulky",
    "happened_courier",
    "happened_picked_up_at",
    "happened_delivered_at",
)
MAX_REQUESTS = 20_000
#: A day of 20,000 requests is a few MB; anything far larger is not a day (and would fill memory).
MAX_FILE_BYTES = 64 << 20


@dataclass(frozen=True)
class FleetMember:
    id: str
    name: str
    vehicle: VehicleKind
    shift_start: datetime
    shift_end: datetime
    #: The breaks the shift holds (issue 18), announced with its start as on the phone.
    breaks: tuple[ShiftBreak, ...] = ()
    #: When a dispatcher says the courier must stop (sick, a broken bike): the replay makes the
    #: live act then (``dispatch.commands.courier_unavailable``).
    unavailable_from: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """The courier as a day file holds them (breaks and ``unavailable_from`` only when set)."""
        return {
            "id": self.id,
            "name": self.name,
            "vehicle": self.vehicle.value,
            "shift_start": self.shift_start.isoformat(),
            "shift_end": self.shift_end.isoformat(),
            **({"breaks": [b.to_json() for b in self.breaks]} if self.breaks else {}),
            **({"unavailable_from": self.unavailable_from.isoformat()} if self.unavailable_from else {}),
        }


@dataclass(frozen=True)
class Happened:
    """What people did on the recorded day (all optional; ``courier`` is the one who carried it)."""

    courier: str | None = None
    picked_up_at: datetime | None = None
    delivered_at: datetime | None = None
    decided_at: datetime | None = None  #: when a dispatcher gave the job to ``courier``
    acknowledged_at: datetime | None = None


@dataclass(frozen=True)
class DayRequest:
    id: str
    request_time: datetime
    request: JobRequest
    happened: Happened = field(default_factory=Happened)


@dataclass(frozen=True)
class Day:
    name: str
    timezone: str
    couriers: tuple[FleetMember, ...]
    requests: tuple[DayRequest, ...]

    def start(self) -> datetime:
        return min([c.shift_start for c in self.couriers] + [r.request_time for r in self.requests])

    def end(self) -> datetime:
        return max([c.shift_end for c in self.couriers] + [r.request.dropoff_window.end for r in self.requests])


def _time(value: Any, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(where, f"{value!r} is not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise InvalidInput(where, "needs a time zone (e.g. 2026-11-28T12:00:00+02:00)")
    return moment


def _fleet(items: Any, where: str) -> tuple[FleetMember, ...]:
    if not isinstance(items, list) or not items:
        raise InvalidInput(where, "the fleet is a non-empty list of couriers")
    fleet = []
    for i, c in enumerate(items):
        at = f"{where}[{i}]"
        if not isinstance(c, dict):
            raise InvalidInput(at, "a courier is an object")
        try:
            kind = VehicleKind(c.get("vehicle", "bike"))
        except ValueError:
            raise InvalidInput(f"{at}.vehicle", f"one of {', '.join(k.value for k in VehicleKind)}") from None
        start, end = _time(c.get("shift_start"), f"{at}.shift_start"), _time(c.get("shift_end"), f"{at}.shift_end")
        if end <= start:
            raise InvalidInput(at, "the shift must end after it starts")
        breaks, gone = _breaks_and_stop(c, at, start, end)
        courier_id, name = str(c.get("id") or f"courier-{i + 1}"), str(c.get("name") or c.get("id"))
        fleet.append(FleetMember(courier_id, name, kind, start, end, breaks, gone))
    if len({c.id for c in fleet}) != len(fleet):
        raise InvalidInput(where, "courier ids must be unique")
    return tuple(fleet)


def _breaks_and_stop(
    courier: dict[str, Any], at: str, start: datetime, end: datetime
) -> tuple[tuple[ShiftBreak, ...], datetime | None]:
    """A courier's breaks, checked as the phone's shift start checks them (inside the shift, the
    minutes fitting the window), and the time they must stop, strictly inside the shift (a stop
    at or before the start is no shift at all; one at or after its end changes nothing)."""
    try:
        breaks = shift_breaks(courier.get("breaks"), start, end)
    except InvalidInput as exc:
        raise InvalidInput(f"{at}.breaks", exc.reason) from None
    gone = courier.get("unavailable_from")
    if gone is None:
        return breaks, None
    stop = _time(gone, f"{at}.unavailable_from")
    if not start < stop < end:
        raise InvalidInput(f"{at}.unavailable_from", "must lie inside the shift, after its start and before its end")
    return breaks, stop


def _request(data: dict[str, Any], where: str) -> DayRequest:
    try:
        request = JobRequest.from_json(
            {
                "pickup": data["pickup"],
                "dropoff": data["dropoff"],
                "pickup_window": data["pickup_window"],
                "dropoff_window": data["dropoff_window"],
                "parcels": data["parcels"],
                "contact": data.get("contact", ""),
                "notes": data.get("notes", ""),
                "urgency": data.get("urgency", "standard"),
            }
        )
    except KeyError as exc:
        raise InvalidInput(where, f"missing {exc}") from None
    except InvalidInput as exc:
        raise InvalidInput(f"{where}.{exc.field}", exc.reason) from None
    for key in ("pickup_window", "dropoff_window"):
        if request.pickup_window.start.tzinfo is None:
            raise InvalidInput(f"{where}.{key}", "needs a time zone")
    happened = data.get("happened") or {}
    if not isinstance(happened, dict):
        raise InvalidInput(f"{where}.happened", "is an object")
    return DayRequest(
        id=str(data.get("id") or where),
        request_time=_time(data.get("request_time"), f"{where}.request_time"),
        request=request,
        happened=Happened(
            courier=str(happened["courier"]) if happened.get("courier") else None,
            **{
                key: _time(happened[key], f"{where}.happened.{key}") if happened.get(key) else None
                for key in ("picked_up_at", "delivered_at", "decided_at", "acknowledged_at")
            },
        ),
    )


def _read_text(path: Path, field: str) -> str:
    """A file's text, refused with ``field`` when it cannot be read, is too large or is not UTF-8."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InvalidInput(field, f"{path}: larger than {MAX_FILE_BYTES >> 20} MB")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(field, f"{path}: cannot read it ({exc})") from None


def _parse_json(text: str, field: str, path: Path) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise InvalidInput(field, f"{path}: not JSON ({type(exc).__name__}: {exc})") from None


def _csv_rows(text: str, path: Path) -> list[dict[str, str]]:
    """The rows of a CSV day, each with exactly the header's columns (a short or long row is refused)."""
    reader = csv.reader(text.splitlines())
    try:
        header = next(reader, None)
        if not header:
            raise InvalidInput("file", f"{path}: empty (a CSV day starts with a header line)")
        missing = set(CSV_COLUMNS[:16]) - set(header)
        if missing:
            raise InvalidInput("columns", f"missing {', '.join(sorted(missing))}")
        rows: list[dict[str, str]] = []
        for values in reader:
            if len(rows) >= MAX_REQUESTS:
                raise InvalidInput("requests", f"at most {MAX_REQUESTS} requests per day")
            if len(values) != len(header):
                where = f"line {reader.line_num}"
                raise InvalidInput(where, f"{len(values)} fields where the header has {len(header)}")
            rows.append(dict(zip(header, values, strict=True)))
    except csv.Error as exc:
        raise InvalidInput(f"line {reader.line_num}", f"not CSV ({exc})") from None
    if not rows:
        raise InvalidInput("requests", f"{path}: holds no request")
    return rows


def read_day(path: Path, *, fleet: Path | None = None) -> Day:
    """Read a day from a .json or .csv file (with its fleet from ``fleet`` for CSV)."""
    text = _read_text(path, "file")
    if path.suffix.lower() == ".json":
        data = _parse_json(text, "file", path)
        if fleet is not None:
            given = _read_fleet(fleet)
            if isinstance(data, dict):
                data = {**data, "couriers": given.get("couriers") if isinstance(given, dict) else given}
        return day_from_json(data, path.stem)
    if path.suffix.lower() == ".csv":
        if fleet is None:
            raise InvalidInput("fleet", "a CSV day needs its fleet: --fleet couriers.json")
        fleet_data = _read_fleet(fleet)
        rows = _csv_rows(text, path)
        parsed: list[DayRequest] = []
        for line, row in enumerate(rows, start=2):
            where = f"line {line}"
            try:
                body = {
                    "id": row["id"],
                    "request_time": row["request_time"],
                    "pickup": {
                        "lon": float(row["pickup_lon"]),
                        "lat": float(row["pickup_lat"]),
                        "address": row["pickup_address"],
                    },
                    "dropoff": {
                        "lon": float(row["dropoff_lon"]),
                        "lat": float(row["dropoff_lat"]),
                        "address": row["dropoff_address"],
                    },
                    "pickup_window": {"start": row["pickup_start"], "end": row["pickup_end"]},
                    "dropoff_window": {"start": row["dropoff_start"], "end": row["dropoff_end"]},
                    "parcels": [
                        {
                            "weight_kg": float(row["weight_kg"]),
                            "volume_l": float(row["volume_l"] or 0),
                            "longest_side_cm": float(row["longest_side_cm"] or 30),
                            "bulky": row["bulky"].strip().lower() in ("1", "true", "yes"),
                        }
                    ],
                    "happened": {
                        "courier": row.get("happened_courier") or None,
                        "picked_up_at": row.get("happened_picked_up_at") or None,
                        "delivered_at": row.get("happened_delivered_at") or None,
                    },
                }
            except (ValueError, TypeError) as exc:
                raise InvalidInput(where, f"a number is not a number ({exc})") from None
            parsed.append(_request(body, where))
        tz = str(fleet_data.get("timezone", "Europe/Helsinki")) if isinstance(fleet_data, dict) else "Europe/Helsinki"
        check_timezone(tz)
        members = fleet_data.get("couriers") if isinstance(fleet_data, dict) else fleet_data
        return Day(path.stem, tz, _fleet(members, "fleet"), tuple(parsed))
    raise InvalidInput("file", f"{path}: a day is a .json or .csv file")


def day_from_json(data: Any, name: str = "day") -> Day:
    """A day from its JSON form (a file's content or an API body), validated like a request."""
    if not isinstance(data, dict):
        raise InvalidInput("day", "a day is a JSON object with couriers and requests")
    timezone = str(data.get("timezone", "Europe/Helsinki"))
    check_timezone(timezone)
    given = data.get("couriers")
    couriers = _fleet(given.get("couriers") if isinstance(given, dict) else given, "couriers")
    items = data.get("requests")
    if not isinstance(items, list) or not items:
        raise InvalidInput("requests", "a non-empty list of requests (a day without any measures nothing)")
    if len(items) > MAX_REQUESTS:
        raise InvalidInput("requests", f"at most {MAX_REQUESTS} requests per day")
    requests = tuple(_request(r if isinstance(r, dict) else {}, f"requests[{i}]") for i, r in enumerate(items))
    return Day(name, timezone, couriers, requests)


def _read_fleet(path: Path) -> Any:
    return _parse_json(_read_text(path, "fleet"), "fleet", path)


def day_json(day: Day) -> dict[str, Any]:
    """The JSON form of a day (what :func:`read_day` reads back)."""
    return {
        "timezone": day.timezone,
        "couriers": [c.to_json() for c in day.couriers],
        "requests": [
            {
                "id": r.id,
                "request_time": r.request_time.isoformat(),
                **r.request.to_json(),
                **(
                    {
                        "happened": {
                            "courier": r.happened.courier,
                            **{
                                key: getattr(r.happened, key).isoformat() if getattr(r.happened, key) else None
                                for key in ("picked_up_at", "delivered_at", "decided_at", "acknowledged_at")
                            },
                        }
                    }
                    if r.happened.courier
                    else {}
                ),
            }
            for r in day.requests
        ],
    }


#: Vehicles of a generated fleet, in the order couriers are added: six bikes in ten, two cargo and
#: two e-cargo bikes, an e-cargo bike second so that even a fleet of two can carry 100-120 kg.
FLEET_PATTERN = (
    VehicleKind.BIKE,
    VehicleKind.E_CARGO_BIKE,
    VehicleKind.BIKE,
    VehicleKind.CARGO_BIKE,
    VehicleKind.BIKE,
    VehicleKind.BIKE,
    VehicleKind.E_CARGO_BIKE,
    VehicleKind.BIKE,
    VehicleKind.CARGO_BIKE,
    VehicleKind.BIKE,
)
#: Shifts as (start, end) in fractions of the day, cycled over the bikes: whole days, mornings,
#: afternoons and a lunch shift, so the day is covered and the peak has more hands.
BIKE_SHIFTS = ((0.0, 1.0), (0.0, 0.625), (0.375, 1.0), (0.1875, 0.75), (0.0, 0.5), (0.5, 1.0))
#: Cargo couriers mostly work the whole day (heavy parcels come all day); one in three is split.
CARGO_SHIFTS = ((0.0, 1.0), (0.0, 1.0), (0.0, 0.625), (0.0, 1.0), (0.375, 1.0))
NAMES = (
    "Aino", "Eero", "Sanni", "Veera", "Mikko", "Lotta", "Onni", "Helmi", "Ilari", "Kerttu",
    "Joel", "Iida", "Aleksi", "Noora", "Ville", "Emma", "Jussi", "Sofia", "Tuomas", "Elsa",
    "Pauli", "Ronja", "Antti", "Venla", "Oskari", "Milla", "Leo", "Aada", "Niko", "Enni",
)  # fmt: skip
#: The lunch peak: requests come this much denser around 12:30 local time (sd 45 min, so most of
#: the extra between 11:30 and 13:30) than the rest of the day.
LUNCH_PEAK = 2.0
LUNCH_MINUTE, LUNCH_SD_MIN = 12 * 60 + 30, 45.0
#: The fleet is sized so that the expected work fills this share of the shifts' hours: enough
#: slack for the peak and for waiting on pickup windows, without couriers idling all day.
UTILISATION = 0.7
#: Streets are longer than the straight line; couriers chain jobs across town between them.
DETOUR, EMPTY_SHARE = 1.4, 1.0
#: Worked time counts from the moment a courier holds a job (riding to it, waiting for its
#: pickup window), not only riding and handling: about half as much again in replays of
#: generated days (60 requests over 4 h on Helsinki: 650 riding minutes, ~1,000 worked).
HELD = 1.5


def street_points(network: BikeNetwork) -> list[tuple[float, float]]:
    """(lon, lat) of the street nodes every vehicle can reach (so no job is a bike's alone)."""
    from routing.matrix import routable_graph

    nodes = routable_graph(network, "bike").nodes
    for kind in ("cargo_bike", "e_cargo_bike"):
        nodes = np.intersect1d(nodes, routable_graph(network, kind).nodes)
    return [(float(network.lon[n]), float(network.lat[n])) for n in nodes.tolist()]


def service_area(points: list[tuple[float, float]], radius_km: float) -> list[tuple[float, float]]:
    """The points within ``radius_km`` of the densest part of the map: where a cooperative works.

    An imported map is often a whole region (Andorra's is 40 km across valleys and passes); a
    bike courier's day is a town's, so requests are drawn around its busiest streets. The
    centre is the kilometre square with the most street nodes, moved to their mean position.
    """
    if not points:
        return points
    lat0 = sorted(p[1] for p in points)[len(points) // 2]
    step_lon, step_lat = 1 / (111.32 * math.cos(math.radians(lat0))), 1 / 111.32
    squares: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for p in points:
        squares.setdefault((math.floor(p[0] / step_lon), math.floor(p[1] / step_lat)), []).append(p)
    densest = max(sorted(squares), key=lambda k: len(squares[k]))
    near = [p for p in points if _km(squares[densest][0], p) <= radius_km]
    centre = (sum(p[0] for p in near) / len(near), sum(p[1] for p in near) / len(near))
    inside = [p for p in points if _km(centre, p) <= radius_km]
    return inside if len(inside) >= 2 else points


def city_timezone(points: list[tuple[float, float]]) -> str | None:
    """The IANA zone of the city the points lie in, offline (tzfpy); None when it cannot tell.

    A day's times are local: shifts, the lunch peak and replays' day boundaries all need the
    city's own zone, and an offset such as ``UTC+02:00`` is refused by replays.
    """
    try:
        import tzfpy
    except ImportError:  # pragma: no cover - a dependency; the caller then needs --timezone
        return None
    lons, lats = sorted(p[0] for p in points), sorted(p[1] for p in points)
    name = tzfpy.get_tz(lons[len(lons) // 2], lats[len(lats) // 2])
    try:
        check_timezone(name)
    except InvalidInput:
        return None
    return name


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle kilometres (the estimate of a fleet's size needs no street network)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 12742.0 * math.asin(min(1.0, math.sqrt(h)))


def _parcel(rng: random.Random, heavy: bool) -> Parcel:
    """A parcel from a courier's usual mix, with a volume consistent with its weight.

    Mostly light (documents, meals, small boxes); one in four 8-20 kg (groceries, cases of
    drinks); heavy ones 40-120 kg (furniture, crates of produce) fill a cargo box, not a bag.
    """
    if heavy:
        weight = rng.uniform(40, 120)
        length = rng.uniform(60, 150)
        return Parcel(round(weight, 1), round(weight * rng.uniform(1.2, 2.0), 1), round(length), length > 100)
    if rng.random() < 0.75:
        weight = rng.uniform(0.3, 8)
        volume = max(1.0, weight * rng.uniform(1.5, 4.0))
        return Parcel(round(weight, 1), round(volume, 1), round(rng.uniform(20, 50)))
    weight = rng.uniform(8, 20)
    return Parcel(round(weight, 1), round(weight * rng.uniform(1.5, 2.8), 1), round(rng.uniform(30, 60)))


def _shifts(kinds: list[VehicleKind], start: datetime, hours: float) -> list[tuple[datetime, datetime]]:
    """Each courier's shift, on quarter hours, from the patterns above (at least an hour long)."""
    quarters = max(4, round(hours * 4))
    bikes = cargo = 0
    shifts = []
    for kind in kinds:
        if kind is VehicleKind.BIKE:
            a, b = BIKE_SHIFTS[bikes % len(BIKE_SHIFTS)]
            bikes += 1
        else:
            a, b = CARGO_SHIFTS[cargo % len(CARGO_SHIFTS)]
            cargo += 1
        first, last = round(a * quarters), round(b * quarters)
        if last - first < 4:
            first, last = max(0, min(first, quarters - 4)), max(last, min(quarters, first + 4))
        shifts.append((start + timedelta(minutes=15 * first), start + timedelta(minutes=15 * last)))
    return shifts


def expected_work_hours(requests: list[JobRequest]) -> float:
    """A rough estimate of the riding and handling a day's requests need, in courier-hours.

    Each job: its ride from pickup to drop-off (straight line times a detour factor), an empty
    ride from the previous job of about the same length, and handling at both ends, at a
    typical cargo-and-bike speed, times :data:`HELD`. Good enough to size a fleet; the planner
    does the real sums.
    """
    kmh = sum(PROFILES[k.profile].cruise_kmh for k in FLEET_PATTERN) / len(FLEET_PATTERN)
    seconds = 0.0
    for r in requests:
        km = _km((r.pickup.lon, r.pickup.lat), (r.dropoff.lon, r.dropoff.lat)) * DETOUR
        handling = handling_time_s(r.weight_kg, len(r.parcels), any(p.bulky for p in r.parcels))
        seconds += km * (1 + EMPTY_SHARE) / kmh * 3600 + 2 * handling
    return HELD * seconds / 3600


def size_fleet(work_hours: float, start: datetime, hours: float) -> int:
    """The fewest couriers whose shifts (the generator's patterns) hold the work at UTILISATION."""
    n = 1
    while n < 500:
        shifts = _shifts([FLEET_PATTERN[i % len(FLEET_PATTERN)] for i in range(n)], start, hours)
        if sum((b - a).total_seconds() for a, b in shifts) / 3600 * UTILISATION >= work_hours:
            break
        n += 1
    return max(2, n)


def _request_times(rng: random.Random, start: datetime, hours: float, n: int) -> list[datetime]:
    """Request times over the day, denser at lunch (local time), none in the last hour."""
    last = max(0.5, hours - 1.0) if hours > 1.5 else hours * 0.85
    peak = 1 + LUNCH_PEAK
    times: list[datetime] = []
    while len(times) < n:
        at = start + timedelta(seconds=rng.uniform(0, last * 3600))
        minute = at.hour * 60 + at.minute
        intensity = 1 + LUNCH_PEAK * math.exp(-0.5 * ((minute - LUNCH_MINUTE) / LUNCH_SD_MIN) ** 2)
        if rng.random() * peak <= intensity:
            times.append(at.replace(microsecond=0))
    return sorted(times)


def generate_day(
    points: list[tuple[float, float]],
    *,
    start: datetime,
    hours: float = 8.0,
    requests: int = 120,
    fleet: tuple[tuple[str, str], ...] | None = None,
    couriers: int | None = None,
    seed: int = 1,
    heavy_share: float = 0.08,
    timezone: str | None = None,
    area_km: float | None = 1.5,
    breaks: bool = False,
    sick: int = 0,
) -> Day:
    """A plausible day on a city's streets (``points`` are street nodes): for demos, tests, benchmarks.

    Requests come denser at lunch, parcels are a real mix (exactly ``heavy_share`` of them heavy,
    40-120 kg), and the fleet is sized to the demand (``couriers`` or ``fleet`` fix it) with mixed
    vehicles and shifts of different lengths and starts that cover the day. Places are within
    ``area_km`` of the map's busiest streets (None: anywhere on it). Times are in the city's
    zone (``timezone``, else looked up from the points); ``start`` is read in that zone.
    ``breaks`` gives every shift longer than :data:`BREAK_AFTER` a break around its middle, and
    ``sick`` couriers must stop at a seeded time of their shift (:func:`with_breaks_and_stops`).
    """
    zone_name = timezone or city_timezone(points)
    if zone_name is None:
        raise InvalidInput("timezone", "cannot tell the city's time zone: give it (e.g. --timezone Europe/Paris)")
    zone = check_timezone(zone_name)
    if area_km is not None:
        points = service_area(points, area_km)
    start = start.replace(tzinfo=zone) if start.tzinfo is None else start.astimezone(zone)
    rng = random.Random(seed)
    end = start + timedelta(hours=hours)
    times = _request_times(rng, start, hours, requests)
    heavy = set(rng.sample(range(requests), round(heavy_share * requests)))
    items = [_generated_request(rng, i, asked, i in heavy, points, end) for i, asked in enumerate(times)]
    if fleet is not None:
        members = [(name, VehicleKind(kind)) for name, kind in fleet]
    else:
        n = couriers or size_fleet(expected_work_hours([r.request for r in items]), start, hours)
        members = [
            (NAMES[i % len(NAMES)] + (f" {i // len(NAMES) + 1}" if i >= len(NAMES) else ""), FLEET_PATTERN[i % 10])
            for i in range(n)
        ]
    shifts = _shifts([kind for _, kind in members], start, hours)
    team = tuple(
        FleetMember(name.lower().replace(" ", "-"), name, kind, a, b)
        for (name, kind), (a, b) in zip(members, shifts, strict=True)
    )
    team = with_breaks_and_stops(team, breaks=breaks, sick=sick, seed=seed)
    return Day("generated", zone_name, team, tuple(items))


#: A shift longer than this holds a break when a generated day has breaks (most collective
#: agreements require one past five or six hours of work).
BREAK_AFTER = timedelta(hours=5)
#: The generated break: 30 minutes, taken anywhere in a window of 2 h 30 around the shift's
#: middle (the issue's example: 30 min between 12:00 and 14:30).
BREAK_MINUTES, BREAK_WINDOW = 30, timedelta(minutes=150)


def with_breaks_and_stops(
    team: tuple[FleetMember, ...], *, breaks: bool, sick: int, seed: int
) -> tuple[FleetMember, ...]:
    """The fleet with its breaks and the couriers who must stop (sick, a broken bike).

    The stops are drawn from a random source of their own, so that a seed gives the same
    requests and fleet with or without them; each stop falls in the middle half of the shift,
    on a whole minute.
    """
    if isinstance(sick, bool) or not 0 <= sick <= len(team):
        raise InvalidInput("sick", f"between 0 and the {len(team)} couriers of the day")
    rng = random.Random(f"{seed}:unavailable")
    stopping = set(rng.sample(range(len(team)), sick))
    out = []
    for i, member in enumerate(team):
        length = member.shift_end - member.shift_start
        held, stop = member.breaks, member.unavailable_from
        if breaks and length > BREAK_AFTER:
            middle = member.shift_start + length / 2
            held = (ShiftBreak(middle - BREAK_WINDOW / 2, middle + BREAK_WINDOW / 2, BREAK_MINUTES),)
        if i in stopping:
            stop = (member.shift_start + length * rng.uniform(0.25, 0.75)).replace(second=0, microsecond=0)
        out.append(replace(member, breaks=held, unavailable_from=stop))
    return tuple(out)


def _generated_request(
    rng: random.Random, i: int, asked: datetime, heavy: bool, points: list[tuple[float, float]], end: datetime
) -> DayRequest:
    """The ``i``-th request of a generated day, asked at ``asked``: its parcel, its two stops and
    its windows (the random draws in the order the generator has always made them, so a seed
    gives the same day as before)."""
    parcel = _parcel(rng, heavy)
    (plon, plat), (dlon, dlat) = rng.sample(points, 2)
    # Heavy parcels are booked ahead; the rest are wanted within the hour or two.
    ready = asked + timedelta(minutes=rng.choice([30, 45, 60]) if heavy else rng.choice([0, 5, 10, 15]))
    ready = min(ready, max(asked, end - timedelta(hours=1)))
    total = timedelta(minutes=rng.choice([45, 60, 90, 120]) + rng.choice([30, 45, 60]))
    total = max(timedelta(minutes=45), min(total, end - ready))
    pickup_end = ready + min(timedelta(minutes=rng.choice([30, 45, 60, 90])), total - timedelta(minutes=30))
    return DayRequest(
        id=f"r{i + 1:03d}",
        request_time=asked,
        request=JobRequest(
            pickup=Place(round(plon, 6), round(plat, 6), f"stop {2 * i + 1}"),
            dropoff=Place(round(dlon, 6), round(dlat, 6), f"stop {2 * i + 2}"),
            pickup_window=TimeWindow(ready, pickup_end),
            dropoff_window=TimeWindow(ready, ready + total),
            parcels=(parcel,),
        ),
    )
