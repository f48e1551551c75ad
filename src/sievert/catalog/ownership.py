"""Which OS package owns a language package's files, and the `--pkg-types` selection."""

from __future__ import annotations

from collections.abc import Sequence

from msgspec.structs import replace

from sievert.model import Package

OS_TYPES = frozenset({"deb", "apk", "rpm"})
UNPACKAGED_CATALOGER = "binary-version"


def assign_owners(packages: Sequence[Package]) -> tuple[Package, ...]:
    """Mark language packages whose files an OS package owns; drop owned unpackaged binaries."""
    owners: dict[str, str] = {}
    for package in packages:
        if package.type in OS_TYPES:
            for path in package.files:
                owners.setdefault(path, package.purl)
    result: list[Package] = []
    for package in packages:
        owner = "" if package.type in OS_TYPES else _owner(package, owners)
        if owner and package.cataloger == UNPACKAGED_CATALOGER:
            continue
        result.append(replace(package, owner=owner) if owner else package)
    return tuple(result)


PKG_TYPE_GROUPS = ("os", "library")
"""The `--pkg-types` groups (`sievert.catalog.plugins.PKG_TYPES` maps each to its catalogers)."""


def select_pkg_types(
    packages: Sequence[Package], pkg_types: tuple[str, ...]
) -> tuple[Package, ...]:
    """Only the packages of the chosen groups: 'os' (deb, apk, rpm) and 'library' (the rest)."""
    keep_os, keep_library = "os" in pkg_types, "library" in pkg_types
    return tuple(p for p in packages if (keep_os if p.type in OS_TYPES else keep_library))


def _owner(package: Package, owners: dict[str, str]) -> str:
    for location in package.locations:
        owner = owners.get(location.path)
        if owner:
            return owner
    return ""
