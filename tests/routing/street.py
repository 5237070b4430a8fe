"""Hand-built problems on a straight street, small enough to time by hand in a test.

Place ``i`` is ``i`` x 100 s of riding (500 m) from place 0, in both directions, with nothing to
push or carry; riding slows by ``slowdown_per_25kg`` for every 25 kg on board, so a leg with
``load`` kg takes ``100 * |i - j| / (1 - slowdown * load / 25)`` seconds. Place ``WALL`` is cut
off: no place reaches it and it reaches none.
"""

from __future__ import annotations

import numpy as np

from routing.problem import Courier, Problem, Shipment, TravelTimes

#: How many places the street has (0-7), and the one cut off from the others.
PLACES = 9
WALL = 8


def street_travel(slowdown_per_25kg: float = 0.1) -> TravelTimes:
    at = np.arange(PLACES, dtype=np.float64)
    ride = 100.0 * np.abs(at[:, None] - at[None, :])
    ride[WALL, :] = ride[:, WALL] = np.inf
    ride[WALL, WALL] = 0.0
    return TravelTimes(
        ride_s=ride,
        walk_s=np.zeros_like(ride),
        metres=5.0 * ride,
        cruise_kmh=18.0,
        slowdown_per_25kg=slowdown_per_25kg,
        min_riding_kmh=1.0,
    )


def bike(cid: str, start: int, **fields: object) -> Courier:
    """A bike (25 kg, 60 L, 60 cm) on shift 0-4 h, ending anywhere."""
    base: dict[str, object] = {
        "id": cid,
        "profile": "bike",
        "payload_kg": 25.0,
        "volume_l": 60.0,
        "max_length_cm": 60.0,
        "start": start,
        "shift_start": 0,
        "shift_end": 4 * 3600,
    }
    return Courier(**(base | fields))  # type: ignore[arg-type]


def job(sid: str, pickup: int, dropoff: int, **fields: object) -> Shipment:
    """A 5 kg, 10 L parcel, open all day, one minute to hand over at each end."""
    base: dict[str, object] = {
        "id": sid,
        "pickup": pickup,
        "dropoff": dropoff,
        "pickup_window": (0, 8 * 3600),
        "dropoff_window": (0, 8 * 3600),
        "weight_kg": 5.0,
        "volume_l": 10.0,
        "pickup_service_s": 60,
        "dropoff_service_s": 60,
    }
    return Shipment(**(base | fields))  # type: ignore[arg-type]


def street(couriers: list[Courier], shipments: list[Shipment], **fields: object) -> Problem:
    """The problem on the street (every courier a bike)."""
    return Problem(
        couriers=tuple(couriers),
        shipments=tuple(shipments),
        travel={"bike": street_travel()},
        **fields,  # type: ignore[arg-type]
    )
