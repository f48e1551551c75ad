"""What predicates read besides the subject: the scan result, the clock and the base image."""

from __future__ import annotations

import datetime as dt

import msgspec

from sievert.model.checks import CheckFinding
from sievert.model.finding import Finding, ScanResult
from sievert.model.package import Package
from sievert.model.runtime import ContainerConfig


class BaseImage(msgspec.Struct, frozen=True):
    """The image this one was built on, and how many of its first layers came from it."""

    reference: str
    digest: str = ""
    layers: int = -1
    """Leading layers that belong to the base image; -1 when not known."""
    method: str = ""
    """'layers' (diff_id match), 'dockerfile' or 'annotation'."""


class Context(msgspec.Struct, frozen=True):
    """The facts a rule is evaluated against."""

    result: ScanResult
    now: dt.date
    image_ref: str
    base: BaseImage | None = None
    container: ContainerConfig | None = None
    """The running container, in a runtime audit."""
    runtime: tuple[CheckFinding, ...] = ()
    """The container's runtime findings (SV-RT-*), in a runtime audit."""


def package_of(subject: object) -> Package | None:
    """The package a vulnerability finding or a package subject is about."""
    if isinstance(subject, Finding):
        return subject.package
    return subject if isinstance(subject, Package) else None


def parse_day(text: str) -> dt.date | None:
    """The date part of an ISO date or timestamp ('2024-01-30T14:15:08Z'), None if unparsable."""
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def layer_origin(context: Context, package: Package) -> str:
    """'base', 'own', or '' when the base layers or the introducing layer are unknown."""
    base = context.base
    if base is None or base.layers < 0 or package.introduced_by < 0:
        return ""
    return "base" if package.introduced_by < base.layers else "own"
