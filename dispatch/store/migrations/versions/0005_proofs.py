"""proofs of delivery: references to files and their hashes, what each job needs, each client's rule

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "proofs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("cooperative_id", sa.String(length=36), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("courier_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ref", sa.String(length=300), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("media_type", sa.String(length=40), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["cooperative_id"], ["cooperatives.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_proofs_job", "proofs", ["cooperative_id", "job_id"], unique=False)
    op.create_index("ix_proofs_created_at", "proofs", ["created_at"], unique=False)
    op.create_index(op.f("ix_proofs_courier_id"), "proofs", ["courier_id"], unique=False)
    op.create_table(
        "proof_requirements",
        sa.Column("cooperative_id", sa.String(length=36), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("needs", sa.String(length=60), nullable=False),
        sa.Column("code_hash", sa.String(length=200), nullable=True),
        sa.Column("code_attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["cooperative_id"], ["cooperatives.id"]),
        sa.PrimaryKeyConstraint("cooperative_id", "job_id"),
    )
    op.create_table(
        "proof_rules",
        sa.Column("cooperative_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("needs", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.ForeignKeyConstraint(["cooperative_id"], ["cooperatives.id"]),
        sa.PrimaryKeyConstraint("cooperative_id", "client_id"),
    )


def downgrade() -> None:
    op.drop_table("proof_rules")
    op.drop_table("proof_requirements")
    op.drop_index(op.f("ix_proofs_courier_id"), table_name="proofs")
    op.drop_index("ix_proofs_created_at", table_name="proofs")
    op.drop_index("ix_proofs_job", table_name="proofs")
    op.drop_table("proofs")
