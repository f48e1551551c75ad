"""Rust crates: cargo-auditable data (`.dep-v0` section) in binaries; Cargo.lock in directories."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

from sievert.catalog.base import CatalogContext, CatalogResult
from sievert.catalog.binary.common import SCOPES, decode, encode, error_summary, merge, purl, text
from sievert.catalog.binary.execfile import (
    ELF_MAGIC,
    ExecFormatError,
    elf_tables_at,
    exec_format,
    find_section,
    section_bytes,
)
from sievert.errors import LimitError
from sievert.limits import jsonload
from sievert.model import Location, Notice, Package
from sievert.source.capture import BytesData, Extractor, FileData
from sievert.source.view import FileView

CATALOGER = "rust-cargo-auditable"
LOCK_CATALOGER = "rust-cargo-lock"
EXTRACTOR = "rust-audit"
SECTION_NAMES = (".dep-v0", "__dep_v0")
MAX_COMPRESSED = 4 * 1024 * 1024
MAX_JSON = 8 * 1024 * 1024
"""Decompressed bytes accepted from a `.dep-v0` section (zlib bombs stop here)."""
MAX_PACKAGES = 20_000
MAX_LOCK = 8 * 1024 * 1024


class AuditDataError(ValueError):
    """The `.dep-v0` section is malformed."""


def read_audit_data(data: bytes) -> list[dict[str, Any]] | None:
    """The packages of an executable's cargo-auditable section; None when there is none."""
    return read_audit_data_at(BytesData(data))


def read_audit_data_at(data: FileData) -> list[dict[str, Any]] | None:
    """`read_audit_data` reading only the ELF headers and the section itself when it can
    (`elf_tables_at`), else the whole file."""
    head = data.head()
    if exec_format(head) is None:
        return None
    tables = elf_tables_at(data) if head.startswith(ELF_MAGIC) else None
    if tables is None:
        return _read_whole(data.read_all())
    section = tables.section(*SECTION_NAMES)
    if section is None:
        return None
    if section.offset < 0 or section.size < 0 or section.offset + section.size > data.size:
        raise AuditDataError(f"section {section.name} lies outside the file")
    if section.size > MAX_COMPRESSED:
        raise AuditDataError(f"section of {section.size} bytes is over the bound")
    return _packages(_inflate(data.read_at(section.offset, section.size)))


def _read_whole(data: bytes) -> list[dict[str, Any]] | None:
    if exec_format(data) is None:
        return None
    try:
        section = find_section(data, *SECTION_NAMES)
        if section is None:
            return None
        raw = section_bytes(data, section)
    except ExecFormatError as exc:
        raise AuditDataError(str(exc)) from exc
    if len(raw) > MAX_COMPRESSED:
        raise AuditDataError(f"section of {len(raw)} bytes is over the bound")
    return _packages(_inflate(raw))


def _inflate(raw: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(raw, MAX_JSON + 1)
    except zlib.error as exc:
        raise AuditDataError(f"section is not zlib data ({exc})") from exc
    if len(out) > MAX_JSON:
        raise AuditDataError(f"section inflates past {MAX_JSON} bytes")
    if not inflater.eof:
        raise AuditDataError("section's zlib stream is truncated")
    return out


def _packages(raw: bytes) -> list[dict[str, Any]]:
    try:
        value = jsonload.loads(raw, "rust audit data")
    except (ValueError, LimitError) as exc:
        raise AuditDataError(f"section is not JSON ({exc})") from exc
    items = value.get("packages") if isinstance(value, dict) else None
    if not isinstance(items, list):
        raise AuditDataError("section has no package list")
    kept = []
    for item in items[:MAX_PACKAGES]:
        if isinstance(item, dict) and text(item.get("name")) and text(item.get("version")):
            kept.append(
                {k: item[k] for k in ("name", "version", "source", "kind", "root") if k in item}
            )
    return kept


def reduce_audit(path: str, data: bytes) -> bytes | None:
    """Extractor: the crate list of a cargo-auditable binary as JSON, None for other files."""
    return reduce_audit_at(path, BytesData(data))


def reduce_audit_at(path: str, data: FileData) -> bytes | None:
    """`reduce_audit` on a file read at random."""
    try:
        packages = read_audit_data_at(data)
    except AuditDataError as exc:
        return error_summary(f"cargo-auditable data unreadable: {exc}")
    return None if packages is None else encode({"packages": packages})


def crate_package(
    item: dict[str, Any],
    location: Location,
    cataloger: str,
    extra: tuple[tuple[str, str], ...] = (),
) -> Package:
    """A cargo package from one audit or lock record."""
    name, version = text(item.get("name"), 200), text(item.get("version"), 200)
    meta = [("source", text(item.get("source"), 500)), ("kind", text(item.get("kind"), 40))]
    if item.get("root") is True:
        meta.append(("root", "true"))
    meta += list(extra)
    return Package(
        name,
        version,
        "cargo",
        purl("cargo", "", name, version),
        cataloger,
        (location,),
        metadata=tuple(m for m in meta if m[1]),
    )


class RustAuditCataloger:
    """Crates compiled into Rust binaries built with cargo-auditable."""

    name: str = CATALOGER
    version: str = "1"
    globs: Sequence[str] = ()
    scopes = SCOPES
    extractors = (
        Extractor(
            EXTRACTOR, ("**",), reduce_audit, executable_only=True, reduce_at=reduce_audit_at
        ),
    )

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """Packages of every auditable binary the walk summarised."""
        notices: list[Notice] = []
        packages: list[Package] = []
        for path, summary in view.extracted(EXTRACTOR):
            value = decode(path, summary, notices)
            items = value.get("packages") if value else None
            for item in items if isinstance(items, list) else ():
                if isinstance(item, dict) and text(item.get("name")) and text(item.get("version")):
                    packages.append(crate_package(item, view.location(path), CATALOGER))
        return CatalogResult(merge(packages), tuple(notices))


def parse_cargo_lock(data: bytes, location: Location) -> tuple[list[Package], list[Notice]]:
    """Packages of a Cargo.lock (`[[package]]` tables with name, version, source, checksum)."""
    where = location.path
    if len(data) > MAX_LOCK:
        return [], [Notice("Cargo.lock is too large, skipped", where)]
    import tomllib  # loads when a Cargo.lock is read

    try:
        value = tomllib.loads(data.decode("utf-8", "replace"))
    except tomllib.TOMLDecodeError as exc:
        return [], [Notice(f"Cargo.lock is not valid TOML ({exc})", where)]
    items = value.get("package", [])
    if not isinstance(items, list):
        return [], [Notice("Cargo.lock has no [[package]] list", where)]
    packages = []
    for item in items[:MAX_PACKAGES]:
        if isinstance(item, dict) and text(item.get("name")) and text(item.get("version")):
            extra = (("checksum", text(item.get("checksum"), 200)),)
            packages.append(crate_package(item, location, LOCK_CATALOGER, extra))
    return packages, []


class CargoLockCataloger:
    """Crates pinned by Cargo.lock files (directory scans only)."""

    name: str = LOCK_CATALOGER
    version: str = "1"
    globs: Sequence[str] = ("**/Cargo.lock",)
    scopes = ("directory",)

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """Packages of every Cargo.lock in the view."""
        packages: list[Package] = []
        notices: list[Notice] = []
        for path in view.glob("**/Cargo.lock"):
            found, problems = parse_cargo_lock(view.read(path) or b"", view.location(path))
            packages += found
            notices += problems
        return CatalogResult(merge(packages), tuple(notices))
