"""event sequence numbers 64-bit: past 2^31 an int4 column turned ``after_seq`` into a 422

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Every column that holds an event's sequence number (or the counter that hands them out).
SEQ_COLUMNS = (
    ("cooperatives", "last_seq"),
    ("events", "seq"),
    ("jobs", "last_seq"),
    ("webhook_deliveries", "event_seq"),
    ("webhook_cursors", "last_seq"),
)


def _retype(to: sa.types.TypeEngine[int], was: sa.types.TypeEngine[int]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        return  # SQLite's INTEGER holds 64 bits already; rebuilding its tables would gain nothing
    for table, column in SEQ_COLUMNS:
        op.alter_column(table, column, type_=to, existing_type=was, existing_nullable=False)


def upgrade() -> None:
    _retype(sa.BigInteger(), sa.Integer())


def downgrade() -> None:
    _retype(sa.Integer(), sa.BigInteger())
