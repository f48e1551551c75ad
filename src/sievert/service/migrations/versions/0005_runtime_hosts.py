"""Runtime audits (containers with their SV-RT findings and risk, linked to stored images) and
host scan reports."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_runtime_hosts"
down_revision = "0004_ops"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "runtime_audits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(length=500), nullable=False),
        sa.Column("image_scan", sa.Boolean(), nullable=False),
        sa.Column("container_count", sa.Integer(), nullable=False),
        sa.Column("risk", sa.JSON(), nullable=False),
        sa.Column("tool_version", sa.String(length=50), nullable=False),
        sa.Column("submitted_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_runtime_audits_engine", "runtime_audits", ["engine", "id"])
    op.create_table(
        "runtime_containers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("container_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("image_ref", sa.String(length=1000), nullable=False),
        sa.Column("image_digest", sa.String(length=100), nullable=False),
        sa.Column("image_id", sa.Integer(), nullable=True),
        sa.Column("risk", sa.String(length=20), nullable=False),
        sa.Column("risk_reason", sa.Text(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("vulnerabilities", sa.JSON(), nullable=False),
        sa.Column("image_error", sa.Text(), nullable=False),
        sa.Column("verdict", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["audit_id"], ["runtime_audits.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["image_id"], ["images.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_runtime_containers_audit", "runtime_containers", ["audit_id", "position"])
    op.create_index(
        op.f("ix_runtime_containers_image_digest"), "runtime_containers", ["image_digest"]
    )
    op.create_index(op.f("ix_runtime_containers_image_id"), "runtime_containers", ["image_id"])
    op.create_table(
        "host_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("target", sa.String(length=1000), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("distro", sa.String(length=100), nullable=False),
        sa.Column("kernel_running", sa.String(length=200), nullable=False),
        sa.Column("kernel_newest", sa.String(length=200), nullable=False),
        sa.Column("running_kernel_packages", sa.JSON(), nullable=False),
        sa.Column("reboot_required", sa.Boolean(), nullable=False),
        sa.Column("reboot_reasons", sa.JSON(), nullable=False),
        sa.Column("package_count", sa.Integer(), nullable=False),
        sa.Column("vuln_count", sa.Integer(), nullable=False),
        sa.Column("escape_count", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("notices", sa.JSON(), nullable=False),
        sa.Column("tool_version", sa.String(length=50), nullable=False),
        sa.Column("submitted_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_host_reports_name", "host_reports", ["name", "id"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_host_reports_name", table_name="host_reports")
    op.drop_table("host_reports")
    op.drop_index(op.f("ix_runtime_containers_image_id"), table_name="runtime_containers")
    op.drop_index(op.f("ix_runtime_containers_image_digest"), table_name="runtime_containers")
    op.drop_index("ix_runtime_containers_audit", table_name="runtime_containers")
    op.drop_table("runtime_containers")
    op.drop_index("ix_runtime_audits_engine", table_name="runtime_audits")
    op.drop_table("runtime_audits")
