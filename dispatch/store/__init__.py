"""Persistence: the append-only event log and its projections in SQLAlchemy tables (SQLite by
default, PostgreSQL with ``DATABASE_URL``), Alembic migrations, access, positions and webhooks.

Each module's role and how an append works: docs/ARCHITECTURE.md.
"""

from dispatch.store.repository import Store

__all__ = ["Store"]
