"""Findings by severity over time: the fleet's or one image's snapshots (the UI's charts)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from sievert.service import history
from sievert.service.deps import Reader, SessionDep
from sievert.service.routes.images import get_image

router = APIRouter(tags=["history"])


class SnapshotOut(BaseModel):
    """Findings by severity after one analysis or one re-match after a DB update."""

    model_config = ConfigDict(from_attributes=True)
    created_at: datetime
    event: str
    """'analysis' or 'db-update'."""
    db_built: str
    images: int
    """Images counted (1 for an image's own history)."""
    critical: int
    high: int
    medium: int
    low: int
    negligible: int
    unknown: int


@router.get("/v1/findings/history")
def findings_history(
    session: SessionDep,
    _: Reader,
    image_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=history.MAX_POINTS)] = history.MAX_POINTS,
) -> list[SnapshotOut]:
    """The newest snapshots, oldest first: the fleet's totals, or one image's findings."""
    if image_id is not None:
        get_image(session, image_id)
    rows = history.snapshots(session, image_id, limit)
    return [SnapshotOut.model_validate(r) for r in rows]
