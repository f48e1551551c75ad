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

    A lockfile's package is dropped when an installed package has the same purl, when the
    lockfile was installed beside it (some package it lists is installed under its directory:
    `/app/node_modules` from `/app/package-lock.json`; the optional packages for other
    platforms it also lists were not installed), or when an OS package owns the lockfile (a
    distro's packaging detail). A lockfile with nothing of it installed (a pnpm, bun or NuGet
    lock copied into the image) is reported.
    """
    declared = {c.name for c in catalogers if is_declared(c)}
    kept = list(packages)
    installed = [p for p in kept if p.cataloger not in declared]
    purls = {p.purl for p in installed}
    lock_purls: dict[str, set[str]] = {}
    for package in kept:
        if package.cataloger in declared:
            for location in package.locations:
                lock_purls.setdefault(location.path, set()).add(package.purl)
    by_dir: dict[str, list[str]] = {}
    for lock in lock_purls:
        by_dir.setdefault(posixpath.dirname(lock), []).append(lock)
    superseded = {
        path
        for package in installed
        if package.meta("root") != "true"  # the project's own manifest installs nothing
        for location in package.locations
        for path in _locks_above(location.path, by_dir)
        if package.purl in lock_purls[path]
    }
    return tuple(
        p
        for p in kept
        if p.cataloger not in declared
        or not (p.owner or p.purl in purls or {loc.path for loc in p.locations} & superseded)
    )


def _locks_above(path: str, by_dir: dict[str, list[str]]) -> list[str]:
    """The lockfiles (grouped by directory) whose directory holds `path`, at any depth."""
    found: list[str] = []
    directory = path
    while directory not in ("", "/"):
        directory = posixpath.dirname(directory)
        found += by_dir.get(directory, [])
    return found
