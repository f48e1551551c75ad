"""What the UI pages show, read from the service's tables (paged and filtered in SQL)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select
from sqlalchemy.orm import Session, defer

from sievert.service import history as snapshots
from sievert.service.models import (
    Certification,
    Image,
    ImageCheck,
    ImageDiff,
    ImageLayer,
    ImagePackage,
    ImageVuln,
    Policy,
    PolicyAttachment,
)
from sievert.service.ui.sorting import (
    ASC,
    IMAGE_COLUMNS,
    VULN_COLUMNS,
    Sort,
)

NO_FILES = defer(ImagePackage.files)
"""A package's file list is never shown by the UI (and can be long): not loaded."""
PACKAGE_BRIEF = (
    ImagePackage.name,
    ImagePackage.version,
    ImagePackage.type,
    ImagePackage.introduced_by,
)
"""The package columns lists show (plain rows, no ORM objects: hundreds per page)."""
VULN_BRIEF = (
    ImageVuln.vuln_id,
    ImageVuln.severity,
    ImageVuln.package_name,
    ImageVuln.package_version,
    ImageVuln.package_type,
)
"""The finding columns lists show."""
SEVERITIES = ("critical", "high", "medium", "low", "negligible", "unknown")
VERDICTS = ("stop", "warn", "go")


def repository_of(reference: str) -> str:
    """The reference without its tag or digest."""
    name = reference.split("@", 1)[0]
    head, sep, tail = name.rpartition(":")
    return head if sep and "/" not in tail else name


def tag_of(reference: str) -> str:
    """The reference's tag ("" when it has none)."""
    name = reference.split("@", 1)[0]
    head, sep, tail = name.rpartition(":")
    return tail if sep and "/" not in tail and head else ""


def highest(summary: dict[str, int] | None) -> str:
    """The highest severity with a finding ("none" without findings)."""
    for severity in SEVERITIES:
        if (summary or {}).get(severity, 0):
            return severity
    return "none"


def _latest_certifications() -> Any:
    latest = select(func.max(Certification.id)).group_by(Certification.image_id)
    return select(Certification.image_id, Certification.verdict).where(Certification.id.in_(latest))


def verdicts(session: Session, image_ids: list[int] | None = None) -> dict[int, str]:
    """Each image's latest verdict (absent: never evaluated)."""
    query = _latest_certifications()
    if image_ids is not None:
        if not image_ids:
            return {}
        query = query.where(Certification.image_id.in_(image_ids))
    return {int(i): str(v) for i, v in session.execute(query).all()}


class ImageFilter(msgspec.Struct, frozen=True):
    """The Images table's filters, sort and page."""

    repository: str = ""
    tag: str = ""
    verdict: str = ""
    severity: str = ""
    kev: bool = False
    fix: bool = False
    sort: str = "newest"
    direction: str = ""
    page: int = 1
    per_page: int = 25

    def order(self) -> Sort:
        """The table's sort ("oldest" is the newest column ascending)."""
        if self.sort == "oldest":
            return Sort.of(IMAGE_COLUMNS, "newest", self.direction or ASC, "newest")
        return Sort.of(IMAGE_COLUMNS, self.sort, self.direction, "newest")

    def conditions(self) -> list[ColumnElement[bool]]:
        """The SQL conditions of the filters."""
        where: list[ColumnElement[bool]] = []
        if self.repository:
            where.append(Image.reference.contains(self.repository, autoescape=True))
        if self.tag:
            where.append(Image.reference.endswith(f":{self.tag}", autoescape=True))
        if self.verdict in VERDICTS:
            latest = _latest_certifications().subquery()
            where.append(
                Image.id.in_(select(latest.c.image_id).where(latest.c.verdict == self.verdict))
            )
        elif self.verdict == "none":
            where.append(not_(exists().where(Certification.image_id == Image.id)))
        if self.severity in SEVERITIES:
            where.append(_highest_is(self.severity))
        if self.kev:
            where.append(exists().where(ImageVuln.image_id == Image.id, ImageVuln.kev.is_(True)))
        if self.fix:
            where.append(
                exists().where(ImageVuln.image_id == Image.id, ImageVuln.fix_state == "fixed")
            )
        return where


def _has_severity(severity: str) -> ColumnElement[bool]:
    return exists().where(
        ImageVuln.image_id == Image.id, func.lower(ImageVuln.severity) == severity
    )


def _highest_is(severity: str) -> ColumnElement[bool]:
    higher = SEVERITIES[: SEVERITIES.index(severity)]
    return and_(_has_severity(severity), *(not_(_has_severity(s)) for s in higher))


