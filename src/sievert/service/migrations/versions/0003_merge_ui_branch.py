"""Join the UI branch back into the service line, so later revisions form one chain."""

from __future__ import annotations

revision = "0003"
down_revision = ("0002", "ui01")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision (nothing to change: it only merges two heads)."""


def downgrade() -> None:
    """Revert this revision (nothing to change)."""
