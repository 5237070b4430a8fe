"""Persistence: the append-only event log and its projections in SQLAlchemy tables (SQLite by
default, PostgreSQL with ``DATABASE_URL``), Alembic migrations, access and the admin acts,
positions, proofs of delivery (files and their references), reads of the week's events,
webhooks owed, backups.

Each module's role and how an append works: docs/ARCHITECTURE.md.
"""

from dispatch.store.repository import Store

__all__ = ["Store"]
