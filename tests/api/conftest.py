"""PostgreSQL and Redis for the API tests: used when their URLs are set, skipped otherwise."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.dispatch.conftest import postgres_url, schema_url


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
