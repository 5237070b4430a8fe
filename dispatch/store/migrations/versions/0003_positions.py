"""courier positions kept apart from the log, so that they can be deleted after the retention

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "courier_positions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cooperative_id", sa.String(length=36), nullable=False),
        sa.Column("courier_id", sa.String(length=36), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cooperative_id"], ["cooperatives.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_courier_positions_at", "courier_positions", ["at"], unique=False)
    op.create_index(op.f("ix_courier_positions_cooperative_id"), "courier_positions", ["cooperative_id"], unique=False)
    op.create_index(op.f("ix_courier_positions_courier_id"), "courier_positions", ["courier_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_courier_positions_courier_id"), table_name="courier_positions")
    op.drop_index(op.f("ix_courier_positions_cooperative_id"), table_name="courier_positions")
    op.drop_index("ix_courier_positions_at", table_name="courier_positions")
    op.drop_table("courier_positions")
