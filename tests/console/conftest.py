"""One server for the week page's and the phone's browser tests, a cooperative of its own per test.

Starting ``tandem serve`` (its imports, the city, the planner's process) took seconds per test
file; the week page's tests and the phone's My shifts, My hours and My week tests need the same
server, so they share it: ``week_server`` is started once per test process (with
``pytest-xdist --dist loadfile``, once per worker, for the files that worker runs). Each test
makes a cooperative of its own on it (``make_world``), so no test sees another's couriers,
shifts, rota, time sheet or log, whatever the order (a cooperative's data is its own:
tests/api/test_tenancy.py). A test that needs another setting (a clock, a time zone, the planner
off) starts its own server instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dispatch.store import Store
from tests.api.harness import Server


@pytest.fixture(scope="session")
def week_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server on an SQLite file with no cooperative yet; its ``DATABASE_URL`` is the file."""
    url = f"sqlite:///{tmp_path_factory.mktemp('week') / 'tandem.db'}"
    Store.open(url).close()  # migrated before the server starts, as start_with_world does
    server = Server(url, planning_budget_s="0.5").start()
    try:
        yield server
    finally:
        server.stop()
