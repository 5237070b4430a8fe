"""PostgreSQL and Redis for the API tests: used when their URLs are set, skipped otherwise."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from tests.dispatch.conftest import postgres_url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema of the PostgreSQL database named by DATABASE_URL (dropped afterwards)."""
    base = postgres_url()
    if base is None:
        pytest.skip("PostgreSQL tests skipped: set DATABASE_URL=postgresql+psycopg://... to run them")
    schema = f"tandem_api_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url.startswith("redis"):
        pytest.skip("Redis tests skipped: set REDIS_URL=redis://... to run them")
    return url
