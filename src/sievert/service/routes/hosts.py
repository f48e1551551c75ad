"""Host scans (`sievert host scan --server`): each host's report stored; listed and shown to
readers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from sqlalchemy import select

from sievert.service.deps import Analyst, Reader, ServicesDep, SessionDep, read_bounded
from sievert.service.fleet import MAX_RESULT_BODY, parse_document, store_hosts
from sievert.service.fleet_schemas import HostDetail, HostOut, HostScanIn
from sievert.service.models import HostRecord
from sievert.service.paging import page_of
from sievert.service.schemas import Page

router = APIRouter(prefix="/v1/hosts", tags=["hosts"])
UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "description": "The document `sievert host scan -f json` prints (schemaVersion 1).",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


@router.post("", status_code=201, openapi_extra=UPLOAD_DOC)
async def add_hosts(request: Request, services: ServicesDep, principal: Analyst) -> list[HostOut]:
    """Store a host scan: one report per host (an unreachable host is stored with its error)."""
    limit = min(services.settings.max_upload, MAX_RESULT_BODY)
    document = parse_document(await read_bounded(request, limit), HostScanIn)
    with services.db.session() as session:
        rows = store_hosts(session, document, principal.token_id)
        return [HostOut.model_validate(r) for r in rows]


@router.get("")
def list_hosts(
    session: SessionDep,
    _: Reader,
    name: Annotated[str, Query(max_length=300)] = "",
    reboot_required: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[HostOut]:
    """Host reports, newest first, by host name or reboot state."""
    where = []
    if name:
        where.append(HostRecord.name == name)
    if reboot_required is not None:
        where.append(HostRecord.reboot_required == reboot_required)
    newest_first = select(HostRecord).where(*where).order_by(HostRecord.id.desc())
    total, rows = page_of(session, newest_first, limit, offset)
    return Page(
        items=[HostOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/{report_id}")
def show_host(report_id: int, session: SessionDep, _: Reader) -> HostDetail:
    """A host report with its findings (running-kernel ones marked, escape evidence given)."""
    row = session.get(HostRecord, report_id)
    if row is None:
        raise HTTPException(404, f"no host report {report_id}")
    return HostDetail.model_validate(row)
