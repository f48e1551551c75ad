"""Declared packages in images: installed data supersedes a lockfile beside it."""

from __future__ import annotations

from msgspec.structs import replace

from sievert.catalog.declared import prefer_installed
from sievert.catalog.lang.javascript import NpmInstalledCataloger, NpmLockCataloger
from sievert.model import Location, Package


def _npm(name: str, version: str, cataloger: str, path: str, **extra: str) -> Package:
    meta = tuple(extra.items())
    return Package(
        name,
        version,
        "npm",
        f"pkg:npm/{name}@{version}",
        cataloger,
        (Location(path, 0),),
        metadata=meta,
    )


def test_installed_tree_supersedes_the_lockfile_beside_it() -> None:
    catalogers = (NpmInstalledCataloger(), NpmLockCataloger())
    packages = [
        _npm("app", "1.0.0", "npm-installed", "/app/package.json", root="true"),
        _npm("app", "1.0.0", "npm-lock", "/app/package-lock.json", root="true"),
        _npm("lodash", "4.17.15", "npm-installed", "/app/node_modules/lodash/package.json"),
        _npm("lodash", "4.17.15", "npm-lock", "/app/package-lock.json"),
        _npm("fsevents", "2.3.3", "npm-lock", "/app/package-lock.json", optional="true"),
        # a pnpm project with nothing installed beside it: its lockfile is what there is
        _npm("react", "17.0.2", "npm-lock", "/web/pnpm-lock.yaml"),
        # a lockfile shipped inside an OS package
        _npm("vsce", "2.0.0", "npm-lock", "/usr/lib/x/vscode/package-lock.json"),
    ]
    owned = [replace(p, owner="pkg:deb/debian/x@1") if p.name == "vsce" else p for p in packages]
    kept = prefer_installed(owned, catalogers)
    assert sorted((p.name, p.cataloger) for p in kept) == [
        ("app", "npm-installed"),
        ("lodash", "npm-installed"),
        ("react", "npm-lock"),
    ]


def test_a_root_manifest_alone_does_not_supersede_a_lockfile() -> None:
    catalogers = (NpmInstalledCataloger(), NpmLockCataloger())
    packages = [
        _npm("app", "1.0.0", "npm-installed", "/app/package.json", root="true"),
        _npm("react", "17.0.2", "npm-lock", "/app/pnpm-lock.yaml"),
    ]
    assert len(prefer_installed(packages, catalogers)) == 2


def test_a_lockfile_is_superseded_only_by_what_it_installed() -> None:
    # a pnpm project at the image root, and unrelated global npm packages under /usr/lib
    catalogers = (NpmInstalledCataloger(), NpmLockCataloger())
    packages = [
        _npm("corepack", "0.20.0", "npm-installed", "/usr/lib/node_modules/corepack/package.json"),
        _npm("react", "17.0.2", "npm-lock", "/pnpm-lock.yaml"),
    ]
    assert len(prefer_installed(packages, catalogers)) == 2
