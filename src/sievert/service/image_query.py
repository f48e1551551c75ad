"""Pages of stored images (`/v1/images`, the fleet queries): the filters, and statements built
once per filter shape with bound parameters, so a request compiles and adapts nothing."""

from __future__ import annotations

import functools
from typing import Any

import msgspec
from fastapi import Response
from msgspec.structs import fields
from sqlalchemy import ColumnElement, Select, bindparam, func, select
from sqlalchemy.orm import Session

from sievert.service.models import Certification, Image, ImagePackage, ImageVuln
from sievert.service.schemas import ImageOut, Page

APPROVING = ("go", "warn")
"""The verdicts under which an image is approved."""
IMAGE_COLUMNS = tuple(getattr(Image, name) for name in ImageOut.model_fields if name != "approved")
"""The image columns an `ImageOut` shows (read as plain rows, not ORM objects)."""
IMAGE_PAGE = Page[ImageOut]
LATEST_VERDICT = (
    select(Certification.verdict)
    .where(Certification.image_id == Image.id)
    .order_by(Certification.id.desc())
    .limit(1)
    .correlate(Image)
    .scalar_subquery()
    .label("latest_verdict")
)
"""The image's latest certification verdict, in the page's own query: the (image_id, id) index
answers it per row."""
LIKE_ESCAPE = "/"


class ImageFilter(msgspec.Struct, frozen=True):
    """Which stored images a page lists (an empty field: any)."""

    status: str = ""
    source: str = ""
    reference: str = ""
    """A substring of the reference."""
    digest: str = ""
    vuln_id: str = ""
    """Images affected by this vulnerability."""
    package: str = ""
    """Images holding a package of this name (of `package_version` and `package_type` when
    given)."""
    package_version: str = ""
    package_type: str = ""

    def used(self) -> tuple[str, ...]:
        """The names of the fields in use (the statements' shape)."""
        return tuple(f.name for f in fields(self) if getattr(self, f.name))

    def params(self) -> dict[str, str]:
        """The bound values of the fields in use."""
        values = {name: getattr(self, name) for name in self.used()}
        if self.reference:
            values["reference"] = f"%{like_escaped(self.reference)}%"
        return values


def like_escaped(text: str) -> str:
    """The text matched literally inside a LIKE pattern (escape character `/`)."""
    for char in (LIKE_ESCAPE, "%", "_"):
        text = text.replace(char, LIKE_ESCAPE + char)
    return text


def _conditions(used: tuple[str, ...]) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    for name, column in (
        ("status", Image.status),
        ("source", Image.source),
        ("digest", Image.manifest_digest),
    ):
        if name in used:
            where.append(column == bindparam(name))
    if "reference" in used:
        where.append(Image.reference.like(bindparam("reference"), escape=LIKE_ESCAPE))
    if "vuln_id" in used:
        affected = select(ImageVuln.image_id).where(ImageVuln.vuln_id == bindparam("vuln_id"))
        where.append(Image.id.in_(affected.distinct()))
    if "package" in used:
        holding = select(ImagePackage.image_id).where(ImagePackage.name == bindparam("package"))
        if "package_version" in used:
            holding = holding.where(ImagePackage.version == bindparam("package_version"))
        if "package_type" in used:
            holding = holding.where(ImagePackage.type == bindparam("package_type"))
        where.append(Image.id.in_(holding.distinct()))
    return where


@functools.cache
def _statements(used: tuple[str, ...]) -> tuple[Select[Any], Select[Any]]:
    """(the count, the page's rows) for one filter shape, built once."""
    where = _conditions(used)
    count = select(func.count(Image.id)).where(*where)
    rows = (
        select(*IMAGE_COLUMNS, LATEST_VERDICT)
        .where(*where)
        .order_by(Image.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return count, rows


def image_page(session: Session, wanted: ImageFilter, limit: int, offset: int) -> Response:
    """One page of `ImageOut` (newest first) as JSON: the columns and the latest verdict read
    as plain rows in one query, validated once."""
    count, rows = _statements(wanted.used())
    params: dict[str, Any] = {**wanted.params(), "limit": limit, "offset": offset}
    connection = session.connection()  # Core execution: plain rows need no ORM step
    total = connection.scalar(count, params) or 0
    result = connection.execute(rows, params)
    keys = tuple(result.keys())
    items = []
    for row in result:
        item = dict(zip(keys, row, strict=True))
        verdict = item.pop("latest_verdict")
        item["approved"] = None if verdict is None else verdict in APPROVING
        items.append(item)
    page = IMAGE_PAGE.model_validate(
        {"items": items, "total": total, "limit": limit, "offset": offset}
    )
    return Response(page.model_dump_json(), media_type="application/json")
