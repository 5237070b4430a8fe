"""The model's encoding, written once: units, windows, raised rooms and unreachable legs."""

from __future__ import annotations

import numpy as np

from routing.construct import _Translation
from routing.encoding import (
    LOCKED_UNSERVED_PENALTY,
    UNREACHABLE_LEG_S,
    UNSERVED_PENALTY,
    decilitres,
    grams,
    on_board_grams,
    raised_room,
    room_grams,
    room_kg,
    room_raised,
    window_bounds,
    window_due,
)
from routing.problem import Lock
from tests.routing.street import WALL, bike, job, street


def test_weights_and_volumes_are_whole_grams_and_decilitres() -> None:
    assert (grams(2.5), grams(0.0004), grams(0.0006)) == (2500, 0, 1)
    assert (decilitres(1.25), decilitres(60)) == (12, 600)


def test_a_window_is_never_before_the_day_nor_closed_before_it_opens() -> None:
    assert window_bounds((600, 1200)) == (600, 1200)
    assert window_bounds((-300, 1200)) == (0, 1200)
    assert window_bounds((900, 600)) == (900, 900)  # closed before it opened: the instant it opens
    assert window_bounds((-300, -100)) == (0, 0)
    assert window_due((900, 600)) == 600 and window_due((-300, -100)) == 0  # lateness counts from the close


def test_the_room_is_raised_for_what_is_on_board_and_the_largest_locked_job_only() -> None:
    assert raised_room(25, [10, 20], [28, 12]) == 30  # everything on board together
    assert raised_room(25, [10], [28, 12]) == 28  # the largest single locked job
    assert raised_room(25.0, [], []) == 25.0
    courier = bike("c", 0, on_board=("a", "b"))
    jobs = [job("a", 1, 2, weight_kg=15.0, volume_l=40.0), job("b", 1, 2, weight_kg=15.0, volume_l=30.0)]
    problem = street([courier], [*jobs, job("l", 3, 4, weight_kg=40.0, volume_l=5.0)], locks=(Lock("l", "c"),))
    assert on_board_grams(problem, courier) == (30_000, 700)
    assert room_grams(problem, courier, ["l"]) == (40_000, 700)  # volume is not raised by a lock
    assert room_kg(problem, courier) == (40.0, 70.0)
    assert room_raised(courier, (40_000, 700)) and not room_raised(courier, (25_000, 600))


def test_the_constructor_reads_the_same_rooms_as_the_model() -> None:
    courier = bike("c", 0, on_board=("a",))
    problem = street(
        [courier, bike("d", 7)],
        [job("a", 1, 2, weight_kg=20.0), job("l", 3, 4, weight_kg=30.0), job("f", 5, 6, weight_kg=26.0)],
        locks=(Lock("l", "c"),),
    )
    translation = _Translation(problem, (), 0, 1.0, False)
    weight, volume = translation.dims[0], translation.dims[1]
    assert weight[1] == [room_grams(problem, c, ["l"] if c.id == "c" else [])[0] for c in problem.couriers]
    assert volume[1] == [room_grams(problem, c, [])[1] for c in problem.couriers]
    # The raise is for the owned jobs: a dimension keeps the free 26 kg job off c's raised room.
    too_big = [dim for dim in translation.dims[2:] if dim[1] == [0, len(translation.jobs) + 1]]
    assert too_big and too_big[0][0] == [0, 0, 1]


def test_an_unreachable_leg_is_longer_than_any_shift_and_apart_from_the_penalties() -> None:
    assert 100 * 86_400 < UNREACHABLE_LEG_S < UNSERVED_PENALTY < LOCKED_UNSERVED_PENALTY
    problem = street([bike("c", 0)], [job("s", 1, WALL)])
    translation = _Translation(problem, (), 0, 1.0, False)
    translation.data()
    matrix = translation.matrices[0]
    wall = translation.loc[WALL]
    assert matrix[0, wall] == UNREACHABLE_LEG_S and matrix[wall, 0] == UNREACHABLE_LEG_S
    assert np.all(matrix[: translation.anywhere, translation.anywhere] == 0)  # open ends: anywhere
