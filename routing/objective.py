"""What a cooperative's plan optimises, written once: riding, the day's workload, heavy loads.

Every stage that chooses between plans weighs them the same way: the OR-Tools model (its arc
costs and soft bounds, :mod:`routing.solver`), the insertion of new jobs between and before
searches (:mod:`routing.insertion`), and the constructor's overtime (:mod:`routing.construct`).
Changing a weight or adding a term happens here.

In seconds of riding:

- **riding**: every second ridden costs one;
- **lateness** (soft windows only): ``Problem.lateness_cost_per_s`` per second late;
- **the day's workload**: every second of work above a courier's fair share of the day costs
  ``fairness_weight``. The fair share counts what each courier already worked today and the rest
  of their shift at the rate a day is expected to fill it (``EXPECTED_UTILISATION``), and is in
  proportion to their shift (:func:`routing.fairness.work_targets`): a round is not the day's
  last, and who leaves at noon cannot catch up in the afternoon. Only work *above* a share
  costs: like the min-max forms Matl, Hartl & Vidal (2018) recommend, the measure never rewards
  sending an idle courier on a pointless ride, which Gini or variance terms would;
- **heavy loads**: every heavy kilogram above an even share among the couriers who can carry
  heavy loads weighs like ``HEAVY_KG_SECONDS`` seconds of work above a share;
- **the end of a shift** (whatever the weight): every second a route is planned into the last
  ``SHIFT_END_MARGIN_S`` of the courier's shift costs ``SHIFT_END_COST_PER_S``, so that work
  goes to someone with time left, and a route ridden a little slower than timed does not run
  past the shift (in the OR-Tools model, a soft bound on each route's end);
- **a day already full** (insertion only: OR-Tools keeps one soft bound per courier): below the
  share too, a second of work costs ``SHARE_WEIGHT`` times the courier's share of shift expected
  at the day's end (:func:`routing.fairness.expected_day_share`), so that of two couriers with
  room the one who will have less of their day worked gets it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from routing.evaluate import RouteEvaluation, StopKind
from routing.fairness import EXPECTED_UTILISATION, remaining_shift_s, work_targets
from routing.problem import DEFAULT_SHIFT_END_MARGIN_S, Courier, Problem, Shipment

#: One heavy kilogram above an even share weighs like this many seconds of work above a fair share.
HEAVY_KG_SECONDS = 30
#: Below the fair share, a second of work given to a courier costs this much times their share
#: of shift already worked (in insertion; see :meth:`Objective.added_cost`).
SHARE_WEIGHT = 1.0
#: The last minutes of a shift are kept free when someone else can do the work: a plan is ridden
#: slower or faster than timed (bench_day's couriers ride with a 10 % spread), and a route planned
#: to end a few minutes before the shift's end ran up to 10 min past it while others on shift had
#: room. Every second a route is planned to go on into them costs ``SHIFT_END_COST_PER_S``.
SHIFT_END_MARGIN_S = DEFAULT_SHIFT_END_MARGIN_S  #: ``Problem.shift_end_margin_s`` unless a problem says otherwise
SHIFT_END_COST_PER_S = 4.0


@dataclass(frozen=True)
class Objective:
    """The fairness terms of one planning round: each courier's share, and the heavy share."""

    weight: float  #: seconds of cost per second of work above a share (0: riding alone)
    targets: dict[str, float]  #: courier -> seconds of this round's work that are their fair share
    heavy_share_kg: float  #: heavy kilograms of the day (carried and to carry) per able courier
    heavy_able: frozenset[str]  #: couriers whose vehicle carries heavy loads
    heavy_today: dict[str, float]  #: courier -> heavy kilograms already carried today
    now: int = 0  #: the round's start: a shift's rest counts from here

    @classmethod
    def of(cls, problem: Problem, shipment_ids: Iterable[str]) -> Objective:
        """The terms for planning ``shipment_ids`` (this round's jobs) among the problem's couriers."""
        ids = list(shipment_ids)
        couriers = problem.couriers
        targets = dict(zip((c.id for c in couriers), work_targets(problem, ids), strict=True))
        able = frozenset(c.id for c in problem.heavy_able())
        heavy_total = sum(problem.shipment(s).weight_kg for s in ids if problem.is_heavy(problem.shipment(s)))
        already = sum(c.heavy_kg_today for c in couriers if c.id in able)
        share = (already + heavy_total) / max(1, len(able))
        return cls(
            weight=problem.fairness_weight,
            targets=targets,
            heavy_share_kg=share,
            heavy_able=able,
            heavy_today={c.id: c.heavy_kg_today for c in couriers},
            now=problem.now,
        )

    def courier_cost(self, courier: str, work_s: float, heavy_kg: float) -> float:
        """The fairness cost of one courier's route: ``work_s`` of work, ``heavy_kg`` heavy picked up."""
        if self.weight <= 0:
            return 0.0
        return self.weight * (max(0.0, work_s - self.targets.get(courier, 0.0)) + self._heavy_over(courier, heavy_kg))

    def route_cost(
        self, problem: Problem, courier: Courier, before: RouteEvaluation, after: RouteEvaluation, shipment: Shipment
    ) -> float:
        """What the objective charges, in seconds, for ``shipment`` joining ``courier``'s route
        (``before`` -> ``after``, timed exactly): the riding and handling it adds, what it takes of
        the end of the shift, and with a fairness weight what the extra work and a heavy load cost
        on their day. What an override costs is weighed with this (:mod:`dispatch.decisions`)."""
        extra = after.work_s - before.work_s
        heavy_kg = sum(
            problem.shipment(t.shipment).weight_kg
            for t in before.stops
            if t.kind is StopKind.PICKUP and problem.is_heavy(problem.shipment(t.shipment))
        )
        heavy = problem.is_heavy(shipment)
        added = self.added_cost(courier, before.work_s, heavy_kg, np.array([extra]), shipment, heavy)
        margin = problem.shift_end_margin_s
        ending = self.shift_end_cost(courier, after.end_time, margin) - self.shift_end_cost(
            courier, before.end_time, margin
        )
        return extra + float(added[0]) + ending

    @staticmethod
    def shift_end_cost(courier: Courier, finish_s: float, margin_s: int = SHIFT_END_MARGIN_S) -> float:
        """The cost of a route that ends at ``finish_s`` (as the model times it): what of it
        runs into the last ``margin_s`` of the shift (``Problem.shift_end_margin_s``). Fairness
        off too: shifts hold."""
        if margin_s <= 0:
            return 0.0
        return SHIFT_END_COST_PER_S * max(0.0, finish_s - (courier.shift_end - margin_s))

    def _heavy_over(self, courier: str, heavy_kg: float) -> float:
        """Heavy kilograms above the even share, in seconds of work (0 for who cannot carry them)."""
        if courier not in self.heavy_able:
            return 0.0
        return HEAVY_KG_SECONDS * max(0.0, self.heavy_today.get(courier, 0.0) + heavy_kg - self.heavy_share_kg)

    def added_cost(
        self,
        courier: Courier,
        work_s: float,
        heavy_kg: float,
        extra_work_s: NDArray[np.float64],
        shipment: Shipment,
        heavy: bool,
    ) -> NDArray[np.float64]:
        """What giving ``shipment`` to ``courier`` adds to the fairness cost, beside its riding.

        ``work_s`` and ``heavy_kg``: the courier's route before; ``extra_work_s``: what the job
        would add to it (the detour and the handling), one value per way of fitting it in.
        """
        if self.weight <= 0:
            return np.zeros_like(extra_work_s, dtype=np.float64)
        target = self.targets.get(courier.id, 0.0)
        over = np.maximum(0.0, work_s + extra_work_s - target) - max(0.0, work_s - target)
        # Below the targets too, work costs in proportion to how full the courier's day is expected
        # to be at its end (the integral of routing.fairness.expected_day_share over the added
        # work): between two couriers who both have room, the one who will have less of their day
        # worked gets it, and one whose shift ends soon has less of it left to catch up in.
        shift = max(1.0, float(courier.shift_length_s))
        planned = work_s + extra_work_s / 2.0
        ahead = EXPECTED_UTILISATION * np.maximum(0.0, remaining_shift_s(courier, self.now) - planned)
        share = (courier.worked_s_today + planned + ahead) / shift
        over = over + SHARE_WEIGHT * extra_work_s * share
        if heavy:
            over = (
                over
                + self._heavy_over(courier.id, heavy_kg + shipment.weight_kg)
                - self._heavy_over(courier.id, heavy_kg)
            )
        return np.asarray(self.weight * over, dtype=np.float64)
