"""PostgreSQL and Redis for the API tests: used when their URLs are set, skipped otherwise; and
in-process apps whose planner process starts at their first round, not at their start."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from api.planner import Planner
from tests.dispatch.conftest import postgres_url, schema_url


@pytest.fixture(autouse=True, scope="session")
def _in_process_planners_start_when_asked() -> Iterator[None]:
    """An app made in this process (``TestClient(create_app(...))``) starts its planner process
    at its first planning round instead of warming it up at the app's start.

    Why: the warm-up spawns an interpreter that imports the solver and loads the city, and runs
    to its end even when the app stops a moment later. Most in-process tests never plan, and
    they make an app each: the warm-ups were about 45 % of those tests' CPU (tests/api/test_http.py
    and test_lifecycle.py: 57 CPU-s, 31 without). A round asked for still runs in a real planner
    process, only started then. The warm-up itself is met by every real ``tandem serve`` the
    suite starts (tests/api/harness.Server, a subprocess this does not reach):
    tests/api/test_planner_lifetime.py finds the planner process of a server that never planned.
    """

    async def started_at_the_first_round(self: Planner) -> None:
        return None

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Planner, "warm_up", started_at_the_first_round)
        yield


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema of the PostgreSQL database named by DATABASE_URL (dropped afterwards)."""
    base = postgres_url()
    if base is None:
        pytest.skip("PostgreSQL tests skipped: set DATABASE_URL=postgresql+psycopg://... to run them")
    yield from schema_url(base, "tandem_api")


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url.startswith("redis"):
        pytest.skip("Redis tests skipped: set REDIS_URL=redis://... to run them")
    return url
