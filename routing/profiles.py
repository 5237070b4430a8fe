"""Vehicle profiles: which ways a bike, a cargo bike or an e-cargo bike may use, and how fast.

This is the one place that holds the speed model (ARCHITECTURE.md section 5) and its figures.
Each constant names its source; a figure marked *assumption* is an engineering judgement that
no study we found pins down, and should be calibrated against a cooperative's own GPS traces.

Sources
-------
[S17]  Schleinitz, Petzoldt, Franke-Bartholdt, Krems & Gehlert (2017). "The German Naturalistic
       Cycling Study - Comparing cycling speed of riders of different e-bikes and conventional
       bicycles." Safety Science 92, 290-297. Conventional bicycles about 15.3 km/h mean,
       pedelecs about 2 km/h faster.
[PM20] Pedal Me (2020). Fleet report on about 19,000 km of cargo-bike GPS traces in London:
       mean moving speed 15 km/h in central London, 16.4 km/h in inner London (industry data).
[C14]  Conway, Kamga et al. (2014). Freight Tricycle Operations in New York City. NYSERDA report
       14-33: heavily loaded trikes mostly below 14 km/h, lightly loaded up to 24 km/h.
[M98]  Martin, Milliken, Cobb, McFadden & Coggan (1998). "Validation of a mathematical model
       for road cycling power." J. Applied Biomechanics 14(3), 276-291. Power balance
       P = v (Crr m g + 1/2 rho CdA v^2) on the flat, used below to derive the load effect.
[OSRM] Project OSRM, profiles/bicycle.lua: surface speeds (asphalt 15, paving stones 10,
       compacted 10, sett 9, cobblestone 7, gravel 6, sand 3 km/h), pushing 4 km/h, steps 2 km/h.
[HH12] Hoelzel, Hoechtl & Senner (2012). "Cycling comfort on different road surfaces."
       Procedia Engineering 34, 479-484: cobblestones about twice the rolling resistance of
       concrete slabs.
[B97]  Bohannon (1997). "Comfortable and maximum walking speed of adults aged 20-79 years."
       Age and Ageing 26, 15-19: comfortable walking 1.27-1.46 m/s.
[DC23] Dalla Chiara, Donnelly, Gunes & Goodchild (2023). Transportation Research Part A 167:
       cargo-cycle delivery stops last about 4 minutes, one delivery per stop.
[EU13] Regulation (EU) 168/2013, art. 2(2)(h): pedal assistance up to 250 W, cut off at
       25 km/h (EN 15194).
[UA]   Urban Arrow and Larry vs Harry (Bullitt) specification sheets: 0.63 m / about 0.65 m wide,
       100-110 kg cargo; Urban Arrow Tender trikes up to 350 kg, 1,500 L.

Load effect, derived from [M98]: an unassisted rider sustaining 100 W (assumption; Wilson &
Papadopoulos, Bicycling Science, give about 75 W over a working day), 80 kg rider, 40 kg bike,
Crr 0.008, CdA 0.6 m^2 rides 18.3 km/h empty and 14.7 km/h with 100 kg on the flat: about 5 %
slower per 25 kg. With 250 W of assistance the 25 km/h cut-off binds on the flat, so the load
costs only in acceleration after stops and on slopes; we take 2 % per 25 kg (assumption).
A city imported with SRTM tiles (``routing.elevation``) has slopes: ``routing.climbing`` then
bounds these flat speeds uphill by the power model of [M98] and lets descents go faster, up to
a braking cap. Without tiles every street is flat, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from routing.climbing import CLIMBING, riding_speed_kmh
from routing.network import HIGHWAY_VALUES, SURFACE_VALUES, ArcFlag, BikeNetwork


class Movement(IntEnum):
    """How a vehicle gets along an arc."""

    FORBIDDEN = 0
    RIDE = 1
    PUSH = 2  #: walked beside the bike: footways, pedestrian zones, bicycle=dismount
    CARRY = 3  #: steps, bike carried


@dataclass(frozen=True)
class VehicleProfile:
    """The rules and speeds of one kind of vehicle.

    ``payload_kg``, ``volume_l`` and ``max_length_cm`` are the defaults for a vehicle of this
    kind; a cooperative's own vehicles may declare other figures.
    """

    name: str
    is_cargo: bool  #: cargo_bike=no applies, steps are forbidden, narrow ways too
    assisted: bool
    width_m: float
    min_way_width_m: float | None  #: ways tagged narrower are forbidden (None: no limit)
    cruise_kmh: float  #: moving speed, empty, on smooth asphalt
    slowdown_per_25kg: float  #: fraction of cruise speed lost per 25 kg carried
    min_riding_kmh: float  #: the load effect never goes below this
    push_kmh: float
    steps_kmh: float | None  #: None: steps are forbidden
    payload_kg: float
    volume_l: float
    max_length_cm: float

    def riding_kmh(self, load_kg: float) -> float:
        """Moving speed on smooth asphalt with ``load_kg`` on board."""
        if load_kg < 0:
            raise ValueError(f"load must be zero or more kilograms, got {load_kg}")
        slowed = self.cruise_kmh * (1.0 - self.slowdown_per_25kg * load_kg / 25.0)
        return max(self.min_riding_kmh, slowed)


#: Walking a bike [OSRM 4 km/h, below the 4.6-5.3 km/h of unencumbered walking in B97].
PUSH_BIKE_KMH = 4.0
#: Walking a loaded cargo bike: heavier and longer to manoeuvre (assumption).
PUSH_CARGO_KMH = 3.0
#: A bike carried on steps, horizontal speed [OSRM].
STEPS_BIKE_KMH = 2.0
#: Lateral clearance each side when a cargo bike passes along a narrow way (assumption).
CARGO_CLEARANCE_M = 0.15

PROFILES: dict[str, VehicleProfile] = {
    "bike": VehicleProfile(
        name="bike",
        is_cargo=False,
        assisted=False,
        width_m=0.65,
        min_way_width_m=None,
        cruise_kmh=15.3,  # [S17]
        slowdown_per_25kg=0.05,  # [M98] derivation above
        min_riding_kmh=8.0,
        push_kmh=PUSH_BIKE_KMH,
        steps_kmh=STEPS_BIKE_KMH,
        payload_kg=25.0,
        volume_l=60.0,
        max_length_cm=60.0,  # a courier bag and rack (assumption)
    ),
    "cargo_bike": VehicleProfile(
        name="cargo_bike",
        is_cargo=True,
        assisted=False,
        width_m=0.9,
        min_way_width_m=0.9 + 2 * CARGO_CLEARANCE_M,
        cruise_kmh=12.0,  # [C14], [PM20] minus assistance (assumption)
        slowdown_per_25kg=0.05,  # [M98] derivation above
        min_riding_kmh=6.0,
        push_kmh=PUSH_CARGO_KMH,
        steps_kmh=None,
        payload_kg=100.0,
        volume_l=250.0,
        max_length_cm=160.0,  # [UA]
    ),
    "e_cargo_bike": VehicleProfile(
        name="e_cargo_bike",
        is_cargo=True,
        assisted=True,
        width_m=0.9,
        min_way_width_m=0.9 + 2 * CARGO_CLEARANCE_M,
        cruise_kmh=15.0,  # [PM20]; never above the 25 km/h assistance cut-off [EU13]
        slowdown_per_25kg=0.02,  # assumption, see the module docstring
        min_riding_kmh=8.0,
        push_kmh=PUSH_CARGO_KMH,
        steps_kmh=None,
        payload_kg=150.0,
        volume_l=400.0,
        max_length_cm=160.0,  # [UA]
    ),
}


def get_profile(name: str) -> VehicleProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown vehicle profile {name!r}; known: {', '.join(PROFILES)}") from None


#: Ridden ways. Trunk roads are left out unless signed for bicycles (often motor roads).
_RIDE = frozenset(
    {
        "cycleway",
        "path",
        "track",
        "trail",
        "residential",
        "living_street",
        "service",
        "unclassified",
        "road",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
    }
)
#: Ways where a bike is walked unless the map allows riding.
_PUSH = frozenset({"footway", "pedestrian", "bridleway", "platform"})
#: Ways only ridden where bicycle=yes|designated says so.
_ONLY_IF_ALLOWED = frozenset({"trunk", "trunk_link", "busway"})

#: Speed multipliers of surfaces for an unassisted rider, relative to asphalt [OSRM, HH12].
SURFACE_FACTOR: dict[str, float] = {
    "paving_stones": 10 / 15,
    "concrete:plates": 10 / 15,
    "concrete:lanes": 10 / 15,
    "sett": 9 / 15,
    "cobblestone:flattened": 10 / 15,
    "cobblestone": 7 / 15,
    "unhewn_cobblestone": 6 / 15,
    "stone": 7 / 15,
    "metal": 10 / 15,
    "wood": 10 / 15,
    "compacted": 10 / 15,
    "fine_gravel": 10 / 15,
    "gravel": 6 / 15,
    "pebblestone": 6 / 15,
    "unpaved": 6 / 15,
    "ground": 10 / 15,
    "dirt": 8 / 15,
    "earth": 6 / 15,
    "grass": 6 / 15,
    "grass_paver": 8 / 15,
    "sand": 3 / 15,
    "mud": 3 / 15,
    "rock": 3 / 15,
}
#: An untagged track is taken as compacted ground [OSRM's track default speed].
_TRACK_DEFAULT_FACTOR = 10 / 15


def _felt(factor: float, assisted: bool) -> float:
    """Assistance absorbs half the extra rolling loss of a rough surface (assumption)."""
    return 1.0 - (1.0 - factor) / 2.0 if assisted else factor


def _surface_factors(assisted: bool) -> NDArray[np.float64]:
    """One speed multiplier per surface code."""
    return np.array([_felt(SURFACE_FACTOR.get(name, 1.0), assisted) for name in SURFACE_VALUES])


def _highway_mask(names: frozenset[str]) -> NDArray[np.bool_]:
    return np.array([h in names for h in HIGHWAY_VALUES], dtype=bool)


_RIDE_MASK, _PUSH_MASK, _ONLY_IF_ALLOWED_MASK = (_highway_mask(s) for s in (_RIDE, _PUSH, _ONLY_IF_ALLOWED))
_STEPS = HIGHWAY_VALUES.index("steps")
_TRACK = HIGHWAY_VALUES.index("track")
_UNKNOWN_SURFACE = SURFACE_VALUES.index("unknown")


def arc_movement(network: BikeNetwork, profile: VehicleProfile) -> NDArray[np.uint8]:
    """How ``profile`` gets along each arc of ``network`` (a :class:`Movement` per arc).

    Rules, in order: the way kind (ridden, walked, steps, never); ``access``/``vehicle``
    no|private unless ``bicycle`` allows it (``access=destination`` is fine: deliveries are
    destination traffic); ``bicycle=no`` and ``use_sidepath`` forbid; ``bicycle=dismount``
    walks; one-ways forbid the wrong direction unless bicycles are exempt (contraflow);
    for cargo bikes ``cargo_bike=no``, steps and ways narrower than ``min_way_width_m``.
    """
    flags = network.flags
    hw = network.highway
    allowed = (flags & ArcFlag.BICYCLE_ALLOWED) != 0

    movement = np.full(network.n_arcs, Movement.FORBIDDEN, dtype=np.uint8)
    movement[_RIDE_MASK[hw] | (_ONLY_IF_ALLOWED_MASK[hw] & allowed)] = Movement.RIDE
    movement[_PUSH_MASK[hw]] = np.where(allowed[_PUSH_MASK[hw]], Movement.RIDE, Movement.PUSH)
    movement[hw == _STEPS] = Movement.FORBIDDEN if profile.steps_kmh is None else Movement.CARRY

    dismount = (flags & ArcFlag.BICYCLE_DISMOUNT) != 0
    movement[dismount & (movement == Movement.RIDE)] = Movement.PUSH

    forbidden = (flags & (ArcFlag.BICYCLE_NO | ArcFlag.BICYCLE_USE_SIDEPATH)) != 0
    forbidden |= ((flags & ArcFlag.ACCESS_NO) != 0) & ~allowed
    forbidden |= ((flags & ArcFlag.AGAINST_ONEWAY) != 0) & ((flags & ArcFlag.BICYCLE_CONTRAFLOW) == 0)
    if profile.is_cargo:
        forbidden |= (flags & ArcFlag.CARGO_BIKE_NO) != 0
    if profile.min_way_width_m is not None:
        forbidden |= network.width_m < profile.min_way_width_m  # NaN (unknown) compares False
    movement[forbidden] = Movement.FORBIDDEN
    return movement


def arc_speed_kmh(
    network: BikeNetwork, profile: VehicleProfile, load_kg: float, movement: NDArray[np.uint8] | None = None
) -> NDArray[np.float64]:
    """Speed along each arc with ``load_kg`` on board; 0 where the arc is forbidden."""
    if movement is None:
        movement = arc_movement(network, profile)
    factor = _surface_factors(profile.assisted)[network.surface]
    untagged_track = (network.highway == _TRACK) & (network.surface == _UNKNOWN_SURFACE)
    factor = np.where(untagged_track, _felt(_TRACK_DEFAULT_FACTOR, profile.assisted), factor)
    speed = np.zeros(network.n_arcs, dtype=np.float64)
    ride = movement == Movement.RIDE
    speed[ride] = profile.riding_kmh(load_kg) * factor[ride]
    grade = network.grade
    if grade is not None and profile.name in CLIMBING:  # heights imported: slopes count (issue 20)
        speed[ride] = riding_speed_kmh(profile.name, speed[ride], grade[ride], load_kg, profile.push_kmh)
    speed[movement == Movement.PUSH] = profile.push_kmh
    if profile.steps_kmh is not None:
        speed[movement == Movement.CARRY] = profile.steps_kmh
    return speed


def arc_time_s(
    network: BikeNetwork, profile: VehicleProfile, load_kg: float, movement: NDArray[np.uint8] | None = None
) -> NDArray[np.float64]:
    """Seconds to travel each arc; ``inf`` where the profile may not use it."""
    speed_ms = arc_speed_kmh(network, profile, load_kg, movement) / 3.6
    seconds = np.full(network.n_arcs, np.inf)
    np.divide(network.length_m, speed_ms, out=seconds, where=speed_ms > 0)
    return seconds


# Handling time at a stop [DC23 for the base; growth with weight and bulk is an assumption
# following the direction reported by Calderon, Regal-Ludowieg & Holguin-Veras (TR-A):
# bigger and heavier consignments take longer to hand over].
HANDLING_BASE_S = 150.0  #: lock the bike, find the door, hand over, one parcel
HANDLING_PER_EXTRA_PARCEL_S = 30.0
HANDLING_PER_KG_ABOVE_10_S = 1.2
HANDLING_BULKY_S = 60.0  #: unstrapping a bulky item, two hands, a door held open
HANDLING_MAX_S = 600.0


def handling_time_s(weight_kg: float, parcels: int = 1, bulky: bool = False) -> float:
    """Seconds spent at one pickup or drop-off of ``parcels`` parcels weighing ``weight_kg``."""
    if weight_kg < 0 or parcels < 1:
        raise ValueError("a stop handles at least one parcel of zero or more kilograms")
    seconds = (
        HANDLING_BASE_S
        + HANDLING_PER_EXTRA_PARCEL_S * (parcels - 1)
        + HANDLING_PER_KG_ABOVE_10_S * max(0.0, weight_kg - 10.0)
        + (HANDLING_BULKY_S if bulky else 0.0)
    )
    return min(HANDLING_MAX_S, seconds)
