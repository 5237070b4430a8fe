"""How a planning round searches: :class:`SolverSettings`, checked when built.

Separate from :mod:`routing.solver` so that each stage (the constructor's share, the OR-Tools
search in :mod:`routing.ortools_model`) reads the same settings without importing the sequence
that runs them. A setting that cannot work is refused here, with the reason, rather than deep in
a round (a share above one, an unknown constructor, a budget of no time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: The first-solution heuristics OR-Tools may use (``SolverSettings.first_solution``).
FIRST_SOLUTIONS = ("parallel_insertion", "local_insertion")
#: Who may build the first plan (``SolverSettings.constructor``).
CONSTRUCTORS = ("pyvrp", "ortools")


@dataclass(frozen=True)
class SolverSettings:
    """How a round searches; raises ``ValueError`` with the reason when built with a setting that
    cannot work (the planner would otherwise fail, or silently do something else, mid-round)."""

    time_budget_s: float = 1.0
    first_solution_only: bool = False
    #: "parallel_insertion" or "local_insertion": insertion heuristics find first solutions on
    #: tight windows where arc-based ones (PATH_CHEAPEST_ARC) find none.
    first_solution: str = "parallel_insertion"
    minimise_couriers: bool = False  #: a fixed cost per used courier (benchmarks: fewest vehicles first)
    explain: bool = True  #: compute an explanation per job (benchmarks of the solver alone turn it off)
    #: Share of nearest neighbours the insertion heuristic considers (1.0: all). Lower is faster
    #: on large instances; see benchmarks/bench_city.py for the measured trade-off.
    #: None: all neighbours below ``routing.ortools_model.AUTO_NEIGHBOURS_FROM`` stops, 10 % (at
    #: least 10) above: on 200 jobs / 30 couriers that brings the first proposal from 2.2 s to
    #: 0.75 s for a 3 s plan within 0.5 % of the full search's (measured with bench_city's generator).
    neighbors_ratio: float | None = None
    min_neighbors: int = 10
    ls_neighbors_ratio: float | None = None
    #: With fairness on, first build a plan under hard caps of each courier's work (fair share
    #: plus a margin), then improve it with the soft fairness terms. Local search alone moves
    #: work between couriers too slowly on large days (measured in benchmarks/bench_city.py).
    balanced_start: bool = True
    vehicle_fixed_cost: int = 10**9
    #: Who builds the first plan: "pyvrp" (routing/construct.py: PyVRP, started from VROOM's
    #: quick plan, on an approximation of the model; OR-Tools then improves it under the full
    #: model) or "ortools" (its own insertion heuristic, with fairness the capped balanced
    #: start). PyVRP finds far better plans of tight pickup-and-delivery days than OR-Tools' own
    #: search (Li & Lim and bench_city, benchmarks/README.md). If the constructor skips the
    #: problem or its plan does not hold under the full model, OR-Tools starts on its own.
    constructor: str = "pyvrp"
    #: Share of the time budget the constructor gets; OR-Tools has the rest, to build and check
    #: the full model and improve under it. On all 56 Li & Lim instances at 1 s (2 runs side by
    #: side), 0.6 / 0.8 / 0.95 reached the best-known vehicle count on 35 / 37 / 37 without the
    #: VROOM start, 0.8 / 0.9 on 41 / 42 with it, mean gaps 0.71 % / 0.91 %: PyVRP's time is
    #: worth more than OR-Tools', but OR-Tools needs about 0.1-0.2 s to take over.
    constructor_share: float = 0.8
    #: With a riding budget, the most of the time budget sharing the work may take
    #: (routing/sharing.py), half from the constructor's and half from OR-Tools' share: the
    #: efficient plan is what the budget is measured against, and sharing needs time on large
    #: days (it stops on its own when no move is left, and OR-Tools gets what it leaves). From
    #: w0's 5 s plan with no time limit, sharing within +5 % took 0.1 s on bench_city's 50 jobs /
    #: 10 couriers, 0.9 s on 200 / 30 and 2.0 s on 500 / 60 (Gini 0.37 to 0.25 there). With
    #: 0.75 s (0.15 of 5 s) it stopped at the time limit on 200 jobs and before its first move on
    #: 500; 0.25 all from the constructor left efficient plans riding 4-6 % more.
    sharing_share: float = 0.3
    seed: int = 1  #: PyVRP's random seed (OR-Tools' routing search has none)
    #: Limits by work instead of the clock, for replays that must give the same day on any
    #: machine under any load: PyVRP stops after this many iterations (and starts without
    #: VROOM, whose plan depends on its timeout), OR-Tools' search at its first local optimum,
    #: and sharing and the completion of a start run to their end. ``time_budget_s`` is then
    #: only a safety net, set it well above what the work takes. None: the live planner's
    #: wall-clock budget.
    iterations: int | None = None

    def __post_init__(self) -> None:
        problem = self._problem()
        if problem is not None:
            raise ValueError(f"SolverSettings: {problem}")

    def _problem(self) -> str | None:
        """Why these settings cannot work, or None."""
        if not (math.isfinite(self.time_budget_s) and self.time_budget_s > 0):
            return f"time_budget_s must be a positive number of seconds, not {self.time_budget_s!r}"
        if self.first_solution not in FIRST_SOLUTIONS:
            return f"unknown first_solution {self.first_solution!r} (one of {', '.join(FIRST_SOLUTIONS)})"
        if self.constructor not in CONSTRUCTORS:
            return f"unknown constructor {self.constructor!r} (one of {', '.join(CONSTRUCTORS)})"
        for name in ("neighbors_ratio", "ls_neighbors_ratio"):
            ratio = getattr(self, name)
            if ratio is not None and not 0 < ratio <= 1:
                return f"{name} must be a share in (0, 1] or None, not {ratio!r}"
        for name in ("constructor_share", "sharing_share"):
            share = getattr(self, name)
            if not 0 <= share <= 1:
                return f"{name} must be a share of the time budget in [0, 1], not {share!r}"
        if self.min_neighbors < 1:
            return f"min_neighbors must be at least 1, not {self.min_neighbors!r}"
        if self.vehicle_fixed_cost < 0:
            return f"vehicle_fixed_cost must not be negative, not {self.vehicle_fixed_cost!r}"
        if self.iterations is not None and self.iterations < 1:
            return f"iterations must be at least 1 or None, not {self.iterations!r}"
        return None
