"""The cooperative's nouns: who rides, what is carried, where and when.

Plain frozen dataclasses that validate themselves, so that a bad value is refused before
anything is written. There is deliberately **nothing** here that grades a courier: no mark, no
acceptance figure, no speed figure (tests/dispatch/test_schema.py checks every field name).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dispatch.errors import InvalidInput
from routing.profiles import PROFILES

MAX_PARCELS_PER_JOB = 50
MAX_TEXT = 500


class VehicleKind(StrEnum):
    BIKE = "bike"
    CARGO_BIKE = "cargo_bike"
    E_CARGO_BIKE = "e_cargo_bike"
    TRAILER = "trailer"  #: a bike with a trailer: rides like an unassisted cargo bike

    @property
    def profile(self) -> str:
        """The routing profile whose access rules and speeds apply."""
        return "cargo_bike" if self is VehicleKind.TRAILER else self.value


class Urgency(StrEnum):
    STANDARD = "standard"
    EXPRESS = "express"


class Role(StrEnum):
    DISPATCHER = "dispatcher"
    ANALYST = "analyst"


def _text(field_name: str, value: str, *, required: bool = True, limit: int = MAX_TEXT) -> None:
    if not isinstance(value, str):
        raise InvalidInput(field_name, "must_be_text")
    if required and not value.strip():
        raise InvalidInput(field_name, "must_not_be_empty")
    if len(value) > limit:
        raise InvalidInput(field_name, "too_many_characters", limit=limit)
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise InvalidInput(field_name, "control_characters")


def _number(field_name: str, value: float, *, low: float, high: float, low_inclusive: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(field_name, "finite_number")
    if value < low or (value == low and not low_inclusive) or value > high:
        why = "from_low_to_high" if low_inclusive else "above_low_to_high"
        raise InvalidInput(field_name, why, low=low, high=high, value=value)


def _aware(field_name: str, value: datetime) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(field_name, "date_time_with_zone")


def check_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("timezone", "unknown_time_zone", value=name) from None


@dataclass(frozen=True)
class Vehicle:
    kind: VehicleKind
    payload_kg: float
    volume_l: float
    max_length_cm: float

    def __post_init__(self) -> None:
        if not isinstance(self.kind, VehicleKind):
            raise InvalidInput("vehicle.kind", "one_of", values=[k.value for k in VehicleKind])
        _number("vehicle.payload_kg", self.payload_kg, low=0, high=1000)
        _number("vehicle.volume_l", self.volume_l, low=0, high=10_000)
        _number("vehicle.max_length_cm", self.max_length_cm, low=0, high=1000)

    @classmethod
    def of_kind(cls, kind: VehicleKind | str, **overrides: float) -> Vehicle:
        """A vehicle with the defaults of its profile, unless the cooperative states its own."""
        try:
            kind = VehicleKind(kind)
        except ValueError:
            raise InvalidInput("vehicle.kind", "one_of", values=[k.value for k in VehicleKind]) from None
        profile = PROFILES[kind.profile]
        values = {
            "payload_kg": profile.payload_kg,
            "volume_l": profile.volume_l,
            "max_length_cm": profile.max_length_cm,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(kind=kind, **values)


@dataclass(frozen=True)
class Place:
    lon: float
    lat: float
    address: str = ""

    def __post_init__(self) -> None:
        _number("lon", self.lon, low=-180, high=180, low_inclusive=True)
        _number("lat", self.lat, low=-90, high=90, low_inclusive=True)
        _text("address", self.address, required=False, limit=200)


@dataclass(frozen=True)
class TimeWindow:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _aware("window.start", self.start)
        _aware("window.end", self.end)
        if self.end < self.start:
            raise InvalidInput("window", "ends_before_start", start=self.start.isoformat(), end=self.end.isoformat())


@dataclass(frozen=True)
class Parcel:
    weight_kg: float
    volume_l: float = 0.0
    longest_side_cm: float = 30.0
    bulky: bool = False
    fragile: bool = False
    cold: bool = False

    def __post_init__(self) -> None:
        _number("parcel.weight_kg", self.weight_kg, low=0, high=1000)
        _number("parcel.volume_l", self.volume_l, low=0, high=10_000, low_inclusive=True)
        _number("parcel.longest_side_cm", self.longest_side_cm, low=0, high=1000)
        for flag in ("bulky", "fragile", "cold"):
            if not isinstance(getattr(self, flag), bool):
                raise InvalidInput(f"parcel.{flag}", "true_or_false")


@dataclass(frozen=True)
class JobRequest:
    """What a client asks for: one pickup, one drop-off, the parcels, the windows."""

    pickup: Place
    dropoff: Place
    pickup_window: TimeWindow
    dropoff_window: TimeWindow
    parcels: tuple[Parcel, ...]
    contact: str = ""  #: a name or phone for the drop-off; nothing more
    notes: str = ""
    urgency: Urgency = Urgency.STANDARD

    def __post_init__(self) -> None:
        if not 1 <= len(self.parcels) <= MAX_PARCELS_PER_JOB:
            raise InvalidInput("parcels", "parcels_per_job", most=MAX_PARCELS_PER_JOB)
        if self.dropoff_window.end < self.pickup_window.start:
            raise InvalidInput("dropoff_window", "dropoff_before_pickup")
        _text("contact", self.contact, required=False, limit=100)
        _text("notes", self.notes, required=False)
        if not isinstance(self.urgency, Urgency):
            raise InvalidInput("urgency", "one_of", values=["standard", "express"])

    @property
    def weight_kg(self) -> float:
        return sum(p.weight_kg for p in self.parcels)

    @property
    def volume_l(self) -> float:
        return sum(p.volume_l for p in self.parcels)

    @property
    def longest_side_cm(self) -> float:
        return max(p.longest_side_cm for p in self.parcels)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("pickup_window", "dropoff_window"):
            data[key] = {k: v.isoformat() for k, v in data[key].items()}
        data["parcels"] = list(data["parcels"])
        data["urgency"] = self.urgency.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobRequest:
        """Rebuild (and so re-validate) a request; malformed data raises InvalidInput."""
        try:
            return cls(
                pickup=Place(**data["pickup"]),
                dropoff=Place(**data["dropoff"]),
                pickup_window=_window(data["pickup_window"]),
                dropoff_window=_window(data["dropoff_window"]),
                parcels=tuple(Parcel(**p) for p in data["parcels"]),
                contact=data.get("contact", ""),
                notes=data.get("notes", ""),
                urgency=Urgency(data.get("urgency", "standard")),
            )
        except InvalidInput:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput("job", "malformed_request", detail=str(exc)) from None


def _window(data: dict[str, str]) -> TimeWindow:
    return TimeWindow(start=datetime.fromisoformat(data["start"]), end=datetime.fromisoformat(data["end"]))


@dataclass(frozen=True)
class Courier:
    """A member who rides. A name, a vehicle, a way to reach them: nothing that ranks them."""

    id: str
    cooperative_id: str
    display_name: str
    vehicle: Vehicle
    contact: str = ""
    active: bool = True

    def __post_init__(self) -> None:
        _text("display_name", self.display_name, limit=60)
        _text("contact", self.contact, required=False, limit=100)


@dataclass(frozen=True)
class Cooperative:
    id: str
    name: str
    timezone: str = "Europe/Helsinki"
    heavy_threshold_kg: float = 25.0  #: a job at least this heavy counts as heavy in the ledger
    fairness_weight: float = 0.5  #: 0 = pure efficiency; set by the members
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _text("name", self.name, limit=100)
        check_timezone(self.timezone)
        _number("heavy_threshold_kg", self.heavy_threshold_kg, low=0, high=1000)
        _number("fairness_weight", self.fairness_weight, low=0, high=100, low_inclusive=True)


@dataclass(frozen=True)
class Client:
    id: str
    cooperative_id: str
    name: str
    solidarity: bool = False  #: eligible for the cooperative's solidarity tariff

    def __post_init__(self) -> None:
        _text("name", self.name, limit=100)


@dataclass(frozen=True)
class Member:
    """A dispatcher or an analyst of one cooperative."""

    id: str
    cooperative_id: str
    role: Role
    display_name: str
    login: str

    def __post_init__(self) -> None:
        _text("display_name", self.display_name, limit=60)
        _text("login", self.login, limit=60)
