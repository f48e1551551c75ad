"""Findings snapshots (the UI's findings-over-time chart) and each finding's preferred CVSS.

Existing data is carried over: CVSS from the stored reports, and one snapshot per analysed image
(with the fleet's totals after it) at its analysis time.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006_ui_history"
down_revision = "0005_runtime_hosts"
branch_labels = None
depends_on = None

SEVERITIES = ("critical", "high", "medium", "low", "negligible", "unknown")
VERSIONS = {"4.0": 4, "3.1": 3, "3.0": 2, "2.0": 1}
SOURCES = ("nvd", "cna", "cisa-adp", "ghsa", "osv")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "findings_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("image_id", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("db_built", sa.String(length=50), nullable=False),
        sa.Column("images", sa.Integer(), nullable=False),
        *(sa.Column(s, sa.Integer(), nullable=False) for s in SEVERITIES),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["image_id"], ["images.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("findings_snapshots", schema=None) as batch_op:
        batch_op.create_index("ix_findings_snapshots_image", ["image_id", "id"], unique=False)
    with op.batch_alter_table("image_vulns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cvss_score", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("cvss_vector", sa.String(length=200), nullable=False, server_default="")
        )
    with op.batch_alter_table("image_vulns", schema=None) as batch_op:
        batch_op.alter_column("cvss_vector", server_default=None)
    _carry_cvss()
    _carry_snapshots()


def _preferred(scores: list[dict[str, Any]]) -> dict[str, Any] | None:
    def rank(score: dict[str, Any]) -> tuple[int, int]:
        source = str(score.get("source", ""))
        order = SOURCES.index(source) if source in SOURCES else 2
        return (-VERSIONS.get(str(score.get("version", "")), 0), order)

    valid = [s for s in scores if isinstance(s, dict)]
    return min(valid, key=rank, default=None)


def _carry_cvss() -> None:
    bind = op.get_bind()
    reports = sa.table("image_reports", sa.column("image_id"), sa.column("document", sa.JSON))
    vulns = sa.table(
        "image_vulns",
        sa.column("image_id"),
        sa.column("vuln_id"),
        sa.column("cvss_score"),
        sa.column("cvss_vector"),
    )
    for image_id, document in bind.execute(sa.select(reports.c.image_id, reports.c.document)):
        seen: set[str] = set()
        for finding in (document or {}).get("findings", []):
            vuln_id = str(finding.get("id", ""))
            best = _preferred((finding.get("vulnerability") or {}).get("cvss") or [])
            if best is None or vuln_id in seen:
                continue
            seen.add(vuln_id)
            bind.execute(
                vulns.update()
                .where(vulns.c.image_id == image_id, vulns.c.vuln_id == vuln_id)
                .values(
                    cvss_score=best.get("baseScore"),
                    cvss_vector=str(best.get("vector", ""))[:200],
                )
            )


def _carry_snapshots() -> None:
    bind = op.get_bind()
    images = sa.table(
        "images",
        sa.column("id"),
        sa.column("status"),
        sa.column("summary", sa.JSON),
        sa.column("db_built"),
        sa.column("analysed_at"),
    )
    snapshots = sa.table(
        "findings_snapshots",
        sa.column("image_id"),
        sa.column("event"),
        sa.column("db_built"),
        sa.column("images"),
        sa.column("created_at"),
        *(sa.column(s) for s in SEVERITIES),
    )
    rows = bind.execute(
        sa.select(images.c.id, images.c.summary, images.c.db_built, images.c.analysed_at)
        .where(images.c.status == "analysed", images.c.analysed_at.is_not(None))
        .order_by(images.c.analysed_at, images.c.id)
    ).all()
    current: dict[int, dict[str, int]] = {}
    for image_id, summary, db_built, when in rows:
        counts = {s: int((summary or {}).get(s, 0) or 0) for s in SEVERITIES}
        current[image_id] = counts
        common = {"event": "analysis", "db_built": db_built or "", "created_at": when}
        bind.execute(snapshots.insert().values(image_id=image_id, images=1, **common, **counts))
        totals = {s: sum(c[s] for c in current.values()) for s in SEVERITIES}
        bind.execute(
            snapshots.insert().values(image_id=None, images=len(current), **common, **totals)
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("image_vulns", schema=None) as batch_op:
        batch_op.drop_column("cvss_vector")
        batch_op.drop_column("cvss_score")
    with op.batch_alter_table("findings_snapshots", schema=None) as batch_op:
        batch_op.drop_index("ix_findings_snapshots_image")
    op.drop_table("findings_snapshots")
