"""Images: add (registry reference, archive upload, SBOM upload), list, inspect, re-analyse."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, HTTPException, Query, Request, Response
from sqlalchemy import Select, bindparam, delete, func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from sievert.errors import SievertError
from sievert.model.reference import parse_reference
from sievert.report.sbom_input import parse_sbom
from sievert.service.analysis import storage_temp
from sievert.service.deps import (
    Admin,
    Analyst,
    Reader,
    Services,
    ServicesDep,
    SessionDep,
    read,
)
from sievert.service.fleet import running_image
from sievert.service.image_query import APPROVING, ImageFilter, image_page
from sievert.service.models import (
    Certification,
    Image,
    ImageCheck,
    ImageLayer,
    ImagePackage,
    ImageReport,
    ImageVuln,
)
from sievert.service.schemas import (
    CheckOut,
    ImageAdd,
    ImageDetail,
    ImageOut,
    LayerOut,
    PackageFiles,
    PackageOut,
    Page,
    VulnOut,
)

router = APIRouter(prefix="/v1/images", tags=["images"])
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0)]
SEVERITIES = ("critical", "high", "medium", "low", "negligible", "unknown")
TAR_MAGIC_OFFSET = 257
CHUNK = 1024 * 1024


def approvals(session: Session, image_ids: list[int]) -> dict[int, bool]:
    """Whether each image's latest certification says go or warn (absent: never evaluated)."""
    if not image_ids:
        return {}
    latest = (
        select(func.max(Certification.id))
        .where(Certification.image_id.in_(image_ids))
        .group_by(Certification.image_id)
    )
    rows = session.execute(
        select(Certification.image_id, Certification.verdict).where(Certification.id.in_(latest))
    ).all()
    return {image_id: verdict in APPROVING for image_id, verdict in rows}


def image_out(image: Image, approved: bool | None) -> ImageOut:
    """The API view of an image row."""
    out = ImageOut.model_validate(image)
    out.approved = approved
    return out


def get_image(session: Session, image_id: int) -> Image:
    """The image, or 404."""
    image = session.get(Image, image_id)
    if image is None:
        raise HTTPException(404, f"no image {image_id}")
    return image


def queue(services: Services, session: Session, image: Image) -> None:
    """Commit the image row, then hand it to the task engine."""
    session.commit()
    services.tasks.enqueue_analysis(image.id)


@router.post("", status_code=202)
def add_image(body: ImageAdd, session: SessionDep, services: ServicesDep, _: Analyst) -> ImageOut:
    """Add an image by registry reference (credentials from the stored registry entries)."""
    try:
        ref = parse_reference(body.reference.strip())
    except (SievertError, ValueError) as exc:
        raise HTTPException(422, f"{body.reference!r} is not an image reference ({exc})") from exc
    reference = str(ref)
    if not body.force:
        existing = session.scalar(
            select(Image)
            .where(Image.reference == reference, Image.status != "failed")
            .where(Image.platform == body.platform)
            .order_by(Image.id.desc())
        )
        if existing is not None:
            return image_out(existing, approvals(session, [existing.id]).get(existing.id))
    image = Image(reference=reference, source="registry", platform=body.platform)
    session.add(image)
    queue(services, session, image)
    return image_out(image, None)


async def _receive(request: Request, services: Services, suffix: str) -> str:
    """Stream the request body to a file in the storage dir, bounded; its path."""
    limit = services.settings.max_upload
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > limit:
        raise HTTPException(413, f"the upload is larger than the {limit}-byte limit")
    fd, path = storage_temp(services.settings, suffix)
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise HTTPException(413, f"the upload is larger than the {limit}-byte limit")
                out.write(chunk)
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise
    if size == 0:
        Path(path).unlink(missing_ok=True)
        raise HTTPException(422, "the upload is empty")
    return path


def _is_tar(path: str) -> bool:
    with Path(path).open("rb") as stream:
        head = stream.read(512)
    return len(head) == 512 and head[TAR_MAGIC_OFFSET : TAR_MAGIC_OFFSET + 5] == b"ustar"


@router.post(
    "/archive",
    status_code=202,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/x-tar": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def upload_archive(
    request: Request,
    services: ServicesDep,
    _: Analyst,
    name: Annotated[str, Query(max_length=1000)] = "",
    platform: Annotated[str, Query(max_length=50)] = "linux/amd64",
) -> ImageOut:
    """Add an image by uploading a docker-archive (`docker save`) or OCI archive as the body."""
    path = await _receive(request, services, ".tar")
    if not await run_in_threadpool(_is_tar, path):
        Path(path).unlink(missing_ok=True)
        raise HTTPException(422, "the upload is not a tar archive (docker-archive or OCI archive)")
    with services.db.session() as session:
        image = Image(
            reference=name or "upload", source="archive", platform=platform, upload_path=path
        )
        session.add(image)
        queue(services, session, image)
        return image_out(image, None)


