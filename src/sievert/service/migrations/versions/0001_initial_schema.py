"""Initial schema: tokens, registries, images and their findings, policies, certifications,
Harbor scans and the fleet's layer analyses."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("secret_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=1000), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("manifest_digest", sa.String(length=100), nullable=False),
        sa.Column("config_digest", sa.String(length=100), nullable=False),
        sa.Column("distro", sa.String(length=100), nullable=False),
        sa.Column("platform", sa.String(length=50), nullable=False),
        sa.Column("package_count", sa.Integer(), nullable=False),
        sa.Column("vuln_count", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("db_built", sa.String(length=50), nullable=False),
        sa.Column("upload_path", sa.Text(), nullable=False),
        sa.Column("pull_auth", sa.LargeBinary(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("analysed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_images_manifest_digest"), ["manifest_digest"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_images_status"), ["status"], unique=False)

    op.create_table(
        "layer_analyses",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "version"),
    )
    op.create_table(
        "policy_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pattern", sa.String(length=500), nullable=False),
        sa.Column("policy_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "registries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("insecure", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("host"),
    )
    op.create_table(
        "certifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("image_id", sa.Integer(), nullable=False),
        sa.Column("image_digest", sa.String(length=100), nullable=False),
        sa.Column("policy_name", sa.String(length=200), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("policy_digest", sa.String(length=100), nullable=False),
        sa.Column("db_built", sa.String(length=50), nullable=False),
        sa.Column("verdict", sa.String(length=10), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["image_id"], ["images.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.create_index("ix_certifications_image", ["image_id", "id"], unique=False)

    op.create_table(
        "harbor_scans",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("image_id", sa.Integer(), nullable=False),
        sa.Column("artifact", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["image_id"], ["images.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "image_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("image_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("layer_index", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["image_id"], ["images.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("image_checks", schema=None) as batch_op:
        batch_op.create_index("ix_image_checks_image", ["image_id", "position"], unique=False)

    op.create_table(
        "image_layers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("image_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=100), nullable=False),
        sa.Column("diff_id", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["image_id"], ["images.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("image_id", "position"),
    )
    with op.batch_alter_table("image_layers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_image_layers_image_id"), ["image_id"], unique=False)

    op.create_table(
        "image_packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("image_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("purl", sa.Text(), nullable=False),
        sa.Column("introduced_by", sa.Integer(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["image_id"], ["images.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("image_packages", schema=None) as batch_op:
        batch_op.create_index("ix_image_packages_image", ["image_id", "position"], unique=False)
        batch_op.create_index("ix_image_packages_name_version", ["name", "version"], unique=False)

    op.create_table(
        "image_reports",
        sa.Column("image_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["image_id"], ["images.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("image_id"),
    )
    op.create_table(
        "image_vulns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("image_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("vuln_id", sa.String(length=100), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("fix_state", sa.String(length=30), nullable=False),
        sa.Column("fixed_versions", sa.JSON(), nullable=False),
        sa.Column("package_name", sa.String(length=500), nullable=False),
        sa.Column("package_version", sa.String(length=200), nullable=False),
        sa.Column("package_type", sa.String(length=50), nullable=False),
        sa.Column("purl", sa.Text(), nullable=False),
        sa.Column("epss", sa.Float(), nullable=True),
        sa.Column("kev", sa.Boolean(), nullable=False),
        sa.Column("layer_index", sa.Integer(), nullable=False),
        sa.Column("risk", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["image_id"], ["images.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("image_vulns", schema=None) as batch_op:
        batch_op.create_index("ix_image_vulns_image", ["image_id", "position"], unique=False)
        batch_op.create_index(batch_op.f("ix_image_vulns_vuln_id"), ["vuln_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("image_vulns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_image_vulns_vuln_id"))
        batch_op.drop_index("ix_image_vulns_image")

    op.drop_table("image_vulns")
    op.drop_table("image_reports")
    with op.batch_alter_table("image_packages", schema=None) as batch_op:
        batch_op.drop_index("ix_image_packages_name_version")
        batch_op.drop_index("ix_image_packages_image")

    op.drop_table("image_packages")
    with op.batch_alter_table("image_layers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_image_layers_image_id"))

    op.drop_table("image_layers")
    with op.batch_alter_table("image_checks", schema=None) as batch_op:
        batch_op.drop_index("ix_image_checks_image")

    op.drop_table("image_checks")
    op.drop_table("harbor_scans")
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.drop_index("ix_certifications_image")

    op.drop_table("certifications")
    op.drop_table("registries")
    op.drop_table("policy_attachments")
    op.drop_table("policies")
    op.drop_table("layer_analyses")
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_images_status"))
        batch_op.drop_index(batch_op.f("ix_images_manifest_digest"))

    op.drop_table("images")
    op.drop_table("api_tokens")
