"""each cooperative its city and a short name (issue 16): existing cooperatives get the server's
current city (``TANDEM_CITY``, which ``tandem serve --city`` sets, else the default city) and a
short name derived from their name, made unique

Revision ID: 0006
Revises: 0005
"""

import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dispatch.store.cooperatives import unique_short_name
from routing.network import DEFAULT_CITY

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

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
    with op.batch_alter_table("cooperatives") as batch_op:
        batch_op.drop_column("short_name")
        batch_op.drop_column("city")