@router.post(
    "/sbom",
    status_code=202,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def upload_sbom(
    request: Request,
    services: ServicesDep,
    _: Analyst,
    name: Annotated[str, Query(max_length=1000)] = "",
) -> ImageOut:
    """Add an image by its SBOM (CycloneDX or SPDX JSON) as the body: matched, not walked."""
    path = await _receive(request, services, ".json")
    try:
        data = Path(path).read_bytes()
        inventory = await run_in_threadpool(parse_sbom, data, name or "the SBOM")
    except SievertError as exc:
        Path(path).unlink(missing_ok=True)
        raise HTTPException(422, str(exc)) from exc
    reference = name or inventory.image.reference or "sbom"
    with services.db.session() as session:
        image = Image(reference=reference, source="sbom", upload_path=path)
        session.add(image)
        queue(services, session, image)
        return image_out(image, None)


@router.get("", response_model=Page[ImageOut])
async def list_images(
    services: ServicesDep,
    _: Reader,
    status: Annotated[str, Query(pattern="^(|queued|analysing|analysed|failed)$")] = "",
    source: Annotated[str, Query(pattern="^(|registry|archive|sbom|client)$")] = "",
    reference: Annotated[str, Query(max_length=1000, description="substring")] = "",
    digest: Annotated[str, Query(max_length=100)] = "",
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    """Images, newest first, filtered by status, source, reference substring or digest."""
    wanted = ImageFilter(status=status, source=source, reference=reference, digest=digest)
    return await read(services, lambda session: image_page(session, wanted, limit, offset))


@router.get("/{image_id}")
def show_image(image_id: int, session: SessionDep, _: Reader) -> ImageDetail:
    """An image: status (queued, analysing, analysed, failed with the reason), layers, and the
    containers running it (latest runtime audit of each engine)."""
    image = get_image(session, image_id)
    layers = session.scalars(
        select(ImageLayer).where(ImageLayer.image_id == image_id).order_by(ImageLayer.position)
    ).all()
    out = image_out(image, approvals(session, [image_id]).get(image_id))
    return ImageDetail(
        **out.model_dump(),
        layers=[LayerOut.model_validate(row) for row in layers],
        containers=running_image(session, image),
    )


def _history(session: Session, image_id: int) -> dict[int, str]:
    rows = session.execute(
        select(ImageLayer.position, ImageLayer.created_by).where(ImageLayer.image_id == image_id)
    ).all()
    return {int(position): str(created_by) for position, created_by in rows}


@router.get("/{image_id}/packages")
def list_packages(
    image_id: int,
    session: SessionDep,
    _: Reader,
    name: Annotated[str, Query(max_length=500)] = "",
    type: Annotated[str, Query(max_length=50)] = "",
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[PackageOut]:
    """The image's packages, with the layer (and history line) that introduced each."""
    get_image(session, image_id)
    where = [ImagePackage.image_id == image_id]
    if name:
        where.append(ImagePackage.name == name)
    if type:
        where.append(ImagePackage.type == type)
    total = session.scalar(select(func.count(ImagePackage.id)).where(*where)) or 0
    rows = session.scalars(
        select(ImagePackage)
        .where(*where)
        .order_by(ImagePackage.position)
        .limit(limit)
        .offset(offset)
    ).all()
    history = _history(session, image_id)
    items = [_package_out(row, history) for row in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


def _package_out(row: ImagePackage, history: dict[int, str]) -> PackageOut:
    out = PackageOut.model_validate(row)
    out.introduced_by_created_by = history.get(row.introduced_by, "")
    return out


@router.get("/{image_id}/packages/{package_id}/files")
def package_files(image_id: int, package_id: int, session: SessionDep, _: Reader) -> PackageFiles:
    """The files of one package of the image."""
    row = session.get(ImagePackage, package_id)
    if row is None or row.image_id != image_id:
        raise HTTPException(404, f"image {image_id} has no package {package_id}")
    return PackageFiles(package=_package_out(row, _history(session, image_id)), files=row.files)


VULN_COLUMNS = tuple(
    getattr(ImageVuln, name) for name in VulnOut.model_fields if name != "layer_created_by"
)
"""The finding columns a `VulnOut` shows (read as plain rows, not ORM objects)."""
VULN_PAGE = Page[VulnOut]


@router.get("/{image_id}/vulnerabilities", response_model=Page[VulnOut])
async def list_vulnerabilities(
    image_id: int,
    services: ServicesDep,
    _: Reader,
    severity: Annotated[
        str, Query(pattern="^(|critical|high|medium|low|negligible|unknown)$")
    ] = "",
    fix_state: Annotated[str, Query(max_length=30)] = "",
    kev: bool | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """The image's vulnerabilities (riskiest first), each with the layer that brought it."""
    wanted = VulnFilter(severity, fix_state, kev)
    page = await read(services, lambda session: vuln_page(session, image_id, wanted, limit, offset))
    return Response(page.model_dump_json(), media_type="application/json")


class VulnFilter(msgspec.Struct, frozen=True):
    """Which of an image's findings a page shows (empty: any)."""

    severity: str = ""
    fix_state: str = ""
    kev: bool | None = None


@functools.cache
def _vuln_statements(severity: bool, fix_state: bool, kev: bool) -> tuple[Select[Any], Select[Any]]:
    """(the image's id and matching count, the page's rows) for the filters in use, built once
    with bound parameters: their compiled forms are cached, nothing is rebuilt per request."""
    where = [ImageVuln.image_id == bindparam("image_id")]
    if severity:
        where.append(func.lower(ImageVuln.severity) == bindparam("severity"))
    if fix_state:
        where.append(ImageVuln.fix_state == bindparam("fix_state"))
    if kev:
        where.append(ImageVuln.kev == bindparam("kev"))
    count = select(func.count(ImageVuln.id)).where(*where).scalar_subquery()
    head = select(Image.id, count).where(Image.id == bindparam("image_id"))
    created_by = (
        select(ImageLayer.created_by)
        .where(ImageLayer.image_id == ImageVuln.image_id)
        .where(ImageLayer.position == ImageVuln.layer_index)
        .order_by(ImageLayer.id.desc())
        .limit(1)
        .correlate(ImageVuln)
        .scalar_subquery()
    )
    rows = (
        select(*VULN_COLUMNS, func.coalesce(created_by, "").label("layer_created_by"))
        .where(*where)
        .order_by(ImageVuln.position)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return head, rows


def vuln_page(
    session: Session, image_id: int, wanted: VulnFilter, limit: int, offset: int
) -> Page[VulnOut]:
    """One page of an image's findings (404 when there is no such image), read as rows."""
    head, rows = _vuln_statements(
        bool(wanted.severity), bool(wanted.fix_state), wanted.kev is not None
    )
    params = {
        "image_id": image_id,
        "severity": wanted.severity,
        "fix_state": wanted.fix_state,
        "kev": wanted.kev,
        "limit": limit,
        "offset": offset,
    }
    connection = session.connection()
    found = connection.execute(head, params).first()
    if found is None:
        raise HTTPException(404, f"no image {image_id}")
    result = connection.execute(rows, params)
    keys = tuple(result.keys())
    items = [dict(zip(keys, row, strict=True)) for row in result]
    return VULN_PAGE.model_validate(
        {"items": items, "total": found[1] or 0, "limit": limit, "offset": offset}
    )


@router.get("/{image_id}/checks")
def list_checks(
    image_id: int,
    session: SessionDep,
    _: Reader,
    kind: Annotated[str, Query(pattern="^(|config|secret)$")] = "",
) -> list[CheckOut]:
    """Misconfiguration ('config') and secret findings (secrets redacted)."""
    get_image(session, image_id)
    query = select(ImageCheck).where(ImageCheck.image_id == image_id)
    if kind:
        query = query.where(ImageCheck.kind == kind)
    rows = session.scalars(query.order_by(ImageCheck.position)).all()
    return [CheckOut.model_validate(row) for row in rows]


@router.get("/{image_id}/report")
def image_report(image_id: int, session: SessionDep, _: Reader) -> dict[str, Any]:
    """The whole JSON scan document (as `sievert scan -f json` prints it)."""
    get_image(session, image_id)
    report = session.get(ImageReport, image_id)
    if report is None:
        raise HTTPException(409, f"image {image_id} is not analysed yet")
    return report.document


@router.post("/{image_id}/analyse", status_code=202)
def reanalyse(image_id: int, session: SessionDep, services: ServicesDep, _: Analyst) -> ImageOut:
    """Analyse a stored registry image again."""
    image = get_image(session, image_id)
    if image.source != "registry":
        raise HTTPException(409, "only registry images can be analysed again (upload it anew)")
    image.status = "queued"
    image.reason = ""
    queue(services, session, image)
    return image_out(image, approvals(session, [image_id]).get(image_id))


@router.delete("/{image_id}", status_code=204)
def delete_image(image_id: int, session: SessionDep, _: Admin) -> None:
    """Forget an image and everything stored about it."""
    image = get_image(session, image_id)
    for table in (ImageLayer, ImagePackage, ImageVuln, ImageCheck, ImageReport, Certification):
        session.execute(delete(table).where(table.image_id == image_id))
    if image.upload_path:
        Path(image.upload_path).unlink(missing_ok=True)
    session.delete(image)
