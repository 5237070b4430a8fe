"""When a planning round fails, the log says what failed (attack finding 1): a domain error raised
in the planner's worker process comes back as itself (it used to break the process pool, since
it could not be unpickled), and when the process does die the log names the round's cooperative
and the cause, not only "the planner process died"."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import pytest

from api.planner import Planner
from dispatch.errors import InvalidInput


def _refuse() -> None:
    raise InvalidInput("parcel.weight_kg", "must be a finite number")


def test_a_domain_error_in_the_planner_process_comes_back_as_itself() -> None:
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        with pytest.raises(InvalidInput) as refused:
            pool.submit(_refuse).result(timeout=60)
        assert refused.value.field == "parcel.weight_kg"
        assert pool.submit(abs, -1).result(timeout=60) == 1  # the pool is not broken


class _Died(Executor):
    """A pool whose process died in the round: the future fails as concurrent.futures fails it."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        broken = BrokenProcessPool("A result has failed to un-serialize")
        broken.__cause__ = TypeError("InvalidInput.__init__() missing 1 required positional argument: 'reason'")
        future.set_exception(broken)
        return future


def test_a_dead_planner_process_is_logged_with_the_cooperative_and_the_cause(caplog: pytest.LogCaptureFixture) -> None:
    async def nothing(_coop_id: str) -> None:
        return None

    planner = Planner("sqlite://", "helsinki", budget_s=1, debounce_s=0, on_round=nothing)
    planner._pool = _Died()  # type: ignore[assignment]
    with caplog.at_level(logging.ERROR, logger="tandem.planner"):
        assert asyncio.run(planner._one("coop-42")) is None
    (said,) = [r.getMessage() for r in caplog.records if "planner process died" in r.getMessage()]
    assert "coop-42" in said and "un-serialize" in said and "missing 1 required positional argument" in said
    assert planner._pool is None  # a new process for the next round