class ImageRow(msgspec.Struct):
    """A row of the Images table."""

    image: Image
    verdict: str
    repository: str
    tag: str
    highest: str
    counts: list[tuple[str, int]]
    kev: int = 0


class ImagePage(msgspec.Struct):
    """One page of the Images table."""

    rows: list[ImageRow]
    total: int
    page: int
    pages: int


def list_images(session: Session, flt: ImageFilter) -> ImagePage:
    """A page of images matching the filter."""
    where = flt.conditions()
    total = session.scalar(select(func.count(Image.id)).where(*where)) or 0
    pages = max(1, -(-total // flt.per_page))
    page = min(max(1, flt.page), pages)
    images = session.scalars(
        select(Image)
        .where(*where)
        .order_by(*flt.order().order_by(Image.id.desc()))
        .limit(flt.per_page)
        .offset((page - 1) * flt.per_page)
    ).all()
    ids = [i.id for i in images]
    known = verdicts(session, ids)
    kev = kev_counts(session, ids)
    rows = [
        ImageRow(
            image=i,
            verdict=known.get(i.id, ""),
            repository=repository_of(i.reference),
            tag=tag_of(i.reference),
            highest=highest(i.summary),
            counts=[(s, int((i.summary or {}).get(s, 0))) for s in SEVERITIES],
            kev=kev.get(i.id, 0),
        )
        for i in images
    ]
    return ImagePage(rows, total, page, pages)


def kev_counts(session: Session, ids: list[int]) -> dict[int, int]:
    """Known-exploited findings per image."""
    if not ids:
        return {}
    rows = session.execute(
        select(ImageVuln.image_id, func.count(ImageVuln.id))
        .where(ImageVuln.image_id.in_(ids), ImageVuln.kev.is_(True))
        .group_by(ImageVuln.image_id)
    ).all()
    return {int(i): int(n) for i, n in rows}


class Overview(msgspec.Struct):
    """The Overview page's figures."""

    images: int
    by_status: dict[str, int]
    by_verdict: list[tuple[str, int]]
    by_highest: list[tuple[str, int]]
    at_risk: list[tuple[Image, float, str]]
    series: dict[str, list[Any]]
    policies: int
    notifications: list[tuple[ImageDiff, Image]]


def overview(session: Session) -> Overview:
    """Counts by verdict and highest severity, the riskiest images and findings over time."""
    images = session.scalars(select(Image).order_by(Image.id)).all()
    analysed = [i for i in images if i.status == "analysed"]
    known = verdicts(session)
    verdict_counts = Counter(known.get(i.id, "none") for i in analysed)
    highest_counts = Counter(highest(i.summary) for i in analysed)
    risk_rows = session.execute(
        select(ImageVuln.image_id, func.sum(ImageVuln.risk))
        .group_by(ImageVuln.image_id)
        .order_by(func.sum(ImageVuln.risk).desc())
        .limit(10)
    ).all()
    by_id = {i.id: i for i in images}
    at_risk = [
        (by_id[int(i)], float(r or 0), highest(by_id[int(i)].summary))
        for i, r in risk_rows
        if int(i) in by_id
    ]
    return Overview(
        images=len(images),
        by_status=dict(Counter(i.status for i in images)),
        by_verdict=[(v, verdict_counts.get(v, 0)) for v in (*VERDICTS, "none")],
        by_highest=[(s, highest_counts.get(s, 0)) for s in (*SEVERITIES, "none")],
        at_risk=at_risk,
        series=snapshots.series(snapshots.snapshots(session)),
        policies=session.scalar(select(func.count(func.distinct(Policy.name)))) or 0,
        notifications=recent_changes(session),
    )


def recent_changes(session: Session, limit: int = 10) -> list[tuple[ImageDiff, Image]]:
    """The latest stored changes of images' findings after DB updates, newest first."""
    rows = session.execute(
        select(ImageDiff, Image)
        .join(Image, Image.id == ImageDiff.image_id)
        .order_by(ImageDiff.id.desc())
        .limit(limit)
    ).all()
    return [(d, i) for d, i in rows]


class LayerView(msgspec.Struct):
    """A layer of the stack with what it introduced."""

    layer: ImageLayer
    packages: list[Any] = msgspec.field(default_factory=list)
    """Rows of PACKAGE_BRIEF."""
    vulns: int = 0


def layers(session: Session, image_id: int, contents: bool = True) -> list[LayerView]:
    """The image's layers, bottom first, with the packages and findings each introduced."""
    rows = session.scalars(
        select(ImageLayer).where(ImageLayer.image_id == image_id).order_by(ImageLayer.position)
    ).all()
    views = {row.position: LayerView(row) for row in rows}
    if not contents:
        return list(views.values())
    for package in session.execute(
        select(*PACKAGE_BRIEF).where(ImagePackage.image_id == image_id).order_by(ImagePackage.name)
    ):
        if package.introduced_by in views:
            views[package.introduced_by].packages.append(package)
    for position, count in session.execute(
        select(ImageVuln.layer_index, func.count(ImageVuln.id))
        .where(ImageVuln.image_id == image_id)
        .group_by(ImageVuln.layer_index)
    ).all():
        if int(position) in views:
            views[int(position)].vulns = int(count)
    return list(views.values())


def history(session: Session, image: Image, limit: int = 200) -> list[Certification]:
    """The image's newest certifications, newest first."""
    return list(
        session.scalars(
            select(Certification)
            .where(Certification.image_id == image.id)
            .order_by(Certification.id.desc())
            .limit(limit)
        ).all()
    )


PER_PAGE = 50
"""Rows per page of the image page's tables."""


class Paged(msgspec.Struct):
    """One page of a table: its rows, the total and the page numbers."""

    rows: list[Any]
    total: int
    page: int
    pages: int


def _page(total: int, page: int) -> tuple[int, int, int]:
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), pages)
    return page, pages, (page - 1) * PER_PAGE


