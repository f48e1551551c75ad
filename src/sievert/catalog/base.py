"""What a cataloger is: the globs it needs and a pure function from a file view to packages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import msgspec

from sievert.model import Distro, Notice, Package
from sievert.source.view import FileView


class CatalogContext(msgspec.Struct, frozen=True):
    """What a cataloger may know besides the files: the detected distro."""

    distro: Distro | None = None


class CatalogResult(msgspec.Struct, frozen=True):
    """Packages found by one cataloger, and notices for what it could not read."""

    packages: tuple[Package, ...] = ()
    notices: tuple[Notice, ...] = ()


class ParseResult(msgspec.Struct, frozen=True):
    """What a pure `parse_<format>()` function returns."""

    packages: list[Package] = msgspec.field(default_factory=list)
    notices: list[Notice] = msgspec.field(default_factory=list)


class Cataloger(Protocol):
    """A plug-in that turns captured files into packages."""

    name: str
    """Stable id, e.g. 'dpkg-db'."""
    version: str
    """Bumped when what it captures or how it parses changes (part of the cache key)."""
    globs: Sequence[str]
    """Paths it needs, as globs without a leading '/' (`**` spans directories).

    A cataloger may also have `extractors: tuple[sievert.source.base.Extractor, ...]`: functions
    the walk runs on matching files (e.g. every executable) to keep only a small summary, read back
    with `view.extracted(name)`. The pipeline reads it with getattr, so it is optional.

    Likewise optional: `scopes` (('image', 'directory') when absent) and `declared: bool`, set by
    catalogers of what a project declares (lockfiles, manifests); in an image, installed data
    supersedes them (`sievert.catalog.declared.prefer_installed`).
    """

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """Find packages in the view; never raises for bad file content (notices instead)."""
        ...
