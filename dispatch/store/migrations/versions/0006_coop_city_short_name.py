"""each cooperative its city and a short name (issue 16): existing cooperatives get the server's
current city (``TANDEM_CITY``, which ``tandem serve --city`` sets, else the default city) and a
short name derived from their name, made unique

The short name's derivation and the default city are copied here rather than imported: a
migration must mean the same thing forever, whatever the application's code becomes.

Revision ID: 0006
Revises: 0005
"""

import os
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_CITY = "helsinki"  #: routing.network.DEFAULT_CITY when this migration was written
SHORT_NAME_MAX = 32


def derived_short_name(name: str) -> str:
    """dispatch.store.cooperatives.derived_short_name as it was: ``Vélo Lille`` -> ``velo-lille``."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")
    words = re.sub(r"^[0-9-]+", "", words)
    while len(words) > SHORT_NAME_MAX:
        cut = words.rfind("-", 0, SHORT_NAME_MAX + 1)
        words = words[: cut if cut > 0 else SHORT_NAME_MAX].strip("-")
    return words if len(words) >= 2 else "coop"


def unique_short_name(name: str, taken: Callable[[str], bool]) -> str:
    """dispatch.store.cooperatives.unique_short_name as it was: ``-2``, ``-3``... when taken."""
    base = derived_short_name(name)
    candidate, n = base, 1
    while taken(candidate):
        n += 1
        suffix = f"-{n}"
        candidate = base[: SHORT_NAME_MAX - len(suffix)].rstrip("-") + suffix
    return candidate


coops = sa.table("cooperatives", sa.column("id", sa.String), sa.column("name", sa.String), sa.column("created_at"))


def upgrade() -> None:
    # Added NOT NULL with a default (SQLite adds no NOT NULL column otherwise, and rebuilding the
    # table every other table points at is what its foreign keys refuse), then filled.
    city = os.environ.get("TANDEM_CITY", "").strip() or DEFAULT_CITY
    op.add_column("cooperatives", sa.Column("city", sa.String(300), nullable=False, server_default=city))
    op.add_column("cooperatives", sa.Column("short_name", sa.String(32), nullable=False, server_default=""))
    bind = op.get_bind()
    taken: set[str] = set()
    short = sa.table("cooperatives", sa.column("id", sa.String), sa.column("short_name", sa.String))
    for row in bind.execute(sa.select(coops.c.id, coops.c.name).order_by(coops.c.created_at, coops.c.id)):
        candidate = unique_short_name(row.name, taken.__contains__)
        taken.add(candidate)
        bind.execute(sa.update(short).where(short.c.id == row.id).values(short_name=candidate))
    if bind.dialect.name != "sqlite":  # SQLite keeps the defaults (dropping one rebuilds the table)
        op.alter_column("cooperatives", "city", server_default=None)
        op.alter_column("cooperatives", "short_name", server_default=None)
    op.create_index(op.f("ix_cooperatives_short_name"), "cooperatives", ["short_name"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_cooperatives_short_name"), table_name="cooperatives")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_column("cooperatives", "short_name")
        op.drop_column("cooperatives", "city")
        return
    # Not a batch (which rebuilds the table: ``DROP TABLE cooperatives`` is what the foreign keys
    # of couriers, clients and events refuse once there are any): SQLite drops a column itself
    # since 3.35.
    if sqlite3.sqlite_version_info < (3, 35):
        raise RuntimeError(
            f"going below 0006 needs SQLite 3.35 or later to drop a column (this is {sqlite3.sqlite_version})"
        )
    op.execute("ALTER TABLE cooperatives DROP COLUMN short_name")
    op.execute("ALTER TABLE cooperatives DROP COLUMN city")
