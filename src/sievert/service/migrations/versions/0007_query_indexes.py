"""Covering indexes for the fleet queries: images affected by a vulnerability, images holding a
package (the image ids read from the index alone, no table look-up per finding)."""

from __future__ import annotations

from alembic import op

revision = "0007_query_indexes"
down_revision = "0006_ui_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_image_vulns_vuln_image", "image_vulns", ["vuln_id", "image_id"])
    op.create_index("ix_image_packages_name_image", "image_packages", ["name", "image_id"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_image_packages_name_image", table_name="image_packages")
    op.drop_index("ix_image_vulns_vuln_image", table_name="image_vulns")
