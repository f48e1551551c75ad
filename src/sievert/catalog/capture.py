"""What the single layer walk captures for a set of catalogers (and other scanners' extras)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import msgspec

from sievert.catalog.base import Cataloger
from sievert.catalog.distro import DISTRO_GLOBS
from sievert.source.capture import CaptureSpec, Extractor

WALK_VERSION = "2"
"""Bumped when what the layer walk records changes (part of the cache key)."""


class WalkExtras(msgspec.Struct, frozen=True):
    """What scanners other than the catalogers add to the single layer walk."""

    globs: tuple[str, ...] = ()
    extractors: tuple[Extractor, ...] = ()
    versions: tuple[str, ...] = ()
    """Names and versions of the scanners' rules: they change the capture spec's version."""


def capture_spec(
    catalogers: Sequence[Cataloger],
    extra: WalkExtras | None = None,
) -> CaptureSpec:
    """The files to capture for these catalogers (and scanners' extras), and a version naming
    that choice."""
    more = extra or WalkExtras()
    globs = tuple(sorted({*DISTRO_GLOBS, *(g for c in catalogers for g in c.globs), *more.globs}))
    extractors = (*(x for c in catalogers for x in extractors_of(c)), *more.extractors)
    names = sorted(f"{c.name}:{c.version}" for c in catalogers)
    extractor_names = sorted(f"{x.name}:{','.join(x.globs)}" for x in extractors)
    lines = [WALK_VERSION, *globs, *names, *extractor_names, *more.versions]
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return CaptureSpec(globs=globs, version=digest[:16], extractors=extractors)


def active_catalogers(catalogers: Sequence[Cataloger], source_kind: str) -> list[Cataloger]:
    """Catalogers for this kind of target: lockfile catalogers only for directories."""
    scope = "directory" if source_kind == "dir" else "image"
    return [c for c in catalogers if scope in getattr(c, "scopes", ("image", "directory"))]


def extractors_of(cataloger: Cataloger) -> tuple[Extractor, ...]:
    """A cataloger's extractors (optional attribute `extractors`)."""
    return tuple(getattr(cataloger, "extractors", ()))
