"""Health checks: the only routes without a token."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from sievert.service.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(services: ServicesDep) -> dict[str, str]:
    """The database answers."""
    with services.db.session() as session:
        session.execute(text("SELECT 1"))
    return {"status": "ready", "engine": services.tasks.name}
