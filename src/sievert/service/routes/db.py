"""The vulnerability DB: status, triggered update (a job) and re-evaluation."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlalchemy import select

from sievert.service.dbidentity import db_built
from sievert.service.dbupdate import latest_update, request_update
from sievert.service.deps import Admin, Analyst, Reader, ServicesDep, SessionDep
from sievert.service.models import DbUpdate
from sievert.service.paging import page_of
from sievert.service.routes.images import Limit, Offset
from sievert.service.schemas import DbStatusOut, DbUpdateOut, Page

router = APIRouter(prefix="/v1/db", tags=["db"])


@router.get("")
def db_status(services: ServicesDep, session: SessionDep, _: Reader) -> DbStatusOut:
    """The vulnerability DB the service matches with and the latest triggered update."""
    latest = latest_update(session)
    settings = services.settings
    return DbStatusOut(
        built=db_built(settings),
        path=str(settings.vuln_db or ""),
        source="mirror" if settings.db_mirror else "upstream",
        update=DbUpdateOut.model_validate(latest) if latest is not None else None,
    )


@router.post("/update", status_code=202)
def update_db(services: ServicesDep, session: SessionDep, _: Admin) -> DbUpdateOut:
    """Run `db update` as a job (the configured mirror and sources); the update already queued
    or running is answered instead of a second one. Re-evaluation follows a new DB."""
    row, fresh = request_update(session)
    out = DbUpdateOut.model_validate(row)
    if fresh:
        services.tasks.enqueue_db_update(row.id)
    return out


@router.get("/updates")
def list_updates(
    session: SessionDep, _: Reader, limit: Limit = 20, offset: Offset = 0
) -> Page[DbUpdateOut]:
    """Triggered updates, newest first."""
    total, rows = page_of(session, select(DbUpdate).order_by(DbUpdate.id.desc()), limit, offset)
    items = [DbUpdateOut.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/updates/{update_id}")
def get_update(update_id: int, session: SessionDep, _: Reader) -> DbUpdateOut:
    """One triggered update."""
    row = session.get(DbUpdate, update_id)
    if row is None:
        raise HTTPException(404, f"no DB update {update_id}")
    return DbUpdateOut.model_validate(row)


@router.post("/reevaluate", status_code=202)
def reevaluate(services: ServicesDep, _: Analyst) -> dict[str, str]:
    """Match every stored inventory again with the current DB (no layer is read)."""
    services.tasks.enqueue_reevaluation()
    return {"status": "queued"}
