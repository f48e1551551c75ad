"""Queries in the spirit of Vulners: a vulnerability by id, vulnerabilities of a package version,
and which stored images contain a package or are affected by a vulnerability."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sievert import vulndb
from sievert.errors import SievertError
from sievert.report.vulntext import exploitation_json, statement_json, vulnerability_json
from sievert.service.deps import Reader, ServicesDep, SessionDep, read
from sievert.service.image_query import ImageFilter, image_page
from sievert.service.models import ImageVuln
from sievert.service.routes.images import Limit, Offset
from sievert.service.schemas import ImageOut, Page
from sievert.service.settings import Settings

router = APIRouter(tags=["queries"])
VulnId = Annotated[str, Query(max_length=100)]


@contextmanager
def open_vulndb(settings: Settings) -> Iterator[vulndb.VulnDB]:
    """The vulnerability DB for one request; 503 when there is none yet."""
    try:
        db = vulndb.open(settings.vuln_db)
    except SievertError as exc:
        raise HTTPException(503, f"no vulnerability database: {exc}") from exc
    with db:
        yield db


@router.get("/v1/vulnerabilities/{vuln_id}")
def show_vulnerability(
    vuln_id: str, services: ServicesDep, session: SessionDep, _: Reader
) -> dict[str, Any]:
    """Everything known about a vulnerability: CVSS explained, KEV, EPSS, exploits, affected
    packages, and how many stored images it affects."""
    with open_vulndb(services.settings) as db:
        record = db.get(vuln_id)
        if record is None:
            raise HTTPException(404, f"{vuln_id} is not in the vulnerability database")
        statements = db.statements(vuln_id)
    document = vulnerability_json(record, statements)
    document["exploitation"] = exploitation_json(record)
    document["stored_images"] = _affected_count(session, [vuln_id, *record.aliases])
    return document


def _affected_count(session: Session, ids: list[str]) -> int:
    return (
        session.scalar(
            select(func.count(func.distinct(ImageVuln.image_id))).where(ImageVuln.vuln_id.in_(ids))
        )
        or 0
    )


@router.get("/v1/vulnerabilities")
def search_vulnerabilities(
    services: ServicesDep,
    _: Reader,
    package: Annotated[str, Query(min_length=1, max_length=500)],
    version: Annotated[str, Query(max_length=200)] = "",
    ecosystem: Annotated[str, Query(max_length=50, examples=["PyPI", "npm", "Go"])] = "",
    distro: Annotated[str, Query(max_length=100, examples=["debian:bookworm"])] = "",
    limit: Limit = 100,
) -> list[dict[str, Any]]:
    """Vulnerabilities (and their exploitation) of a package name, and version when given, in an
    ecosystem or distro."""
    with open_vulndb(services.settings) as db:
        statements = db.search(
            package, version or None, ecosystem=ecosystem or None, distro=distro or None
        )[:limit]
        answers = []
        for statement in statements:
            record = db.get(statement.vuln_id)
            answer = statement_json(statement)
            answer["summary"] = record.summary if record else ""
            answer["exploitation"] = exploitation_json(record) if record else None
            answers.append(answer)
    return answers


@router.get("/v1/vulnerabilities/{vuln_id}/images", response_model=Page[ImageOut])
async def images_affected(
    vuln_id: str, services: ServicesDep, _: Reader, limit: Limit = 50, offset: Offset = 0
) -> Response:
    """Stored images affected by a vulnerability."""
    wanted = ImageFilter(vuln_id=vuln_id)
    return await read(services, lambda session: image_page(session, wanted, limit, offset))


@router.get("/v1/packages/images", response_model=Page[ImageOut])
async def images_with_package(
    services: ServicesDep,
    _: Reader,
    name: Annotated[str, Query(min_length=1, max_length=500)],
    version: Annotated[str, Query(max_length=200)] = "",
    type: Annotated[str, Query(max_length=50, examples=["deb", "pypi"])] = "",
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    """Stored images containing a package (of a version and type when given)."""
    wanted = ImageFilter(package=name, package_version=version, package_type=type)
    return await read(services, lambda session: image_page(session, wanted, limit, offset))
