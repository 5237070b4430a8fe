"""A place no way reaches stays unreachable at every load in a city with heights.

The time with a load is interpolated between the empty and the loaded matrices; where both
say "no way" (inf), plain arithmetic made it inf - inf = NaN, which every later check reads as
neither reachable nor unreachable (a NaN compares false both ways)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from routing.problem import TravelTimes


def _hilly(ride: np.ndarray) -> TravelTimes:
    zero = np.zeros_like(ride)
    return TravelTimes(
        ride_s=ride,
        walk_s=zero,
        metres=ride * 4.0,
        ride_loaded_s=ride * 1.5,
        loaded_kg=100.0,
        loaded_path_s=ride * 1.4,
        loaded_path_empty_s=ride * 1.1,
    )


@pytest.mark.parametrize("load", [0.0, 30.0, 100.0, 140.0])
def test_no_way_stays_no_way_and_a_way_keeps_its_time(load: float) -> None:
    ride = np.array([[0.0, 60.0, np.inf], [60.0, 0.0, np.inf], [np.inf, np.inf, 0.0]])
    travel = _hilly(ride)
    seconds = travel.seconds(load)
    assert not np.isnan(seconds).any()
    assert math.isinf(seconds[0, 2]) and math.isinf(travel.leg_seconds(2, 1, load))
    share = load / 100.0
    expected = min(60 + 30 * share, 66 + 18 * share)  # the empty path loaded, the loaded path
    assert seconds[0, 1] == pytest.approx(expected)
    assert travel.between(np.array([0, 2]), 1, load) == pytest.approx([expected, math.inf])


def test_empty_a_leg_only_the_loaded_way_cannot_ride_keeps_its_empty_time() -> None:
    ride = np.array([[0.0, 60.0], [60.0, 0.0]])
    travel = TravelTimes(
        ride_s=ride,
        walk_s=np.zeros_like(ride),
        metres=ride * 4.0,
        ride_loaded_s=np.array([[0.0, np.inf], [90.0, 0.0]]),
        loaded_kg=100.0,
    )
    assert travel.leg_seconds(0, 1, 0.0) == 60.0
    assert math.isinf(travel.leg_seconds(0, 1, 50.0))
