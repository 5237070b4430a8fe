"""Access rules and the speed model of the vehicle profiles."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from routing.network import HIGHWAY_VALUES, ArcFlag, BikeNetwork
from routing.profiles import (
    HANDLING_MAX_S,
    PROFILES,
    Movement,
    arc_movement,
    arc_speed_kmh,
    arc_time_s,
    get_profile,
    handling_time_s,
)
from tests.routing.test_network import _arc


def test_cargo_bikes_slow_down_as_load_grows() -> None:
    for name in ("cargo_bike", "e_cargo_bike"):
        profile = PROFILES[name]
        speeds = [profile.riding_kmh(kg) for kg in (0, 25, 50, 80, 100)]
        assert all(a > b for a, b in itertools.pairwise(speeds)), name
    # Assistance softens the effect of the load, it does not remove it.
    cargo, e_cargo = PROFILES["cargo_bike"], PROFILES["e_cargo_bike"]
    assert e_cargo.riding_kmh(80) / e_cargo.riding_kmh(0) > cargo.riding_kmh(80) / cargo.riding_kmh(0)
    assert e_cargo.riding_kmh(0) < 25.0  # EU pedal-assistance cut-off
    assert cargo.riding_kmh(10_000) == cargo.min_riding_kmh
    with pytest.raises(ValueError, match="load"):
        cargo.riding_kmh(-1)


def test_unknown_profile_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match="unknown vehicle profile 'tandem_bike'"):
        get_profile("tandem_bike")


def test_tiny_town_access_rules(tiny_town: BikeNetwork) -> None:
    bike = arc_movement(tiny_town, PROFILES["bike"])
    cargo = arc_movement(tiny_town, PROFILES["cargo_bike"])
    cases = {
        # (tail, head, highway): (bike, cargo bike)
        (9, 8, None): (Movement.RIDE, Movement.RIDE),  # contraflow allowed by oneway:bicycle=no
        (6, 5, None): (Movement.FORBIDDEN, Movement.FORBIDDEN),  # against a plain one-way
        (5, 6, None): (Movement.RIDE, Movement.RIDE),
        (9, 10, None): (Movement.FORBIDDEN, Movement.FORBIDDEN),  # against oneway=-1
        (10, 9, None): (Movement.RIDE, Movement.RIDE),
        (2, 5, None): (Movement.CARRY, Movement.FORBIDDEN),  # steps
        (5, 8, None): (Movement.RIDE, Movement.FORBIDDEN),  # 0.8 m wide
        (1, 5, None): (Movement.RIDE, Movement.FORBIDDEN),  # cargo_bike=no
        (4, 7, "footway"): (Movement.FORBIDDEN, Movement.FORBIDDEN),  # bicycle=no
        (4, 7, "residential"): (Movement.RIDE, Movement.RIDE),
    }
    for (tail, head, highway), (want_bike, want_cargo) in cases.items():
        arc = _arc(tiny_town, tail, head, highway)
        assert (bike[arc], cargo[arc]) == (want_bike, want_cargo), (tail, head, highway)


def test_rough_surfaces_are_slower(tiny_town: BikeNetwork) -> None:
    speed = arc_speed_kmh(tiny_town, PROFILES["bike"], 0.0)
    sett, asphalt = _arc(tiny_town, 1, 4), _arc(tiny_town, 1, 2)
    assert speed[sett] < speed[asphalt] == pytest.approx(PROFILES["bike"].cruise_kmh)
    e_speed = arc_speed_kmh(tiny_town, PROFILES["e_cargo_bike"], 0.0)
    assert e_speed[sett] / e_speed[asphalt] > speed[sett] / speed[asphalt]


def test_helsinki_rules_hold_on_every_arc(helsinki: BikeNetwork) -> None:
    steps = helsinki.highway == HIGHWAY_VALUES.index("steps")
    assert steps.any()
    bicycle_no = (helsinki.flags & ArcFlag.BICYCLE_NO) != 0
    against = ((helsinki.flags & ArcFlag.AGAINST_ONEWAY) != 0) & ((helsinki.flags & ArcFlag.BICYCLE_CONTRAFLOW) == 0)
    contraflow = (helsinki.flags & ArcFlag.BICYCLE_CONTRAFLOW) != 0
    assert against.any() and contraflow.any() and bicycle_no.any()
    for name, profile in PROFILES.items():
        movement = arc_movement(helsinki, profile)
        assert not movement[bicycle_no].any(), name
        assert not movement[against].any(), name
        if profile.is_cargo:
            assert not movement[steps].any(), name
            narrow = helsinki.width_m < profile.min_way_width_m  # type: ignore[operator]
            assert narrow.any() and not movement[narrow].any(), name
        else:
            # Steps are carried, never ridden (some are closed to bikes altogether).
            assert set(np.unique(movement[steps]).tolist()) == {Movement.FORBIDDEN, Movement.CARRY}
        # Contraflow lanes are open unless the way is closed to the vehicle for another reason.
        assert (movement[contraflow] != Movement.FORBIDDEN).any(), name


def test_load_makes_every_ridden_arc_slower_for_cargo_bikes(helsinki: BikeNetwork) -> None:
    profile = PROFILES["e_cargo_bike"]
    movement = arc_movement(helsinki, profile)
    empty, loaded = arc_time_s(helsinki, profile, 0.0, movement), arc_time_s(helsinki, profile, 80.0, movement)
    ridden = (movement == Movement.RIDE) & (helsinki.length_m > 0)
    assert (loaded[ridden] > empty[ridden]).all()
    walked = movement == Movement.PUSH
    np.testing.assert_array_equal(loaded[walked], empty[walked])
    assert np.isinf(empty[movement == Movement.FORBIDDEN]).all()


def test_handling_time_grows_with_weight_and_bulk() -> None:
    light = handling_time_s(2.0)
    assert handling_time_s(10.0) == light  # up to 10 kg one parcel takes the same
    assert handling_time_s(40.0) > handling_time_s(20.0) > light
    assert handling_time_s(20.0, bulky=True) > handling_time_s(20.0)
    assert handling_time_s(5.0, parcels=3) > light
    assert handling_time_s(500.0, parcels=20, bulky=True) == HANDLING_MAX_S
    with pytest.raises(ValueError):
        handling_time_s(-1.0)
    with pytest.raises(ValueError):
        handling_time_s(1.0, parcels=0)
