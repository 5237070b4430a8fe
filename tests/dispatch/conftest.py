"""The same store tests run on SQLite (always) and PostgreSQL (when a URL is given).

PostgreSQL runs when ``DATABASE_URL`` (or ``TANDEM_TEST_POSTGRES_URL``) names a postgresql
database; each test session works in a schema of its own, dropped at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

import api  # noqa: F401  (str() of a domain error is the edge's English words, as in every Tandem process)
from dispatch.model import JobRequest, Parcel, Place, TimeWindow, Vehicle
from dispatch.store import Store
from routing.network import BikeNetwork, load_network


def postgres_url() -> str | None:
    for name in ("TANDEM_TEST_POSTGRES_URL", "DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith("postgresql"):
            return url
    return None


def schema_url(base: str, prefix: str) -> Iterator[str]:
    """A fresh schema of the database at ``base`` for the caller's lifetime, dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def fresh_url(kind: str, folder: Path, prefix: str) -> Iterator[str]:
    """A fresh database of ``kind`` ("sqlite": a file in ``folder``; "postgresql": a schema of
    its own, dropped afterwards, and a skip when no server is named)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'tandem.db'}"
        return
    base = postgres_url()
    if base is None:
        pytest.skip("PostgreSQL tests skipped: set DATABASE_URL=postgresql+psycopg://... to run them")
    yield from schema_url(base, prefix)


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    base = postgres_url()
    if base is None:
        pytest.skip("PostgreSQL tests skipped: set DATABASE_URL=postgresql+psycopg://... to run them")
    yield from schema_url(base, "tandem_test")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'tandem.db'}"
    return str(request.getfixturevalue("pg_schema_url"))


@pytest.fixture(scope="session")
def store(db_url: str) -> Iterator[Store]:
    opened = Store.open(db_url)
    yield opened
    opened.close()


@dataclass
class Coop:
    """A fresh cooperative with two couriers and a client (tests never share one)."""

    store: Store
    id: str
    bike: str
    cargo: str
    client: str
    api_key: str


@pytest.fixture
def coop(store: Store) -> Coop:
    c = store.create_cooperative(f"Velo {uuid.uuid4().hex[:6]}", timezone="Europe/Helsinki")
    bike = store.add_courier(c.id, "Aino", Vehicle.of_kind("bike"))
    cargo = store.add_courier(c.id, "Mikko", Vehicle.of_kind("e_cargo_bike"))
    client, key = store.add_client(c.id, "Bakery Leipä")
    return Coop(store=store, id=c.id, bike=bike.id, cargo=cargo.id, client=client.id, api_key=key)


T0 = datetime.fromisoformat("2026-11-28T08:00:00+02:00")


def at(minutes: float) -> datetime:
    """A time on the scripted day: minutes after 08:00 Helsinki time."""
    return T0 + timedelta(minutes=minutes)


def a_request(weight_kg: float = 4.0, *, start: float = 0, notes: str = "") -> JobRequest:
    return JobRequest(
        pickup=Place(24.9414, 60.1710, "Rautatientori 1"),
        dropoff=Place(24.9525, 60.1675, "Kauppatori"),
        pickup_window=TimeWindow(at(start), at(start + 60)),
        dropoff_window=TimeWindow(at(start), at(start + 120)),
        parcels=(Parcel(weight_kg=weight_kg, volume_l=20, longest_side_cm=50),),
        notes=notes,
    )


SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def helsinki() -> BikeNetwork:
    """The default city's network, once for the planning tests, through the data directory's cache
    that the servers and the other tests read too (built there once, by whichever asks first)."""
    return load_network(None)


@pytest.fixture(scope="session")
def points(helsinki: BikeNetwork) -> list[tuple[float, float]]:
    """Street nodes of the default city, where generated days and weeks put their places."""
    from dispatch.days import street_points

    return street_points(helsinki)
