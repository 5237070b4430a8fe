"""The power model on slopes (issue 20): hand calculations, the flat case unchanged, assistance."""

from __future__ import annotations

import math

import numpy as np
import pytest

from routing.climbing import CLIMBING, ETA, RHO, RIDER_KG, G, climbing_speed_kmh, power_speed_kmh, riding_speed_kmh
from routing.profiles import PROFILES


def _bisect_speed(power_w: float, mass_kg: float, grade: float, crr: float, cda: float) -> float:
    """The balance of [M98] solved by bisection, independently of the closed form."""
    theta = math.atan(grade)

    def surplus(v: float) -> float:
        return ETA * power_w - v * (mass_kg * G * (crr * math.cos(theta) + math.sin(theta)) + 0.5 * RHO * cda * v * v)

    lo, hi = 0.0, 60.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if surplus(mid) > 0 else (lo, mid)
    return float(lo * 3.6)


@pytest.mark.parametrize("grade", [0.0, 0.03, 0.08, 0.15, -0.02, -0.12])
def test_the_closed_form_matches_a_hand_calculation(grade: float) -> None:
    # A bike with 20 kg on board: 75 kg rider, 14 kg bike, 150 W (steep descents take the
    # three-real-roots branch of the cubic).
    got = power_speed_kmh(150.0, 109.0, np.array([grade]), 0.008, 0.6)[0]
    assert got == pytest.approx(_bisect_speed(150.0, 109.0, grade, 0.008, 0.6), rel=1e-9)


def test_a_five_percent_climb_by_hand() -> None:
    # 150 W, 89 kg, 5 %: gravity 42.8 N + rolling 7.0 N + drag 0.37 v^2 balance 146.4 W at
    # about 2.76 m/s, 9.9 km/h: what riders of that power are reported to ride.
    v = climbing_speed_kmh("bike", np.array([0.05]), 0.0)[0]
    assert 9.5 < v < 10.3


@pytest.mark.parametrize("profile", sorted(CLIMBING))
def test_on_the_flat_the_calibrated_speeds_stand_for_every_load(profile: str) -> None:
    p = PROFILES[profile]
    for load in np.linspace(0.0, p.payload_kg, 9):
        flat = np.array([p.riding_kmh(float(load))])
        assert climbing_speed_kmh(profile, np.array([0.0]), float(load))[0] > flat[0]
        assert riding_speed_kmh(profile, flat, np.array([0.0]), float(load), p.push_kmh)[0] == flat[0]


def test_a_load_costs_far_more_uphill_than_on_the_flat() -> None:
    p = PROFILES["cargo_bike"]
    grades = np.array([0.0, 0.06])
    empty = riding_speed_kmh("cargo_bike", np.full(2, p.riding_kmh(0.0)), grades, 0.0, p.push_kmh)
    loaded = riding_speed_kmh("cargo_bike", np.full(2, p.riding_kmh(60.0)), grades, 60.0, p.push_kmh)
    flat_loss, climb_loss = 1 - loaded[0] / empty[0], 1 - loaded[1] / empty[1]
    assert climb_loss > 2 * flat_loss
    assert loaded[1] >= p.push_kmh  # never slower than walking the bike


def test_assistance_climbs_until_its_cut_off() -> None:
    flat = np.array([25.0, 25.0])
    e_cargo = climbing_speed_kmh("e_cargo_bike", np.array([0.0, 0.06]), 60.0)
    cargo = climbing_speed_kmh("cargo_bike", np.array([0.06]), 60.0)
    assert e_cargo[0] == pytest.approx(25.0)  # the motor would go faster: the cut-off holds it
    assert e_cargo[1] > 2 * cargo[0]  # 350 W against 150 W on a 6 % climb
    mass = RIDER_KG + CLIMBING["e_cargo_bike"].vehicle_kg + 60.0
    assert e_cargo[1] == pytest.approx(_bisect_speed(350.0, mass, 0.06, 0.010, 0.8), rel=1e-9)
    assert riding_speed_kmh("e_cargo_bike", flat, np.array([-0.08, -0.08]), 0.0, 3.0).max() == 25.0  # braking cap