class VulnFilter(msgspec.Struct, frozen=True):
    """The image page's findings filters and sort."""

    severity: str = ""
    kev: bool = False
    fix: bool = False
    query: str = ""
    sort: str = ""
    direction: str = ""

    def order(self) -> Sort:
        """The table's sort (riskiest first, as stored, by default)."""
        return Sort.of(VULN_COLUMNS, self.sort, self.direction, "risk")


def vulnerabilities(session: Session, image_id: int, flt: VulnFilter, page: int = 1) -> Paged:
    """A page of the image's findings (riskiest first, as stored, unless sorted)."""
    severity, kev, fix, query = flt.severity, flt.kev, flt.fix, flt.query
    where = [ImageVuln.image_id == image_id]
    if severity in SEVERITIES:
        where.append(func.lower(ImageVuln.severity) == severity)
    if kev:
        where.append(ImageVuln.kev.is_(True))
    if fix:
        where.append(ImageVuln.fix_state == "fixed")
    if query:
        where.append(
            or_(
                ImageVuln.vuln_id.contains(query, autoescape=True),
                ImageVuln.package_name.contains(query, autoescape=True),
            )
        )
    total = session.scalar(select(func.count(ImageVuln.id)).where(*where)) or 0
    page, pages, offset = _page(total, page)
    rows = session.scalars(
        select(ImageVuln)
        .where(*where)
        .order_by(*flt.order().order_by(ImageVuln.position))
        .limit(PER_PAGE)
        .offset(offset)
    ).all()
    return Paged(list(rows), total, page, pages)


def packages(
    session: Session, image_id: int, kind: str, query: str, order: Sort, page: int = 1
) -> Paged:
    """A page of the image's packages, filtered by type and a name substring."""
    where = [ImagePackage.image_id == image_id]
    if kind:
        where.append(ImagePackage.type == kind)
    if query:
        where.append(ImagePackage.name.contains(query, autoescape=True))
    total = session.scalar(select(func.count(ImagePackage.id)).where(*where)) or 0
    page, pages, offset = _page(total, page)
    rows = session.scalars(
        select(ImagePackage)
        .options(NO_FILES)
        .where(*where)
        .order_by(*order.order_by(ImagePackage.position))
        .limit(PER_PAGE)
        .offset(offset)
    ).all()
    return Paged(list(rows), total, page, pages)


def package_types(session: Session, image_id: int) -> list[tuple[str, int]]:
    """Package types of the image with their counts."""
    rows = session.execute(
        select(ImagePackage.type, func.count(ImagePackage.id))
        .where(ImagePackage.image_id == image_id)
        .group_by(ImagePackage.type)
        .order_by(ImagePackage.type)
    ).all()
    return [(str(t), int(n)) for t, n in rows]


def checks(session: Session, image_id: int) -> list[ImageCheck]:
    """Config and secret findings (secrets stored redacted)."""
    return list(
        session.scalars(
            select(ImageCheck).where(ImageCheck.image_id == image_id).order_by(ImageCheck.position)
        ).all()
    )


def same_repository(session: Session, image: Image) -> list[Image]:
    """Other analysed images of the image's repository (the compare choices)."""
    repository = repository_of(image.reference)
    rows = session.scalars(
        select(Image)
        .where(Image.reference.startswith(repository, autoescape=True))
        .where(Image.id != image.id, Image.status == "analysed")
        .order_by(Image.id.desc())
    ).all()
    return [r for r in rows if repository_of(r.reference) == repository]


