"""Tag subscriptions (watched repositories and tags) and triggered vulnerability DB updates."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_ops"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "db_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("failed_sources", sa.JSON(), nullable=False),
        sa.Column("db_built_before", sa.String(length=50), nullable=False),
        sa.Column("db_built_after", sa.String(length=50), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("db_updates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_db_updates_status"), ["status"], unique=False)
    op.create_table(
        "tag_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository", sa.String(length=500), nullable=False),
        sa.Column("tag", sa.String(length=200), nullable=False),
        sa.Column("platform", sa.String(length=50), nullable=False),
        sa.Column("last_polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("repository", "tag", "platform"),
    )
    op.create_table(
        "watched_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=100), nullable=False),
        sa.Column("image_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["image_id"], ["images.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["subscription_id"], ["tag_subscriptions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subscription_id", "tag"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("watched_tags")
    op.drop_table("tag_subscriptions")
    with op.batch_alter_table("db_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_db_updates_status"))
    op.drop_table("db_updates")
