"""Declared packages (lockfiles) in images: what is installed wins over what was declared."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence

from sievert.catalog.base import Cataloger
from sievert.model import Package


def is_declared(cataloger: Cataloger) -> bool:
    """Whether a cataloger reads what a project declares (a lockfile) rather than installed data."""
    return bool(getattr(cataloger, "declared", False))


def prefer_installed(
    packages: Iterable[Package], catalogers: Sequence[Cataloger]
) -> tuple[Package, ...]:
    """An image's packages without the declared ones that installed data supersedes.

    A lockfile's package is dropped when an installed package has the same purl, when
    installed packages of its type live under the lockfile's directory (`/app/node_modules`
    beside `/app/package-lock.json`: what was installed, not the optional packages for other
    platforms), or when an OS package owns the lockfile (a distro's packaging detail).
    A lockfile with nothing installed beside it (a pnpm, bun or NuGet lock) is reported.
    """
    declared = {c.name for c in catalogers if is_declared(c)}
    kept = list(packages)
    lock_dirs = {
        (p.type, posixpath.dirname(loc.path))
        for p in kept
        if p.cataloger in declared
        for loc in p.locations
    }
    installed: set[str] = set()
    superseded: set[tuple[str, str]] = set()
    for package in kept:
        if package.cataloger in declared:
            continue
        installed.add(package.purl)
        if package.meta("root") == "true":
            continue  # the project itself (a package.json), not something installed for it
        for location in package.locations:
            superseded.update(_ancestors(package.type, location.path) & lock_dirs)
    return tuple(
        p
        for p in kept
        if p.cataloger not in declared
        or not (p.owner or p.purl in installed or _dirs(p) & superseded)
    )


def _ancestors(kind: str, path: str) -> set[tuple[str, str]]:
    """(type, directory) for every directory above a path."""
    found: set[tuple[str, str]] = set()
    while path not in ("", "/"):
        path = posixpath.dirname(path)
        found.add((kind, path))
    return found


def _dirs(package: Package) -> set[tuple[str, str]]:
    return {(package.type, posixpath.dirname(loc.path)) for loc in package.locations}