class Comparison(msgspec.Struct):
    """What changed from one digest of a repository to another."""

    base: Image
    other: Image
    vulns_added: list[Any]
    """Rows of VULN_BRIEF."""
    vulns_fixed: list[Any]
    packages_added: list[Any]
    """Rows of PACKAGE_BRIEF."""
    packages_removed: list[Any]
    packages_changed: list[tuple[Any, Any]]


def compare(session: Session, base: Image, other: Image) -> Comparison:
    """Findings added and fixed, packages added, removed and changed, from base to other."""

    def vulns(image: Image) -> dict[tuple[str, str, str], Any]:
        rows = session.execute(select(*VULN_BRIEF).where(ImageVuln.image_id == image.id))
        return {(r.vuln_id, r.package_name, r.package_type): r for r in rows}

    def pkgs(image: Image) -> dict[tuple[str, str], Any]:
        rows = session.execute(select(*PACKAGE_BRIEF).where(ImagePackage.image_id == image.id))
        return {(r.type, r.name): r for r in rows}

    old_v, new_v = vulns(base), vulns(other)
    old_p, new_p = pkgs(base), pkgs(other)
    return Comparison(
        base=base,
        other=other,
        vulns_added=[new_v[k] for k in sorted(new_v.keys() - old_v.keys())],
        vulns_fixed=[old_v[k] for k in sorted(old_v.keys() - new_v.keys())],
        packages_added=[new_p[k] for k in sorted(new_p.keys() - old_p.keys())],
        packages_removed=[old_p[k] for k in sorted(old_p.keys() - new_p.keys())],
        packages_changed=[
            (old_p[k], new_p[k])
            for k in sorted(old_p.keys() & new_p.keys())
            if old_p[k].version != new_p[k].version
        ],
    )


def affected_images(session: Session, vuln_id: str) -> list[tuple[ImageVuln, Image]]:
    """Every stored finding of this vulnerability with its image."""
    rows = session.execute(
        select(ImageVuln, Image)
        .join(Image, Image.id == ImageVuln.image_id)
        .where(ImageVuln.vuln_id == vuln_id)
        .order_by(Image.reference, ImageVuln.package_name)
    ).all()
    return [(v, i) for v, i in rows]


class SearchResult(msgspec.Struct):
    """Images, packages and vulnerabilities matching a search."""

    images: list[Image]
    packages: list[tuple[str, str, str, int, Image]]
    vulns: list[tuple[str, int]]


def search(session: Session, text: str, limit: int = 50) -> SearchResult:
    """Images by reference or digest, packages by name, vulnerabilities by id."""
    images = session.scalars(
        select(Image)
        .where(
            or_(
                Image.reference.contains(text, autoescape=True),
                Image.manifest_digest.startswith(text, autoescape=True),
            )
        )
        .order_by(Image.id.desc())
        .limit(limit)
    ).all()
    package_rows = session.execute(
        select(ImagePackage.name, ImagePackage.version, ImagePackage.type, Image)
        .join(Image, Image.id == ImagePackage.image_id)
        .where(ImagePackage.name.contains(text, autoescape=True))
        .order_by(ImagePackage.name, Image.reference)
        .limit(limit)
    ).all()
    vuln_rows = session.execute(
        select(ImageVuln.vuln_id, func.count(func.distinct(ImageVuln.image_id)))
        .where(func.lower(ImageVuln.vuln_id).contains(text.lower(), autoescape=True))
        .group_by(ImageVuln.vuln_id)
        .order_by(ImageVuln.vuln_id)
        .limit(limit)
    ).all()
    return SearchResult(
        images=list(images),
        packages=[(str(n), str(v), str(t), 0, i) for n, v, t, i in package_rows],
        vulns=[(str(v), int(c)) for v, c in vuln_rows],
    )


def policies(session: Session) -> list[Policy]:
    """The newest version of every policy."""
    latest = select(func.max(Policy.id)).group_by(Policy.name)
    return list(session.scalars(select(Policy).where(Policy.id.in_(latest)).order_by(Policy.name)))


def policy_versions(session: Session, name: str) -> list[Policy]:
    """Every version of a policy, newest first."""
    return list(
        session.scalars(
            select(Policy).where(Policy.name == name).order_by(Policy.version.desc())
        ).all()
    )


def attachments(session: Session) -> list[PolicyAttachment]:
    """Policy attachments by image reference pattern."""
    return list(session.scalars(select(PolicyAttachment).order_by(PolicyAttachment.pattern)))
