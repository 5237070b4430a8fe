"""Riding speed on a slope, from the power a rider (and a motor) can give (issue 20).

On the flat, ``routing.profiles`` keeps its calibrated speeds: moving speeds measured in city
traffic [S17, PM20], where traffic lights and crossings rather than power set the pace, with
the load effect derived there from [M98]. On a slope power decides. The cycling power model
of Martin et al. [M98], validated on the road (r^2 = 0.97):

    eta * P = v * (m g (Crr cos(theta) + sin(theta)) + 1/2 rho CdA v^2)

with ``m`` the whole mass (rider, vehicle, load), gives the speed ``v`` a rider sustaining
``P`` watts reaches on a grade ``tan(theta)``. The speed on an arc is then:

- uphill: the lower of the flat speed (with the load) and the power model's speed;
- downhill: the flat speed grown by a share of the power model's gain from the flat
  (``DESCENT_SHARE``, calibrated on [PR10]), capped by ``descent_kmh`` (braking with a load in a city street is what
  limits a descent, not gravity; an assumption to calibrate);
- never below the profile's pushing speed: a rider who cannot keep moving walks the bike;
- on the flat (grade 0) the power model is faster than the calibrated speed for every
  vehicle and load in ``CLIMBING`` (``tests/routing/test_climbing.py`` checks it), so a
  city without heights, or a flat street, keeps exactly today's times.

An e-cargo bike adds its motor's assistance below the cut-off speed, 250 W up to 25 km/h in
the EU [EU13]: it climbs with rider and motor; if that would carry it past the cut-off, the
rider alone decides above it, and between the two it rides at the cut-off.

Figures (each an assumption to calibrate against a cooperative's GPS traces unless a source is
named): rider 75 kg; a courier's sustained power on a climb 150 W (Wilson & Papadopoulos,
*Bicycling Science*, give about 75 W over a working day and 200 W for an hour for a fit
rider; a climb of a few minutes lies between); on an e-cargo bike the rider gives 100 W, the
motor 250 W [EU13]; drivetrain efficiency 0.976 and air density 1.226 kg/m^3 [M98]; Crr 0.008
for a bike [M98 range for clincher tyres on asphalt], 0.010 for the wider, softer tyres of
cargo bikes; CdA 0.6 m^2 upright [M98 range], 0.8 m^2 with a cargo box; masses 14 kg (city
bike), 35 kg (cargo bike) and 50 kg (e-cargo bike) [UA].

[PR10] Parkin & Rotheram (2010). "Design speeds and acceleration characteristics of bicycle
       traffic for use in planning, design and appraisal." Transport Policy 17(5), 335-341:
       85th-percentile speeds 22 km/h on the flat, 25 km/h at -3 %; about 150 W delivered on
       the flat and 250 W climbing (everyday cyclists, Leeds).
[M98]  Martin, Milliken, Cobb, McFadden & Coggan (1998), J. Applied Biomechanics 14(3), 276-291.
[EU13] Regulation (EU) 168/2013, art. 2(2)(h).
[UA]   Urban Arrow and Larry vs Harry (Bullitt) specification sheets.
[S17], [PM20]: see ``routing.profiles``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

G = 9.81  #: m/s^2
RHO = 1.226  #: air density, kg/m^3 [M98]
ETA = 0.976  #: drivetrain efficiency [M98]
RIDER_KG = 75.0  #: assumption
#: The share of the power model's downhill gain that riders take as speed. With all of it an
#: empty bike rode 1.48x faster at -3 % than on the flat; everyday cyclists in Leeds rode 25
#: against 22 km/h (85th percentiles, x1.14 [PR10]): 0.3 gives that ratio.
DESCENT_SHARE = 0.3
#: Slopes read off a 90 m grid are not trusted beyond this (rise over run): steeper streets
#: exist, but after smoothing such a figure is more likely an artefact (assumption).
MAX_GRADE = 0.25


@dataclass(frozen=True)
class Climbing:
    """What sets one vehicle's speed on a slope (see the module docstring for the figures)."""

    vehicle_kg: float
    rider_w: float  #: the rider's sustained power on a climb
    crr: float  #: rolling resistance coefficient
    cda_m2: float  #: drag area
    descent_kmh: float  #: the most a descent is ridden at
    assist_w: float = 0.0  #: the motor's power below ``assist_cutoff_kmh``
    assist_cutoff_kmh: float = 25.0


