"""Runtime audits (`sievert runtime audit --server`): stored with their containers, each linked
to the stored image it runs; listed and shown to readers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from sievert.service.deps import Analyst, Reader, ServicesDep, SessionDep, read_bounded
from sievert.service.fleet import (
    MAX_RESULT_BODY,
    container_filters,
    containers_of,
    parse_document,
    running,
    running_count,
    store_audit,
)
from sievert.service.fleet_schemas import (
    ContainerOut,
    RunningContainer,
    RuntimeAuditDetail,
    RuntimeAuditIn,
    RuntimeAuditOut,
)
from sievert.service.models import RuntimeAuditRecord
from sievert.service.paging import page_of
from sievert.service.schemas import Page

router = APIRouter(prefix="/v1/runtime", tags=["runtime"])
UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "description": "The document `sievert runtime audit -f json` prints (schemaVersion 1).",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


def _detail(record: RuntimeAuditRecord, session: Session) -> RuntimeAuditDetail:
    containers = [ContainerOut.model_validate(c) for c in containers_of(session, record.id)]
    base = RuntimeAuditOut.model_validate(record)
    return RuntimeAuditDetail(**base.model_dump(), containers=containers)


@router.post("/audits", status_code=201, openapi_extra=UPLOAD_DOC)
async def add_audit(
    request: Request, services: ServicesDep, principal: Analyst
) -> RuntimeAuditDetail:
    """Store a runtime audit: every container with its SV-RT findings, risk and image (linked
    to the stored image with its config digest or reference, when there is one)."""
    limit = min(services.settings.max_upload, MAX_RESULT_BODY)
    document = parse_document(await read_bounded(request, limit), RuntimeAuditIn)
    with services.db.session() as session:
        record = store_audit(session, document, principal.token_id)
        return _detail(record, session)


@router.get("/audits")
def list_audits(
    session: SessionDep,
    _: Reader,
    engine: Annotated[str, Query(max_length=500)] = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[RuntimeAuditOut]:
    """Runtime audits, newest first (optionally of one engine)."""
    where = [RuntimeAuditRecord.engine == engine] if engine else []
    newest_first = select(RuntimeAuditRecord).where(*where).order_by(RuntimeAuditRecord.id.desc())
    total, rows = page_of(session, newest_first, limit, offset)
    items = [RuntimeAuditOut.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/audits/{audit_id}")
def show_audit(audit_id: int, session: SessionDep, _: Reader) -> RuntimeAuditDetail:
    """A runtime audit with its containers, riskiest first."""
    record = session.get(RuntimeAuditRecord, audit_id)
    if record is None:
        raise HTTPException(404, f"no runtime audit {audit_id}")
    return _detail(record, session)


@router.get("/containers")
def list_containers(
    session: SessionDep,
    _: Reader,
    rule: Annotated[str, Query(pattern=r"^(|SV-RT-[0-9]{3})$")] = "",
    risk: Annotated[
        str, Query(pattern="^(|critical|high|medium|low|negligible|unknown|none)$")
    ] = "",
    image_id: Annotated[int | None, Query(ge=1)] = None,
    name: Annotated[str, Query(max_length=300)] = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[RunningContainer]:
    """The containers running now (the latest audit of each engine), by SV-RT rule, risk,
    stored image or name: e.g. every privileged container of the fleet (rule=SV-RT-001)."""
    where = container_filters(rule, risk, image_id, name)
    items = running(session, where, limit, offset)
    return Page(items=items, total=running_count(session, where), limit=limit, offset=offset)
