"""Opening the database: a SQLite file by default, PostgreSQL when ``DATABASE_URL`` says so."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

from routing.network import data_dir


def default_url() -> str:
    """``DATABASE_URL`` if set, else a SQLite file in the data directory (zero set-up)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    path = data_dir() / "tandem.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def make_engine(url: str | None = None, *, durable: bool = True, **kwargs: Any) -> Engine:
    """An engine with the settings durability needs on each backend.

    SQLite: WAL journal, ``synchronous=FULL`` (a committed event survives a power cut, not only
    a crash), foreign keys on, a busy timeout, and ``BEGIN IMMEDIATE`` so that a writer takes
    the write lock at the start of its transaction instead of failing half-way.
    """
    url = url or default_url()
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_settings(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" hook issue BEGIN
            cursor = dbapi_connection.cursor()
            sync = "synchronous=FULL" if durable else "synchronous=OFF"
            for pragma in ("journal_mode=WAL", sync, "foreign_keys=ON", "busy_timeout=30000"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            # Readers (see :func:`reading`) begin deferred: in WAL mode they never wait for a
            # writer. Writers begin IMMEDIATE, taking the write lock up front. A single
            # statement (see :func:`read_once`) needs no transaction: SQLite runs it on one
            # snapshot by itself, and the BEGIN and ROLLBACK cost more than a small SELECT.
            options = connection.get_execution_options()
            if options.get("tandem_single", False):
                return
            connection.exec_driver_sql("BEGIN" if options.get("tandem_read", False) else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def reading(engine: Engine) -> Connection:
    """A connection for reads only: on SQLite it never takes the write lock."""
    return engine.connect().execution_options(tandem_read=True)


def read_once(engine: Engine) -> Connection:
    """A connection for one read statement, or for several that need not see one snapshot (a
    second one may see a later state than the first).

    It runs outside a transaction: on PostgreSQL that spares the BEGIN and ROLLBACK round trips,
    on SQLite the two statements; a single statement sees one snapshot either way.
    """
    if engine.dialect.name == "sqlite":
        return engine.connect().execution_options(tandem_read=True, tandem_single=True)
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")
