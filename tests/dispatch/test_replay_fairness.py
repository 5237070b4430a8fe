"""Replays run the live planner (warm start, search, fairness) and stay repeatable (issue 15).

Before, replays planned by construction only, which ignores the fairness weight: `tandem replay
--fairness 0,1` printed identical columns.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dispatch.days import read_day
from dispatch.replay import replay
from dispatch.simulation import Policy
from routing.network import BikeNetwork, open_city

DAY = Path(__file__).resolve().parents[2] / "data" / "demo_day.json"


@pytest.fixture(scope="module")
def network() -> BikeNetwork:
    return open_city(None)


def _worked(result: object) -> dict[str, float]:
    return {str(c["courier"]): float(c["worked_min"]) for c in result.couriers}  # type: ignore[attr-defined]


def test_the_same_seed_gives_the_same_day_and_fairness_changes_who_works_how_much(network: BikeNetwork) -> None:
    day = read_day(DAY)
    fair = Policy(fairness_weight=1.0, riding_budget=None, iterations=60)
    once, again = replay(day, fair, network, seed=3), replay(day, fair, network, seed=3)
    assert once.summary == again.summary
    assert _worked(once) == _worked(again)

    efficient = replay(day, Policy(fairness_weight=0.0, riding_budget=None, iterations=60), network, seed=3)
    assert _worked(efficient) != _worked(once)
    # Not just different: the work is shared more evenly.
    assert once.summary["worked_gini"] < efficient.summary["worked_gini"]