CLIMBING: dict[str, Climbing] = {
    "bike": Climbing(vehicle_kg=14.0, rider_w=150.0, crr=0.008, cda_m2=0.6, descent_kmh=30.0),
    "cargo_bike": Climbing(vehicle_kg=35.0, rider_w=150.0, crr=0.010, cda_m2=0.8, descent_kmh=25.0),
    "e_cargo_bike": Climbing(vehicle_kg=50.0, rider_w=100.0, crr=0.010, cda_m2=0.8, descent_kmh=25.0, assist_w=250.0),
}


def power_speed_kmh(
    power_w: float, mass_kg: float, grade: NDArray[np.float64], crr: float, cda_m2: float
) -> NDArray[np.float64]:
    """The speed at which ``power_w`` balances rolling, gravity and drag on each grade [M98].

    The balance is a depressed cubic ``v^3 + p v + q = 0`` with one positive root (``q < 0``);
    it is solved in closed form (Cardano, or the trigonometric form when three roots are real,
    on steep descents), vectorised over the grades.
    """
    theta = np.arctan(np.asarray(grade, dtype=np.float64))
    a = 0.5 * RHO * cda_m2
    b = mass_kg * G * (crr * np.cos(theta) + np.sin(theta))
    p = b / a
    q = -ETA * power_w / a
    disc = (q / 2.0) ** 2 + (p / 3.0) ** 3
    v = np.empty_like(p)
    one = disc >= 0
    root = np.sqrt(np.where(one, disc, 0.0))
    v[one] = np.cbrt(-q / 2.0 + root[one]) + np.cbrt(-q / 2.0 - root[one])
    three = ~one  # p < 0 here: the largest of three real roots
    if three.any():
        pt = p[three]
        r = 2.0 * np.sqrt(-pt / 3.0)
        cos_arg = np.clip(3.0 * q / (pt * r), -1.0, 1.0)
        v[three] = r * np.cos(np.arccos(cos_arg) / 3.0)
    return v * 3.6


def climbing_speed_kmh(profile: str, grade: NDArray[np.float64], load_kg: float) -> NDArray[np.float64]:
    """The power model's speed per grade for one vehicle carrying ``load_kg``."""
    c = CLIMBING[profile]
    mass = RIDER_KG + c.vehicle_kg + load_kg
    grade = np.clip(np.asarray(grade, dtype=np.float64), -MAX_GRADE, MAX_GRADE)
    if c.assist_w <= 0:
        return power_speed_kmh(c.rider_w, mass, grade, c.crr, c.cda_m2)
    assisted = power_speed_kmh(c.rider_w + c.assist_w, mass, grade, c.crr, c.cda_m2)
    alone = power_speed_kmh(c.rider_w, mass, grade, c.crr, c.cda_m2)
    # Below the cut-off the motor helps; above it the rider is alone; in between, the cut-off.
    return np.where(assisted <= c.assist_cutoff_kmh, assisted, np.maximum(alone, c.assist_cutoff_kmh))


def riding_speed_kmh(
    profile: str, flat_kmh: NDArray[np.float64], grade: NDArray[np.float64], load_kg: float, floor_kmh: float
) -> NDArray[np.float64]:
    """Speed on each arc: the calibrated flat speed, bounded by power uphill and by braking
    downhill (module docstring). ``flat_kmh`` already holds the load and the surface."""
    c = CLIMBING[profile]
    power = climbing_speed_kmh(profile, grade, load_kg)
    up = np.minimum(flat_kmh, power)
    # Downhill riders take only part of gravity's help as speed (they ease off and brake):
    # the flat speed grows by DESCENT_SHARE of the power model's gain from the flat, so that a
    # street a centimetre downhill is ridden as the flat one.
    level = climbing_speed_kmh(profile, np.zeros(1), load_kg)[0]
    down = np.minimum(flat_kmh * (1.0 + DESCENT_SHARE * (power / level - 1.0)), c.descent_kmh)
    return np.maximum(np.where(np.asarray(grade) >= 0, up, down), floor_kmh)
