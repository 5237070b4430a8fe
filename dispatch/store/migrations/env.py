"""Alembic environment: migrations run on the connection dispatch.store.migrate hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from dispatch.store.engine import make_engine
from dispatch.store.schema import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:  # the `alembic` command line: DATABASE_URL or the default SQLite file
    with make_engine().begin() as conn:
        _run(conn)
else:
    _run(connection)
