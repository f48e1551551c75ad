"""Harbor's Pluggable Scanner API v1.2 under /harbor/api/v1 (register http://HOST:PORT/harbor
in Harbor with "Bearer" authorization and an analyst token)."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Header, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from sievert import vulndb
from sievert.errors import SievertError
from sievert.service import harbor
from sievert.service.deps import (
    Analyst,
    Reader,
    Services,
    ServicesDep,
    SessionDep,
    read,
    read_bounded,
)
from sievert.service.models import HarborScan, Image, ImageReport
from sievert.service.routes.images import queue

router = APIRouter(prefix="/harbor/api/v1", tags=["harbor"])
MAX_REQUEST = 64 * 1024


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message}}, status_code=status, media_type=harbor.ERROR_TYPE
    )


@router.get("/metadata")
def harbor_metadata(services: ServicesDep, _: Reader) -> Response:
    """The scanner's name, version, capabilities and database age."""
    try:
        with vulndb.open(services.settings.vuln_db) as db:
            built = db.status().built_at
    except SievertError:
        built = ""
    body = json.dumps(harbor.metadata(built))
    return Response(body, media_type=harbor.METADATA_TYPE)


@router.post("/scan", status_code=202)
async def harbor_scan(
    request: Request, services: ServicesDep, session: SessionDep, _: Analyst
) -> Response:
    """Accept a scan request at once (202 with its id); the analysis runs as a job."""
    try:
        body = await read_bounded(request, MAX_REQUEST)
    except HTTPException as exc:
        return _error(exc.status_code, str(exc.detail))
    try:
        reference, authorization, plain_http, artifact = harbor.parse_scan_request(body)
    except harbor.HarborRequestError as exc:
        return _error(exc.status, str(exc))
    image = session.scalar(
        select(Image)
        .where(Image.reference == reference, Image.status != "failed")
        .order_by(Image.id.desc())
        .limit(1)
    )
    fresh = image is None
    if image is None:
        secret = json.dumps({"authorization": authorization, "insecure": plain_http})
        image = Image(
            reference=reference, source="registry", pull_auth=services.cipher.encrypt(secret)
        )
        session.add(image)
        session.flush()
    scan = HarborScan(id=str(uuid.uuid4()), image_id=image.id, artifact=artifact)
    session.add(scan)
    if fresh:
        queue(services, session, image)
    return Response(
        json.dumps({"id": scan.id}), status_code=202, media_type=harbor.SCAN_RESPONSE_TYPE
    )


@router.get("/scan/{scan_request_id}/report")
async def harbor_report(
    scan_request_id: str,
    services: ServicesDep,
    _: Reader,
    accept: Annotated[str, Header()] = "",
    sbom_media_type: Annotated[str, Query()] = "",
) -> Response:
    """The report (200), not ready yet (302 with Refresh-After and Retry-After), failed (500)."""
    kind, refused = "", None
    try:
        kind = harbor.report_kind(accept, sbom_media_type)
    except harbor.HarborRequestError as exc:
        refused = exc
    request = _ReportRequest(scan_request_id, kind, accept, sbom_media_type, refused)
    return await read(services, lambda session: _answer_report(session, services, request))


class _ReportRequest(msgspec.Struct, frozen=True):
    scan_id: str
    kind: str
    accept: str
    sbom_media_type: str
    refused: harbor.HarborRequestError | None


_SCAN_ROW = (
    select(
        HarborScan.id,
        HarborScan.artifact,
        Image.id.label("image_id"),
        Image.status,
        Image.reason,
        Image.updated_at,
        Image.db_built,
    )
    .outerjoin(Image, Image.id == HarborScan.image_id)
    .where(HarborScan.id == bindparam("scan_id"))
)
"""A scan request and the state of its image, in one statement built once."""
_REPORT = select(ImageReport.document).where(ImageReport.image_id == bindparam("image_id"))


def _answer_report(session: Session, services: Services, request: _ReportRequest) -> Response:
    connection = session.connection()  # Core execution: plain rows need no ORM step
    scan = connection.execute(_SCAN_ROW, {"scan_id": request.scan_id}).first()
    if scan is None:
        return _error(404, f"no scan request {request.scan_id}")
    if request.refused is not None:
        return _error(request.refused.status, str(request.refused))
    if scan.image_id is None:
        return _error(404, f"the image of scan request {request.scan_id} was deleted")
    if scan.status in ("queued", "analysing"):
        wait = str(services.settings.harbor_refresh)
        return Response(status_code=302, headers={"Refresh-After": wait, "Retry-After": wait})
    if scan.status == "failed":
        return _error(500, f"the scan failed: {scan.reason}")
    key = (scan.id, str(scan.image_id), str(scan.updated_at), scan.db_built, request.kind,
           harbor.normalise_mime(request.accept), request.sbom_media_type)  # fmt: skip
    cached = services.harbor_reports.get(key)
    if cached is not None:
        return Response(cached[0], media_type=cached[1])
    document = connection.scalar(_REPORT, {"image_id": scan.image_id})
    if document is None:
        return _error(500, "the analysis result is missing")
    answer = _report(request.kind, request.accept, document, scan.artifact, request.sbom_media_type)
    if answer.status_code == 200 and answer.media_type:
        services.harbor_reports.put(key, bytes(answer.body), answer.media_type)
    return answer


def _report(
    kind: str, accept: str, document: dict[str, Any], artifact: dict[str, Any], sbom_type: str
) -> Response:
    if kind == "raw":
        return Response(json.dumps(document), media_type=harbor.RAW_REPORT)
    try:
        if kind == "sbom":
            body = harbor.sbom_report(document, artifact, sbom_type)
            return Response(json.dumps(body), media_type=harbor.SBOM_REPORT)
    except harbor.HarborRequestError as exc:
        return _error(exc.status, str(exc))
    body = harbor.vulnerability_report(document, artifact)
    media = (
        harbor.VULN_REPORT_1_1
        if harbor.normalise_mime(accept) == harbor.normalise_mime(harbor.VULN_REPORT_1_1)
        else harbor.VULN_REPORT_1_0
    )
    return Response(json.dumps(body), media_type=media)
