"""Web UI users: username, role and the argon2 hash of the password.

The "ui" branch of the migrations, off the initial schema; `upgrade heads` applies every branch.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ui01"
down_revision = "0001"
branch_labels = ("ui",)
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "ui_users",
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("ui_users")
