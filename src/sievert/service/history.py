"""Findings by severity over time: a snapshot per image and of the fleet after every analysis
and every re-match after a vulnerability DB update (what the Overview chart draws)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sievert.model.finding import ScanResult
from sievert.service.models import FindingsSnapshot, Image

SEVERITIES = ("critical", "high", "medium", "low", "negligible", "unknown")
ANALYSIS = "analysis"
DB_UPDATE = "db-update"
MAX_POINTS = 500
"""Newest snapshots drawn or returned at most."""
FLEET_SNAPSHOT_LOCK = 7316004
"""The advisory lock key fleet snapshots take on PostgreSQL (7316001-3 are the migrations',
the task schema's and the DB update's)."""


def _counts(summary: dict[str, int] | None) -> dict[str, int]:
    return {s: int((summary or {}).get(s, 0) or 0) for s in SEVERITIES}


def record_image(session: Session, image: Image, event: str) -> FindingsSnapshot:
    """Store the image's current findings by severity."""
    row = FindingsSnapshot(
        image_id=image.id, event=event, db_built=image.db_built, images=1, **_counts(image.summary)
    )
    session.add(row)
    return row


def record_fleet(session: Session, event: str, db_built: str) -> FindingsSnapshot:
    """Store the totals of every analysed image's current findings by severity.

    On PostgreSQL, fleet snapshots are taken one at a time: a transaction-scoped advisory lock,
    held until the storing transaction commits, makes a second worker's snapshot wait and then
    count the first one's image (each statement sees what was committed before it began).
    SQLite needs none: the writing transaction already holds the only write lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(FLEET_SNAPSHOT_LOCK)))
    totals = dict.fromkeys(SEVERITIES, 0)
    images = 0
    for summary in session.scalars(select(Image.summary).where(Image.status == "analysed")):
        images += 1
        for severity, n in _counts(summary).items():
            totals[severity] += n
    row = FindingsSnapshot(image_id=None, event=event, db_built=db_built, images=images, **totals)
    session.add(row)
    return row


def after_analysis(session: Session, image: Image, result: ScanResult) -> None:
    """An analysis hook: the image's snapshot and the fleet's, in the storing transaction."""
    record_image(session, image, ANALYSIS)
    record_fleet(session, ANALYSIS, result.db_built)


def snapshots(
    session: Session, image_id: int | None = None, limit: int = MAX_POINTS
) -> list[FindingsSnapshot]:
    """The newest snapshots of an image (or of the fleet, image_id None), oldest first."""
    owner = (
        FindingsSnapshot.image_id.is_(None)
        if image_id is None
        else FindingsSnapshot.image_id == image_id
    )
    rows = session.scalars(
        select(FindingsSnapshot).where(owner).order_by(FindingsSnapshot.id.desc()).limit(limit)
    ).all()
    return list(reversed(rows))


def series(rows: list[FindingsSnapshot]) -> dict[str, list[Any]]:
    """Columns for the chart: unix times, one list per severity, the events and DB builds."""
    data: dict[str, list[Any]] = {"t": [], **{s: [] for s in SEVERITIES}, "event": [], "db": []}
    for row in rows:
        data["t"].append(round(_aware(row.created_at).timestamp(), 3))
        for severity in SEVERITIES:
            data[severity].append(int(getattr(row, severity)))
        data["event"].append(row.event)
        data["db"].append(row.db_built)
    return data


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)
