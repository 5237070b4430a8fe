"""API: courier logins, sessions, webhooks and their deliveries, instance secrets

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("couriers") as batch:
        batch.add_column(sa.Column("login", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("secret_hash", sa.String(length=200), nullable=True))
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("cooperative_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["cooperative_id"], ["cooperatives.id"]),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index(op.f("ix_sessions_cooperative_id"), "sessions", ["cooperative_id"], unique=False)
    op.create_index(op.f("ix_sessions_subject_id"), "sessions", ["subject_id"], unique=False)
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("cooperative_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.ForeignKeyConstraint(["cooperative_id"], ["cooperatives.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_webhooks_client_id"), "webhooks", ["client_id"], unique=False)
    op.create_index(op.f("ix_webhooks_cooperative_id"), "webhooks", ["cooperative_id"], unique=False)
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("cooperative_id", sa.String(length=36), nullable=False),
        sa.Column("webhook_id", sa.String(length=36), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.JSON(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["cooperative_id"], ["cooperatives.id"]),
        sa.ForeignKeyConstraint(["webhook_id"], ["webhooks.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("webhook_id", "event_seq"),
    )
    op.create_index(
        op.f("ix_webhook_deliveries_cooperative_id"), "webhook_deliveries", ["cooperative_id"], unique=False
    )
    op.create_index(op.f("ix_webhook_deliveries_webhook_id"), "webhook_deliveries", ["webhook_id"], unique=False)
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"], unique=False)
    op.create_table(
        "webhook_cursors",
        sa.Column("cooperative_id", sa.String(length=36), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["cooperative_id"], ["cooperatives.id"]),
        sa.PrimaryKeyConstraint("cooperative_id"),
    )
    op.create_table(
        "instance_secrets",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("instance_secrets")
    op.drop_table("webhook_cursors")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_index(op.f("ix_webhook_deliveries_webhook_id"), table_name="webhook_deliveries")
    op.drop_index(op.f("ix_webhook_deliveries_cooperative_id"), table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index(op.f("ix_webhooks_cooperative_id"), table_name="webhooks")
    op.drop_index(op.f("ix_webhooks_client_id"), table_name="webhooks")
    op.drop_table("webhooks")
    op.drop_index(op.f("ix_sessions_subject_id"), table_name="sessions")
    op.drop_index(op.f("ix_sessions_cooperative_id"), table_name="sessions")
    op.drop_table("sessions")
    with op.batch_alter_table("couriers") as batch:
        batch.drop_column("secret_hash")
        batch.drop_column("login")
