"""What a planning round reports about itself: typed, frozen, and rendered as JSON at the edge.

Every stage of :func:`routing.solver.solve` says what it did (the constructor, sharing under the
riding budget, the OR-Tools search) in one of these; ``Plan.solver`` holds the round's
:class:`SolverStats`. ``to_json`` gives the dictionaries the CLI and the benchmarks' results files
have always held, key for key, so that results written before and after stay comparable (a flat
record's keys are its field names, in their order).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class PyvrpStats:
    """What PyVRP's run did (:func:`routing.construct.construct`)."""

    iterations: int
    cost: int  #: distance plus fixed vehicle cost of PyVRP's best plan
    vroom_start: bool
    start: str  #: "vroom", "random" or "empty": where PyVRP's search started
    vroom_seconds: float
    history_length: int  #: late acceptance's history (``routing.construct.LAHC_HISTORY_PER_S``)
    deferred: int  #: jobs left to insertion this round (``routing.construct.RANDOM_START_SHARE``)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ConstructorStats:
    """Who built the first plan, and how it went ("ortools": no constructor ran)."""

    name: str  #: "pyvrp" or "ortools"
    result: str = ""  #: "ok" or why PyVRP gave no routes
    seconds: float = 0.0
    left_out: int = 0  #: jobs PyVRP could not fit in
    pyvrp: PyvrpStats | None = None  #: None: PyVRP did not run (skipped or failed)
    after_owned_work: bool = False  #: PyVRP planned the free jobs after each courier's own

    def to_json(self) -> dict[str, Any]:
        if self.name != "pyvrp":
            return {"name": self.name}
        out: dict[str, Any] = {
            "name": self.name,
            "result": self.result,
            "seconds": self.seconds,
            "left_out": self.left_out,
        }
        if self.pyvrp is not None:
            out.update(self.pyvrp.to_json())
        if self.after_owned_work:
            out["after_owned_work"] = True
        return out


@dataclass(frozen=True)
class SharingStats:
    """What sharing the work under the riding budget did (:func:`routing.sharing.share_work`)."""

    moves: int
    riding_before_s: int
    riding_after_s: int
    gini_before: float
    gini_after: float
    seconds: float
    stopped: str  #: why it stopped: "no move left", "time budget"...

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RidingBudget:
    """The cap on the plan's riding: the efficient plan's riding plus the members' budget."""

    budget: float  #: the members' share (0.05: at most +5 % riding)
    cap_s: int | None  #: None: no cap this round (``why`` says why)
    efficient_riding_s: int | None
    #: ``ok``, or why there is no cap, as a code (a diagnosis in the round's statistics, read by
    #: people who know the solver; no member reads it): ``no_efficient_plan``,
    #: ``efficient_left_jobs_out``, ``efficient_unreachable`` (no cap measured), or
    #: ``full_model_rejected`` (the full model refused the efficient plan as its start).
    why: str
    start: str | None = None  #: a re-plan's start: "previous plan" or "efficient plan"
    over_cap_s: int | None = None  #: the cap was raised by this much to the previous plan's riding
    sharing: SharingStats | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "budget": self.budget,
            "cap_s": self.cap_s,
            "efficient_riding_s": self.efficient_riding_s,
            "why": self.why,
        }
        if self.start is not None:
            out["start"] = self.start
        if self.over_cap_s is not None:
            out["over_cap_s"] = self.over_cap_s
        if self.sharing is not None:
            out["sharing"] = self.sharing.to_json()
        return out


@dataclass(frozen=True)
class SearchStats:
    """What OR-Tools' search did (:meth:`routing.ortools_model.OrToolsModel.solve`)."""

    seconds: float = 0.0
    build_seconds: float | None = None  #: None: no model was built (the start is the plan)
    warm_start: bool = False  #: the model accepted the start
    kept_warm_start: bool = False  #: the search did not beat the start, which was kept
    status: int | None = None  #: OR-Tools' routing status (None: no search)


@dataclass(frozen=True)
class EtaError:
    """How far the model's times are from the exact evaluator's, in seconds."""

    mean_abs: float = 0.0
    max_abs: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SolverStats:
    """What a round did, stage by stage (``Plan.solver``)."""

    search: SearchStats = field(default_factory=SearchStats)
    constructor: ConstructorStats = field(default_factory=lambda: ConstructorStats("ortools"))
    riding_budget: RidingBudget | None = None
    balanced_start: bool = False  #: OR-Tools' capped balanced start was the start
    ortools: str = ""  #: "full model", over the jobs of the start only, or why it was skipped
    proposed_start: bool = False  #: no search result: the checked start is the plan
    total_seconds: float = 0.0
    explain_seconds: float = 0.0
    objective: int | None = None  #: OR-Tools' objective of the plan (None: no search result)
    eta_error_s: EtaError = field(default_factory=EtaError)
    planned: bool = True  #: False: no courier, so no stage ran

    @property
    def warm_start(self) -> bool:
        return self.search.warm_start

    @property
    def seconds(self) -> float:
        """Seconds of OR-Tools' search."""
        return self.search.seconds

    def to_json(self) -> dict[str, Any]:
        if not self.planned:
            return {"seconds": self.search.seconds}
        out: dict[str, Any] = {"seconds": self.search.seconds}
        if self.search.build_seconds is not None:
            out["build_seconds"] = self.search.build_seconds
        out.update(
            warm_start=self.search.warm_start,
            kept_warm_start=self.search.kept_warm_start,
            status=self.search.status,
            riding_budget=None if self.riding_budget is None else self.riding_budget.to_json(),
            balanced_start=self.balanced_start,
            constructor=self.constructor.to_json(),
            ortools=self.ortools,
        )
        if self.proposed_start:
            out["proposed_start"] = True
        out.update(
            total_seconds=self.total_seconds,
            explain_seconds=self.explain_seconds,
            objective=self.objective,
            eta_error_s=self.eta_error_s.to_json(),
        )
        return out
