"""PHP packages: composer's `vendor/composer/installed.json`, and composer.lock of source trees."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sievert.catalog.base import CatalogContext, CatalogResult, ParseResult
from sievert.catalog.lang.common import (
    SCOPE_ALL,
    SCOPE_DIR,
    flags,
    licenses_of,
    load_json,
    make_purl,
    missing,
    outside,
    parse_files,
)
from sievert.jsonvalue import as_dict, as_list, as_text
from sievert.model import Notice, Package
from sievert.source.view import FileView

INSTALLED = "composer-installed"
LOCK = "composer-lock"


def composer_package(
    name: str,
    version: str,
    cataloger: str,
    *,
    licenses: tuple[str, ...] = (),
    metadata: tuple[tuple[str, str], ...] = (),
) -> Package:
    """A composer Package: `vendor/name` is the purl's namespace and name."""
    vendor, _, base = name.rpartition("/")
    return Package(
        name=name,
        version=version,
        type="composer",
        purl=make_purl("composer", base, version, vendor),
        cataloger=cataloger,
        licenses=licenses,
        metadata=metadata,
    )


def _entries(entries: list[Any], cataloger: str, where: str, dev: set[str] | bool) -> ParseResult:
    """Packages of a list of composer package objects (name, version, license)."""
    result = ParseResult()
    for value in entries:
        entry = as_dict(value)
        name, version = as_text(entry.get("name")), as_text(entry.get("version"))
        if not name or not version:
            result.notices.append(missing(name, version, "package", where))
            continue
        is_dev = dev if isinstance(dev, bool) else name in dev
        licenses = licenses_of(entry.get("license"))
        result.packages.append(
            composer_package(
                name, version, cataloger, licenses=licenses, metadata=flags(dev=is_dev)
            )
        )
    return result


def parse_installed_json(data: bytes, where: str) -> ParseResult:
    """Installed packages: composer 1's array or composer 2's {"packages": [...]}."""
    document, notice = load_json(data, where)
    if notice is not None:
        return ParseResult(notices=[notice])
    if isinstance(document, list):
        return _entries(document, INSTALLED, where, dev=False)
    fields = as_dict(document)
    if not isinstance(fields.get("packages"), list):
        return ParseResult(notices=[Notice("no 'packages' list: not installed.json", where)])
    dev_names = {as_text(n) for n in as_list(fields.get("dev-package-names"))}
    return _entries(fields["packages"], INSTALLED, where, dev=dev_names)


def parse_composer_lock(data: bytes, where: str) -> ParseResult:
    """Locked packages: 'packages' and 'packages-dev' (dev)."""
    document, notice = load_json(data, where)
    if notice is not None:
        return ParseResult(notices=[notice])
    fields = as_dict(document)
    if "packages" not in fields:
        return ParseResult(notices=[Notice("no 'packages': not a composer.lock", where)])
    result = _entries(as_list(fields.get("packages")), LOCK, where, dev=False)
    dev = _entries(as_list(fields.get("packages-dev")), LOCK, where, dev=True)
    return ParseResult(result.packages + dev.packages, result.notices + dev.notices)


def parse_loose_installed_json(data: bytes, where: str) -> ParseResult:
    """An `installed.json` outside `vendor/composer/`: read when it has composer's shape,
    silently skipped otherwise (other tools name files installed.json too)."""
    document, notice = load_json(data, where)
    if notice is not None or not _composer_shaped(document):
        return ParseResult()
    return parse_installed_json(data, where)


def _composer_shaped(document: object) -> bool:
    """Composer 1's list or composer 2's {"packages": [...]}, entries with name and version."""
    entries = document if isinstance(document, list) else as_dict(document).get("packages")
    if not isinstance(entries, list):
        return False
    first = as_dict(entries[0]) if entries else {}
    return not entries or ("name" in first and "version" in first)


class ComposerInstalledCataloger:
    """Packages composer installed: `vendor/composer/installed.json`, or one on its own."""

    name: str = INSTALLED
    version: str = "2"
    scopes: tuple[str, ...] = SCOPE_ALL
    globs: Sequence[str] = ("**/vendor/composer/installed.json", "**/installed.json")

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """Packages of every installed.json (a loose one only when composer-shaped)."""
        return parse_files(
            view,
            [(self.globs[0], parse_installed_json), (self.globs[1], parse_loose_installed_json)],
        )


class ComposerLockCataloger:
    """composer.lock files of a source tree (directory scans only)."""

    name: str = LOCK
    version: str = "1"
    scopes: tuple[str, ...] = SCOPE_DIR
    globs: Sequence[str] = ("**/composer.lock",)

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """Packages of every composer.lock outside vendor directories."""
        return parse_files(view, [(self.globs[0], parse_composer_lock)], outside("vendor"))
