"""A backlog the fleet has no room for is tried again later, never left without a round to come.

An outside attack (40 couriers, 1,381 requests, the fleet full at about 430 jobs): after two
rounds that proposed nothing new the planner stopped, and 872 jobs said "not planned yet: the
next round tries again" while no round came until the next request. Now the rounds come further
apart (``BACKLOG_RETRY_S``), and a request cuts the wait short. The planner's rounds are
replaced by outcomes here: what is under test is when rounds run, not what they plan.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from api import planner as planner_module
from api.planner import IDLE_BACKLOG_ROUNDS, Planner


def test_a_full_fleet_s_backlog_is_tried_again_further_apart_and_at_once_on_a_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(planner_module, "BACKLOG_RETRY_S", (0.5, 1.0))

    async def on_round(coop_id: str) -> None:
        return None

    async def scenario() -> None:
        planner = Planner(None, "helsinki", budget_s=0.1, debounce_s=0.01, on_round=on_round)
        rounds: list[float] = []
        full = {"backlog_left": True, "proposals": [], "withheld": []}
        state = {"outcome": full}

        async def leased(coop_id: str) -> dict[str, Any] | None:
            rounds.append(asyncio.get_running_loop().time())
            return state["outcome"]

        monkeypatch.setattr(planner, "_leased", leased)
        planner.request("coop")
        await asyncio.sleep(3.2)
        task = planner._running.get("coop")
        assert task is not None and not task.done(), "the planner stopped with a backlog left"
        gaps = [b - a for a, b in itertools.pairwise(rounds)]
        # IDLE_BACKLOG_ROUNDS rounds at once, then waits of 0.5 s, 1 s, 1 s...
        assert all(g < 0.4 for g in gaps[: IDLE_BACKLOG_ROUNDS - 1]), gaps
        assert all(g >= 0.5 for g in gaps[IDLE_BACKLOG_ROUNDS - 1 :]), gaps
        assert any(g >= 1.0 for g in gaps), gaps
        # a request does not wait for the backlog's next try (asked just after a round: the next
        # try is a whole second away)
        seen = len(rounds)
        while len(rounds) == seen:
            await asyncio.sleep(0.01)
        before = len(rounds)
        asked = asyncio.get_running_loop().time()
        planner.request("coop")
        for _ in range(30):
            if len(rounds) > before:
                break
            await asyncio.sleep(0.01)
        assert len(rounds) > before and rounds[before] - asked < 0.4
        # no backlog left: the loop ends
        state["outcome"] = {"backlog_left": False, "proposals": [], "withheld": []}
        planner.request("coop")
        for _ in range(100):
            if "coop" not in planner._running:
                break
            await asyncio.sleep(0.02)
        assert "coop" not in planner._running

    asyncio.run(scenario())
