"""Sorting the UI's tables by their column headers: the SQL order of each column, and the
link each header offers (the other direction when it is the current sort)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import msgspec
from sqlalchemy import ColumnElement, case, func, select

from sievert.service.models import Certification, Image, ImagePackage, ImageVuln

ASC, DESC = "asc", "desc"
SEVERITY_VALUE = {"critical": 5, "high": 4, "medium": 3, "low": 2, "negligible": 1, "unknown": 0}
VERDICT_VALUE = {"stop": 3, "warn": 2, "error": 2, "go": 1}


def severity_value(column: Any) -> ColumnElement[int]:
    """critical 5 … unknown 0 (anything else ranks as unknown)."""
    return case(SEVERITY_VALUE, value=func.lower(column), else_=0)


class Column(msgspec.Struct, frozen=True):
    """A sortable column: its SQL expression and the direction of its first click."""

    label: str
    expression: Any
    first: str = DESC


def _latest_verdict() -> Any:
    latest = (
        select(Certification.verdict)
        .where(Certification.image_id == Image.id)
        .order_by(Certification.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(case(VERDICT_VALUE, value=latest, else_=0), 0)


def _highest() -> Any:
    worst = (
        select(func.max(severity_value(ImageVuln.severity)))
        .where(ImageVuln.image_id == Image.id)
        .scalar_subquery()
    )
    return func.coalesce(worst, -1)


def _kev() -> Any:
    return (
        select(func.count(ImageVuln.id))
        .where(ImageVuln.image_id == Image.id, ImageVuln.kev.is_(True))
        .scalar_subquery()
    )


IMAGE_COLUMNS: dict[str, Column] = {
    "newest": Column("Added", Image.id),
    "reference": Column("Repository", Image.reference, ASC),
    "verdict": Column("Verdict", _latest_verdict()),
    "highest": Column("Highest", _highest()),
    "vulns": Column("Findings", Image.vuln_count),
    "kev": Column("KEV", _kev()),
    "packages": Column("Packages", Image.package_count),
    "status": Column("Status", Image.status, ASC),
}
VULN_COLUMNS: dict[str, Column] = {
    "risk": Column("Risk", ImageVuln.position, ASC),
    "severity": Column("Severity", severity_value(ImageVuln.severity)),
    "id": Column("Vulnerability", ImageVuln.vuln_id, ASC),
    "package": Column("Package", ImageVuln.package_name, ASC),
    "cvss": Column("CVSS", func.coalesce(ImageVuln.cvss_score, -1.0)),
    "epss": Column("EPSS", func.coalesce(ImageVuln.epss, -1.0)),
    "kev": Column("KEV", ImageVuln.kev),
    "fix": Column("Fix", ImageVuln.fix_state, ASC),
    "layer": Column("Layer", ImageVuln.layer_index, ASC),
}
PACKAGE_COLUMNS: dict[str, Column] = {
    "found": Column("Found", ImagePackage.position, ASC),
    "name": Column("Name", ImagePackage.name, ASC),
    "version": Column("Version", ImagePackage.version, ASC),
    "type": Column("Type", ImagePackage.type, ASC),
    "layer": Column("Layer", ImagePackage.introduced_by, ASC),
}


def pattern(columns: dict[str, Column], *aliases: str) -> str:
    """The query-parameter pattern of a table's sort keys ("" allowed)."""
    return "^(|" + "|".join((*columns, *aliases)) + ")$"


class Sort(msgspec.Struct, frozen=True):
    """The current sort of a table: a column key and a direction."""

    columns: dict[str, Column]
    key: str
    direction: str

    @classmethod
    def of(cls, columns: dict[str, Column], key: str, direction: str, default: str) -> Sort:
        """The sort asked for (unknown keys fall back to the default, with its direction)."""
        key = key if key in columns else default
        return cls(columns, key, direction if direction in (ASC, DESC) else columns[key].first)

    def order_by(self, *tie: Any) -> list[Any]:
        """ORDER BY terms: the column in its direction, then the ties."""
        expression = self.columns[self.key].expression
        return [expression.asc() if self.direction == ASC else expression.desc(), *tie]

    def aria(self, key: str) -> str:
        """aria-sort of a header ("" when the table is not sorted by it)."""
        if key != self.key:
            return ""
        return "ascending" if self.direction == ASC else "descending"

    def next(self, key: str) -> dict[str, str]:
        """The sort a header's link asks for: the other direction when it is the current."""
        if key == self.key:
            return {"sort": key, "dir": DESC if self.direction == ASC else ASC}
        return {"sort": key, "dir": self.columns[key].first}

    def link(self, key: str, params: dict[str, str]) -> str:
        """The query string of a header's link: the other parameters and its sort."""
        return urlencode({**params, **self.next(key)})

    @property
    def label(self) -> str:
        """'CVSS, descending'."""
        return f"{self.columns[self.key].label}, {self.aria(self.key)}"
