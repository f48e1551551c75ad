"""The analysis of a layer stack, stored once, so a rescan of unchanged layers runs no cataloger.

Trivy keeps each layer's analysis in its cache and merges them on a rescan. Sievert's catalogers
read the squashed view (a later dpkg status file replaces an earlier one, a whiteout hides a
package), so the unit stored is the whole stack: its OCI ChainID (each layer's diff_id chained
over the ones below it), plus the identity of the code that analysed it, so that a new version
of Sievert, or any edit of the code that decides an inventory, reads nothing stale. The
per-layer file indexes stay cached beside it, so a new top layer re-runs the catalogers without
reading the layers below.

Stored: the distro, the packages (owners assigned, declared packages reconciled, before the
`--pkg-types` choice), the notices and the file count; the image's own metadata (names, tags,
the source) is always read afresh from the target.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import msgspec
import orjson
import zstandard

from sievert import __version__
from sievert.model import Distro, LayerInfo, Location, Notice, Package

ANALYSIS_FORMAT = "1"
"""Bumped when the stored layout below changes."""

INVENTORY_CODE = ("catalog", "source", "model", "versions", "limits", "pipeline")
"""The sievert packages whose code decides an inventory (with the top-level modules)."""
INVENTORY_DEPENDENCIES = ("packageurl", "packaging", "defusedxml", "yaml")
"""Libraries whose code decides an inventory too: purls, PEP 440 versions, XML and YAML files."""
PACKAGE_ROOT = Path(__file__).resolve().parents[1]


class Analysis(msgspec.Struct, frozen=True):
    """What the catalogers made of a layer stack."""

    distro: Distro | None
    packages: tuple[Package, ...]
    notices: tuple[Notice, ...]
    file_count: int


def chain_id(diff_ids: Sequence[str]) -> str:
    """The OCI ChainID of a layer stack: sha256 of '<chain below> <diff_id>', layer by layer."""
    chain = diff_ids[0]
    for diff_id in diff_ids[1:]:
        chain = "sha256:" + hashlib.sha256(f"{chain} {diff_id}".encode()).hexdigest()
    return chain


def analysis_key(layers: Sequence[LayerInfo]) -> str | None:
    """The cache key of an image's analysis; None when a layer has no diff_id to key it by."""
    diff_ids = [layer.diff_id for layer in layers]
    if not diff_ids or not all(diff_ids):
        return None
    return f"{chain_id(diff_ids)}|{_running_code()}|{ANALYSIS_FORMAT}"


@cache
def _running_code() -> str:
    return "|".join((code_identity(PACKAGE_ROOT), dependency_identity(INVENTORY_DEPENDENCIES)))


def code_identity(root: Path, packages: Sequence[str] = INVENTORY_CODE) -> str:
    """Digest of Sievert's version and of the path, size and mtime of every module that decides
    an inventory (or of the top-level modules and `packages`): a reinstall or an edit makes
    earlier analyses unreachable."""
    digest = hashlib.sha256(__version__.encode())
    for relative, info in _modules(str(root), packages):
        digest.update(f"{relative}:{info.st_size}:{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:24]


def _modules(root: str, packages: Sequence[str]) -> Iterator[tuple[str, os.stat_result]]:
    """(path below root, stat) of each top-level module and each module of `packages`, in a
    fixed order (plain strings and directory entries: this runs at the start of every scan)."""
    yield from _python_files(root, "", recurse=False)
    for package in packages:
        yield from _python_files(root, package, recurse=True)


def _python_files(
    root: str, relative: str, *, recurse: bool
) -> Iterator[tuple[str, os.stat_result]]:
    try:
        with os.scandir(f"{root}/{relative}" if relative else root) as found:
            entries = sorted(found, key=lambda entry: entry.name)
    except FileNotFoundError:
        return
    prefix = f"{relative}/" if relative else ""
    for entry in entries:
        if entry.name.endswith(".py") and entry.is_file():
            yield prefix + entry.name, entry.stat()
    if recurse:
        for entry in entries:
            if entry.is_dir() and entry.name != "__pycache__":
                yield from _python_files(root, prefix + entry.name, recurse=True)


def dependency_identity(modules: Sequence[str]) -> str:
    """The Python and SQLite versions, and the path, size and mtime of each module's file (its
    package's `__init__.py`), found without importing it: an upgrade of any of them is new
    code as far as stored results go. A module that cannot be found is named as missing."""
    parts = [sys.version, sqlite3.sqlite_version]
    for name in modules:
        try:
            spec = importlib.util.find_spec(name)
            origin = spec.origin if spec is not None else None
            info = Path(origin).stat() if origin else None
        except (ImportError, ValueError, OSError):
            info = origin = None
        found = f"{origin}:{info.st_size}:{info.st_mtime_ns}" if info else "missing"
        parts.append(f"{name}={found}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def encode(analysis: Analysis) -> bytes:
    """The analysis as compact JSON rows, zstd-compressed."""
    document = {
        "distro": distro_row(analysis.distro),
        "packages": [package_row(p) for p in analysis.packages],
        "notices": [[n.message, n.where, n.level] for n in analysis.notices],
        "file_count": analysis.file_count,
    }
    return zstandard.ZstdCompressor(level=1).compress(orjson.dumps(document))


def decode(data: bytes) -> Analysis:
    """Inverse of `encode`; ValueError when the stored bytes are damaged or of another layout."""
    try:
        document = orjson.loads(zstandard.ZstdDecompressor().decompress(data))
        distro = document["distro"]
        return Analysis(
            distro=None if distro is None else _distro(distro),
            packages=tuple(_package(row) for row in document["packages"]),
            notices=tuple(Notice(*row) for row in document["notices"]),
            file_count=int(document["file_count"]),
        )
    except (zstandard.ZstdError, orjson.JSONDecodeError, KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"damaged stored analysis: {exc!r:.200}") from exc


def _distro(row: list[Any]) -> Distro:
    id_, version_id, codename, name, pretty_name, id_like = row
    return Distro(id_, version_id, codename, name, pretty_name, tuple(id_like))


def distro_row(distro: Distro | None) -> list[Any] | None:
    """A distro as the JSON list `encode` stores (None stays None)."""
    if distro is None:
        return None
    return [
        distro.id,
        distro.version_id,
        distro.codename,
        distro.name,
        distro.pretty_name,
        distro.id_like,
    ]


def package_row(p: Package) -> list[Any]:
    """A package as the JSON list `encode` stores: every field."""
    locations = [[x.path, x.layer_index, x.layer_digest, x.layer_diff_id] for x in p.locations]
    return [
        p.name,
        p.version,
        p.type,
        p.purl,
        p.cataloger,
        locations,
        p.arch,
        p.source_name,
        p.source_version,
        p.epoch,
        p.release,
        p.licenses,
        p.files,
        p.introduced_by,
        p.owner,
        p.metadata,
    ]


def _package(row: list[Any]) -> Package:
    (name, version, type_, purl, cataloger, locations, arch, source_name, source_version) = row[:9]
    (epoch, release, licenses, files, introduced_by, owner, metadata) = row[9:]
    return Package(
        name,
        version,
        type_,
        purl,
        cataloger,
        tuple(Location(*x) for x in locations),
        arch,
        source_name,
        source_version,
        epoch,
        release,
        tuple(licenses),
        tuple(files),
        introduced_by,
        owner,
        tuple((key, value) for key, value in metadata),
    )
