"""Packages found in an image and where they were found."""

from __future__ import annotations

import msgspec


class Location(msgspec.Struct, frozen=True):
    """A path in the squashed image and the layer that last wrote it (-1: unknown / not a layer)."""

    path: str
    layer_index: int = -1
    layer_digest: str = ""
    layer_diff_id: str = ""


class FileRecord(msgspec.Struct, frozen=True):
    """A regular file, link or directory of the squashed view, with the layer that wrote it."""

    path: str
    kind: str
    """'file', 'dir', 'symlink', 'hardlink', 'char', 'block', 'fifo'."""
    size: int = 0
    mode: int = 0
    uid: int = 0
    gid: int = 0
    link: str = ""
    layer_index: int = -1


class Package(msgspec.Struct, frozen=True):
    """One installed package (OS or language) with everything matching and SBOMs need."""

    name: str
    version: str
    type: str
    """Package type as in purls: 'deb', 'apk', 'rpm', 'pypi', 'npm', 'gem', 'maven', 'golang'."""
    purl: str
    cataloger: str
    locations: tuple[Location, ...] = ()
    arch: str = ""
    source_name: str = ""
    source_version: str = ""
    epoch: int | None = None
    release: str = ""
    licenses: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    """Paths the package owns, as its package database lists them."""
    introduced_by: int = -1
    """Index of the layer that introduced this package (-1 when not known)."""
    owner: str = ""
    """purl of the OS package owning this package's files, when one does (e.g. a gem of ruby3.1)."""
    metadata: tuple[tuple[str, str], ...] = ()
    """Further facts as (key, value) pairs: maintainer, modularity label, dev dependency..."""

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Identity of a package inside one image."""
        return (self.type, self.name, self.version, self.arch)

    def meta(self, key: str, default: str = "") -> str:
        """Value of one metadata key."""
        for name, value in self.metadata:
            if name == key:
                return value
        return default
