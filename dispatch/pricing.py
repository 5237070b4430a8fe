"""Tariffs and quotes: a price by distance band, weight band and urgency, with a solidarity rate.

Money is in integer cents, so that the lines of a quote always add up to its total. A quote
states every line, so a client (and a member) can see how the price is made: each line is a
reason (``routing/reasons.py``, a code with its figures), worded at the edge in the reader's
language (``api/clients.py``), as every explanation the domain gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from dispatch.errors import InvalidInput
from dispatch.model import Urgency
from routing.reasons import Reason, reason


@dataclass(frozen=True)
class Band:
    """Applies up to ``up_to`` (km or kg, inclusive); the last band of a list is open-ended."""

    up_to: float
    amount_cents: int


def _check_bands(name: str, bands: tuple[Band, ...]) -> None:
    if not bands:
        raise InvalidInput(name, "one_band_at_least")
    previous = -math.inf
    for band in bands:
        if not band.up_to > previous:
            raise InvalidInput(name, "bands_increase")
        if not isinstance(band.amount_cents, int) or band.amount_cents < 0:
            raise InvalidInput(name, "whole_cents")
        previous = band.up_to
    if not math.isinf(bands[-1].up_to):
        raise InvalidInput(name, "last_band_open")


def _bands(pairs: list[tuple[float, int]]) -> tuple[Band, ...]:
    return tuple(Band(up_to, cents) for up_to, cents in pairs)


@dataclass(frozen=True)
class Tariff:
    currency: str = "EUR"
    base_cents: int = 600
    distance_bands: tuple[Band, ...] = field(
        default_factory=lambda: _bands([(2.0, 0), (5.0, 300), (10.0, 700), (math.inf, 1200)])
    )
    weight_bands: tuple[Band, ...] = field(
        default_factory=lambda: _bands([(10.0, 0), (25.0, 200), (60.0, 600), (math.inf, 1200)])
    )
    express_percent: int = 50  #: surcharge on the subtotal
    solidarity_percent: int = 40  #: reduction for clients the cooperative marks as eligible

    def __post_init__(self) -> None:
        if not isinstance(self.base_cents, int) or self.base_cents < 0:
            raise InvalidInput("base_cents", "whole_cents")
        _check_bands("distance_bands", self.distance_bands)
        _check_bands("weight_bands", self.weight_bands)
        if not 0 <= self.express_percent <= 500:
            raise InvalidInput("express_percent", "from_low_to_high", low=0, high=500, value=self.express_percent)
        if not 0 <= self.solidarity_percent <= 100:
            raise InvalidInput("solidarity_percent", "from_low_to_high", low=0, high=100, value=self.solidarity_percent)

    def to_json(self) -> dict[str, Any]:
        def bands(bs: tuple[Band, ...]) -> list[list[Any]]:
            return [[None if math.isinf(b.up_to) else b.up_to, b.amount_cents] for b in bs]

        return {
            "currency": self.currency,
            "base_cents": self.base_cents,
            "distance_bands_km": bands(self.distance_bands),
            "weight_bands_kg": bands(self.weight_bands),
            "express_percent": self.express_percent,
            "solidarity_percent": self.solidarity_percent,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tariff:
        def bands(pairs: list[list[Any]]) -> tuple[Band, ...]:
            return tuple(Band(math.inf if up is None else float(up), int(c)) for up, c in pairs)

        try:
            return cls(
                currency=str(data["currency"]),
                base_cents=int(data["base_cents"]),
                distance_bands=bands(data["distance_bands_km"]),
                weight_bands=bands(data["weight_bands_kg"]),
                express_percent=int(data["express_percent"]),
                solidarity_percent=int(data["solidarity_percent"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput("tariff", "malformed_tariff", detail=str(exc)) from None


@dataclass(frozen=True)
class QuoteLine:
    what: Reason  #: what the line charges for (``quote_base``, ``quote_distance``...)
    amount_cents: int


@dataclass(frozen=True)
class Quote:
    currency: str
    lines: tuple[QuoteLine, ...]

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "total_cents": self.total_cents,
            "lines": [{**line.what.to_json(), "amount_cents": line.amount_cents} for line in self.lines],
        }


def _band(bands: tuple[Band, ...], value: float) -> tuple[int, Band]:
    for i, band in enumerate(bands):
        if value <= band.up_to:
            return i, band
    raise AssertionError("the last band is open-ended")


def quote(
    tariff: Tariff,
    *,
    distance_m: float,
    weight_kg: float,
    urgency: Urgency = Urgency.STANDARD,
    solidarity: bool = False,
) -> Quote:
    """The price of one job, line by line (distance along the street network, in metres)."""
    if not (math.isfinite(distance_m) and distance_m >= 0):
        raise InvalidInput("distance_m", "metres_not_negative")
    if not (math.isfinite(weight_kg) and weight_kg >= 0):
        raise InvalidInput("weight_kg", "kilograms_not_negative")
    km = distance_m / 1000.0
    lines = [QuoteLine(reason("quote_base"), tariff.base_cents)]
    i, band = _band(tariff.distance_bands, km)
    if band.amount_cents:
        lower = 0.0 if i == 0 else tariff.distance_bands[i - 1].up_to
        lines.append(QuoteLine(reason("quote_distance", km=round(km, 1), over=lower), band.amount_cents))
    i, band = _band(tariff.weight_bands, weight_kg)
    if band.amount_cents:
        lower = 0.0 if i == 0 else tariff.weight_bands[i - 1].up_to
        lines.append(QuoteLine(reason("quote_weight", kg=weight_kg, over=lower), band.amount_cents))
    subtotal = sum(line.amount_cents for line in lines)
    if urgency is Urgency.EXPRESS and tariff.express_percent:
        express = reason("quote_express", percent=tariff.express_percent)
        lines.append(QuoteLine(express, round(subtotal * tariff.express_percent / 100)))
    if solidarity and tariff.solidarity_percent:
        before = sum(line.amount_cents for line in lines)
        solidarity_line = reason("quote_solidarity", percent=tariff.solidarity_percent)
        lines.append(QuoteLine(solidarity_line, -round(before * tariff.solidarity_percent / 100)))
    return Quote(currency=tariff.currency, lines=tuple(lines))


#: What a parcel found heavier than declared at pickup does to its price (issue 18), a rule the
#: cooperative's members set (``Cooperative.settings["repricing"]``): ``none`` keeps the price
#: the client was quoted; ``requote`` prices the job again with the weight found, and the new
#: quote is recorded beside the old one (in the log, and in the client's webhook).
REPRICING_RULES = ("none", "requote")
DEFAULT_REPRICING = "none"


def repricing_rule(settings: dict[str, Any]) -> str:
    """The cooperative's repricing rule, checked (``none`` when the members set none)."""
    rule = settings.get("repricing", DEFAULT_REPRICING)
    if rule not in REPRICING_RULES:
        raise InvalidInput("repricing", "one_of", values=list(REPRICING_RULES))
    return str(rule)


def requoted(
    tariff: Tariff,
    *,
    distance_m: float,
    declared_kg: float,
    found_kg: float,
    urgency: Urgency = Urgency.STANDARD,
    solidarity: bool = False,
) -> dict[str, Any]:
    """The job priced with the weight declared and with the weight found, by the same tariff and
    distance, so that the difference is the weight's alone (the quote history's two entries)."""

    def priced(kg: float) -> dict[str, Any]:
        q = quote(tariff, distance_m=distance_m, weight_kg=kg, urgency=urgency, solidarity=solidarity)
        return {"weight_kg": kg, **q.to_json()}

    return {"rule": "requote", "previous": priced(declared_kg), "new": priced(found_kg)}
