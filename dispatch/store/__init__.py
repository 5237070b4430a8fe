"""Persistence: SQLAlchemy tables, Alembic migrations, and the Store over them."""

from dispatch.store.repository import Store

__all__ = ["Store"]
