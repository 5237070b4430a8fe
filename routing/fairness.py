"""How evenly work is shared: the metrics the cooperative watches and the planner balances.

Worked time is compared *relative to each courier's shift* (a 4-hour shift is not a 8-hour
one), including the time already worked today. Heavy loads are compared among the couriers
who can carry them. These are figures of the day's work, never of a person's merit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from routing.problem import Courier, Problem


def gini(values: Sequence[float]) -> float:
    """Gini coefficient (0 = perfectly even, towards 1 = one person does everything)."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    if x.size == 0 or x.sum() <= 0:
        return 0.0
    if (x < 0).any():
        raise ValueError("the Gini coefficient needs values of zero or more")
    n = x.size
    return float((2 * np.arange(1, n + 1) - n - 1).dot(x) / (n * x.sum()))


def max_min_ratio(values: Sequence[float]) -> float:
    """Largest over smallest (inf when someone has none while another has some; 1 when equal)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0 or x.max() <= 0:
        return 1.0
    return float(x.max() / x.min()) if x.min() > 0 else float("inf")


def jain(values: Sequence[float]) -> float:
    """Jain's fairness index: 1 = even, 1/n = one person does everything."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0 or (x**2).sum() == 0:
        return 1.0
    return float(x.sum() ** 2 / (x.size * (x**2).sum()))


def fair_share_targets(worked_s: Sequence[float], shift_s: Sequence[float], new_work_s: float) -> list[float]:
    """Seconds of new work for each courier that would leave everyone at the same share of shift.

    The day's total (already worked plus new) is shared in proportion to shift length; a courier
    already above their share gets no target (0), and the rest is spread among the others.
    """
    worked = np.asarray(worked_s, dtype=np.float64)
    shift = np.maximum(np.asarray(shift_s, dtype=np.float64), 1.0)
    active = np.ones(worked.size, dtype=bool)
    targets = np.zeros(worked.size)
    for _ in range(worked.size + 1):  # drop couriers already past their share, then share again
        if not active.any():
            break
        share = (worked[active].sum() + new_work_s) / shift[active].sum()
        targets = np.where(active, share * shift - worked, 0.0)
        # A courier exactly at the share comes out a rounding error below it (one courier, or no
        # new work): they stay in, else nobody was left and the share divided 0 by 0 (issue 15).
        if (targets[active] >= -1e-6).all():
            break
        active &= targets >= -1e-6
    return [max(0.0, float(t)) for t in targets]


#: The share of the rest of a courier's shift expected to be worked later in the day. A fair share
#: is one of the whole day, and the jobs of this round are not the day's last: a courier whose
#: shift ends soon cannot catch up later, one with most of their shift ahead will get more work
#: anyway. Counting the rest of each shift at this rate, the work of a quiet morning goes first
#: to those who leave at noon instead of to those who stay all day. On bench_day's days
#: (benchmarks/README.md) 0 (no future: the share of the whole shift as if the day ended now)
#: left the morning couriers at a quarter of their shifts (Gini 0.119); 0.3 gave 0.078 and 0.5
#: 0.058, near what those days' fleets end up working (half of their shifts).
EXPECTED_UTILISATION = 0.5


def remaining_shift_s(courier: Courier, now: int) -> int:
    """Seconds of the courier's shift still ahead at ``now``."""
    return max(0, courier.shift_end - max(now, courier.shift_start))


def expected_day_s(courier: Courier, now: int, planned_s: float) -> float:
    """The courier's work of the whole day expected at its end: what they worked, what is planned
    for them (``planned_s`` from ``now``), and the rest of their shift at the expected rate."""
    ahead = max(0.0, remaining_shift_s(courier, now) - planned_s)
    return courier.worked_s_today + planned_s + EXPECTED_UTILISATION * ahead


def expected_day_share(courier: Courier, now: int, planned_s: float) -> float:
    """:func:`expected_day_s` as a share of the courier's shift: what the planner balances."""
    return expected_day_s(courier, now, planned_s) / max(1, courier.shift_length_s)


def work_targets(problem: Problem, shipment_ids: Iterable[str]) -> list[float]:
    """Each courier's fair share of the new work in ``shipment_ids``, in seconds (courier order).

    The new work is estimated as each job's own ride (pickup to drop-off, with its weight, on the
    first courier's profile) plus its handling; the rides between jobs depend on the plan and
    are not known here. The solver and the constructor both balance towards these targets.
    """
    couriers = problem.couriers
    if not couriers:
        return []
    travel = problem.travel[couriers[0].profile]
    new_work = 0.0
    for sid in shipment_ids:
        s = problem.shipment(sid)
        new_work += travel.leg_seconds(s.pickup, s.dropoff, s.weight_kg) + s.pickup_service_s + s.dropoff_service_s
    # Targets that leave everyone at the same expected share at the day's end: the rest of each
    # shift counts as worked at the expected rate, less what this round's work takes of it.
    u = EXPECTED_UTILISATION
    expected = [c.worked_s_today + u * remaining_shift_s(c, problem.now) for c in couriers]
    shifts = [c.shift_length_s for c in couriers]
    return [t / (1.0 - u) for t in fair_share_targets(expected, shifts, (1.0 - u) * new_work)]
