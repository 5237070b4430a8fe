"""Settings that check themselves, typed stats with the JSON they always had, the package's names."""

from __future__ import annotations

import subprocess
import sys

import pytest

import routing
from routing.settings import SolverSettings
from routing.stats import ConstructorStats, RidingBudget, SearchStats, SharingStats, SolverStats


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"time_budget_s": 0}, "time_budget_s must be a positive number of seconds"),
        ({"time_budget_s": float("nan")}, "time_budget_s must be a positive number of seconds"),
        ({"constructor": "vroom"}, "unknown constructor 'vroom'"),
        ({"first_solution": "cheapest_arc"}, "unknown first_solution 'cheapest_arc'"),
        ({"neighbors_ratio": 0.0}, "neighbors_ratio must be a share in (0, 1]"),
        ({"ls_neighbors_ratio": 1.5}, "ls_neighbors_ratio must be a share in (0, 1]"),
        ({"constructor_share": 1.2}, "constructor_share must be a share of the time budget"),
        ({"sharing_share": -0.1}, "sharing_share must be a share of the time budget"),
        ({"min_neighbors": 0}, "min_neighbors must be at least 1"),
        ({"vehicle_fixed_cost": -1}, "vehicle_fixed_cost must not be negative"),
        ({"iterations": 0}, "iterations must be at least 1 or None"),
    ],
)
def test_settings_that_cannot_work_are_refused_when_built(fields: dict[str, object], reason: str) -> None:
    with pytest.raises(ValueError, match=f"^SolverSettings: {reason[:20]}"):
        SolverSettings(**fields)  # type: ignore[arg-type]


def test_the_defaults_and_the_settings_the_callers_use_are_accepted() -> None:
    SolverSettings()
    SolverSettings(time_budget_s=60.0, iterations=200, explain=False, constructor="ortools", neighbors_ratio=1.0)


def test_the_stats_render_the_keys_results_files_have_always_held() -> None:
    budget = RidingBudget(
        0.05,
        1050,
        1000,
        "ok",
        start="previous plan",
        sharing=SharingStats(2, 1000, 1040, 0.3, 0.2, 0.1, "no move left"),
    )
    stats = SolverStats(
        search=SearchStats(seconds=0.5, build_seconds=0.1, warm_start=True, status=1),
        constructor=ConstructorStats("pyvrp", "ok", 0.8, 0, after_owned_work=True),
        riding_budget=budget,
        ortools="full model",
        total_seconds=1.0,
    )
    out = stats.to_json()
    assert list(out) == [
        "seconds", "build_seconds", "warm_start", "kept_warm_start", "status", "riding_budget", "balanced_start",
        "constructor", "ortools", "total_seconds", "explain_seconds", "objective", "eta_error_s",
    ]  # fmt: skip
    assert out["constructor"] == {
        "name": "pyvrp",
        "result": "ok",
        "seconds": 0.8,
        "left_out": 0,
        "after_owned_work": True,
    }
    assert list(out["riding_budget"]) == ["budget", "cap_s", "efficient_riding_s", "why", "start", "sharing"]
    assert out["eta_error_s"] == {"mean_abs": 0.0, "max_abs": 0.0}
    assert SolverStats(planned=False).to_json() == {"seconds": 0.0}
    assert ConstructorStats("ortools").to_json() == {"name": "ortools"}
    assert "build_seconds" not in SolverStats(search=SearchStats()).to_json()  # no model was built


def test_the_package_names_the_planning_core_and_loads_it_only_when_asked() -> None:
    for name in routing.__all__:
        assert getattr(routing, name) is not None
    assert routing.solve.__module__ == "routing.solver" and routing.Plan.__module__ == "routing.plan"
    with pytest.raises(AttributeError):
        routing.nothing_like_this  # noqa: B018
    light = "import sys, routing.network; print(sorted(m for m in ('ortools', 'pyvrp', 'vroom') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", light], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
