"""How the planning model encodes a problem, written once: units, windows, rooms, unreachable legs.

The OR-Tools model (:mod:`routing.ortools_model`), PyVRP's approximation of it
(:mod:`routing.construct`) and the route checks outside both (:mod:`routing.model_limits`) must
read a problem the same way, or a plan one of them accepts is refused by the next (a warm start
the model rejects, a PyVRP route that breaks the model's room). Each rule of that reading lives
here, with the reason for it:

- **units**: the solvers take integers; weights go in grams and volumes in decilitres, each
  parcel rounded on its own (a sum of rounded parcels, as the solvers add them);
- **windows**: a window closing before it opens, or before the day's start, is read as the
  earliest it can be honoured (never a negative time, never an empty range);
- **raised room**: a person may force a job over a vehicle's payload, and a parcel on board is
  on the vehicle whatever its limits; the vehicle's room is then raised for that work only;
- **unreachable legs**: a leg between places that do not reach each other becomes a time no
  route can fit within a day, distinct from the penalty for leaving a job out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from routing.problem import Courier, Problem

#: Grams per kilogram: weights are load units of one gram in the models.
GRAMS_PER_KG = 1000
#: Decilitres per litre: volumes are load units of one decilitre in the models.
DECILITRES_PER_L = 10
#: Seconds for a leg between places that do not reach each other: longer than any shift, so no
#: route can use it, yet small enough for the solvers' integer arithmetic (PyVRP, VROOM).
UNREACHABLE_LEG_S = 10**7
#: What leaving a free job out costs in the OR-Tools objective (centiseconds of riding): far
#: above any detour, so a job is left out only when it fits nowhere.
UNSERVED_PENALTY = 10**12
#: What leaving owned work (locked by a person, on board) out costs: above every free job, so
#: the model drops any number of free jobs before a person's decision.
LOCKED_UNSERVED_PENALTY = 10**14


def grams(kg: float) -> int:
    """A weight as the models' integer load unit."""
    return round(kg * GRAMS_PER_KG)


def decilitres(litres: float) -> int:
    """A volume as the models' integer load unit."""
    return round(litres * DECILITRES_PER_L)


def window_bounds(window: tuple[int, int]) -> tuple[int, int]:
    """A window as the models take it: opening at the day's start at the earliest, and closing
    no earlier than it opens (a hard window that closed before it opened is the instant it opens)."""
    opens = max(window[0], 0)
    return opens, max(opens, window[1])


def window_due(window: tuple[int, int]) -> int:
    """Where a soft window's lateness starts to count: its close, never before the day's start."""
    return max(window[1], 0)


_Amount = TypeVar("_Amount", int, float)


def raised_room(own: _Amount, on_board: Iterable[_Amount], locked: Iterable[_Amount]) -> _Amount:
    """A vehicle's room in one dimension: its own limit, raised for what a person gave it.

    A person may have forced a job over a vehicle's payload, and a parcel already on board is on
    the vehicle whatever its limits: the model must still hold everything on board together and
    the largest single locked job, but never more than the vehicle's own limit otherwise.
    """
    room, carried = own, own - own  # own - own: a zero of own's type
    for amount in on_board:
        carried = carried + amount
    room = max(room, carried)
    for amount in locked:
        room = max(room, amount)
    return room


def locked_jobs(problem: Problem, courier: Courier) -> list[str]:
    """The jobs a person locked onto ``courier`` (in the problem's order)."""
    return [lock.shipment for lock in problem.locks if lock.courier == courier.id]


def room_grams(problem: Problem, courier: Courier, locked: Iterable[str]) -> tuple[int, int]:
    """The courier's room in the models' units (grams, decilitres), raised for owned work.

    ``locked``: the jobs locked onto this courier; their weights raise the room (volumes do
    not: a locked job over the vehicle's volume is what the decision refuses).
    """
    p = problem
    weight = raised_room(
        grams(courier.payload_kg),
        (grams(p.shipment(s).weight_kg) for s in courier.on_board),
        (grams(p.shipment(s).weight_kg) for s in locked),
    )
    aboard = (decilitres(p.shipment(s).volume_l) for s in courier.on_board)
    return weight, raised_room(decilitres(courier.volume_l), aboard, ())


def room_raised(courier: Courier, room: tuple[int, int]) -> bool:
    """Whether ``room`` (grams, decilitres) is above the vehicle's own limits."""
    return room[0] > grams(courier.payload_kg) or room[1] > decilitres(courier.volume_l)


def on_board_grams(problem: Problem, courier: Courier) -> tuple[int, int]:
    """What the courier carries when the route starts, in grams and decilitres."""
    weight = sum(grams(problem.shipment(s).weight_kg) for s in courier.on_board)
    volume = sum(decilitres(problem.shipment(s).volume_l) for s in courier.on_board)
    return weight, volume


def room_kg(problem: Problem, courier: Courier) -> tuple[float, float]:
    """The courier's room in kilograms and litres, raised as in the models (:func:`room_grams`)."""
    p = problem
    weight = raised_room(
        courier.payload_kg,
        [p.shipment(s).weight_kg for s in courier.on_board],
        [p.shipment(s).weight_kg for s in locked_jobs(problem, courier)],
    )
    return weight, raised_room(courier.volume_l, [p.shipment(s).volume_l for s in courier.on_board], [])
