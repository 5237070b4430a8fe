"""A day of requests and its fleet, as files analysts can write by hand or export from elsewhere.

JSON: ``{"timezone": "Europe/Helsinki", "couriers": [...], "requests": [...]}`` where a courier is
``{"id", "name", "vehicle", "shift_start", "shift_end"}`` and a request is the body a client
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
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from dispatch.errors import InvalidInput
from dispatch.model import JobRequest, Parcel, Place, TimeWindow, VehicleKind, check_timezone

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
        fleet.append(
            FleetMember(str(c.get("id") or f"courier-{i + 1}"), str(c.get("name") or c.get("id")), kind, start, end)
        )
    if len({c.id for c in fleet}) != len(fleet):
        raise InvalidInput(where, "courier ids must be unique")
    return tuple(fleet)


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
        "couriers": [
            {
                "id": c.id,
                "name": c.name,
                "vehicle": c.vehicle.value,
                "shift_start": c.shift_start.isoformat(),
                "shift_end": c.shift_end.isoformat(),
            }
            for c in day.couriers
        ],
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


def generate_day(
    points: list[tuple[float, float]],
    *,
    start: datetime,
    hours: float = 4.0,
    requests: int = 60,
    fleet: tuple[tuple[str, str], ...] = (
        ("Aino", "bike"),
        ("Eero", "bike"),
        ("Sanni", "bike"),
        ("Veera", "cargo_bike"),
        ("Mikko", "e_cargo_bike"),
        ("Lotta", "cargo_bike"),
    ),
    seed: int = 1,
    heavy_share: float = 0.08,
) -> Day:
    """A plausible day on a city's streets (``points`` are street nodes): for demos and tests."""
    rng = random.Random(seed)
    couriers = tuple(
        FleetMember(name.lower(), name, VehicleKind(kind), start, start + timedelta(hours=hours + 1))
        for name, kind in fleet
    )
    items = []
    for i in range(requests):
        asked = (start + timedelta(seconds=rng.uniform(0, hours * 3600 * 0.85))).replace(microsecond=0)
        heavy = rng.random() < heavy_share
        weight = rng.uniform(40, 110) if heavy else rng.choice([1, 2, 3, 5, 8, 12, 18])
        (plon, plat), (dlon, dlat) = rng.sample(points, 2)
        ready = asked + timedelta(minutes=rng.choice([0, 5, 10]))
        window = timedelta(minutes=rng.choice([45, 60, 90, 120]))
        items.append(
            DayRequest(
                id=f"r{i + 1:03d}",
                request_time=asked,
                request=JobRequest(
                    pickup=Place(round(plon, 6), round(plat, 6), f"stop {2 * i + 1}"),
                    dropoff=Place(round(dlon, 6), round(dlat, 6), f"stop {2 * i + 2}"),
                    pickup_window=TimeWindow(ready, ready + window),
                    dropoff_window=TimeWindow(ready, ready + window + timedelta(minutes=45)),
                    parcels=(
                        Parcel(
                            weight_kg=round(weight, 1),
                            volume_l=round(weight * 2.5, 1),
                            longest_side_cm=120 if heavy and rng.random() < 0.3 else 50,
                            bulky=heavy,
                        ),
                    ),
                ),
            )
        )
    items.sort(key=lambda r: r.request_time)
    return Day("generated", str(start.tzinfo) if start.tzinfo else "UTC", couriers, tuple(items))
