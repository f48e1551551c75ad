"""RPM packages from the rpmdb in any of its three formats: SQLite, ndb and BerkeleyDB hash."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import msgspec

from sievert.catalog.base import CatalogContext, CatalogResult, ParseResult
from sievert.catalog.purl import rpm_purl
from sievert.errors import PackageDbError
from sievert.model import Distro, Notice, Package
from sievert.source.view import FileView

if TYPE_CHECKING:  # the rpmdb readers load with the first rpmdb read, not with the cataloger
    from sievert.catalog.rpmheader import RpmHeader

CATALOGER = "rpm-db"
SQLITE, NDB, BDB = "sqlite", "ndb", "bdb"
DB_PATHS = (
    ("usr/lib/sysimage/rpm/rpmdb.sqlite", SQLITE),
    ("var/lib/rpm/rpmdb.sqlite", SQLITE),
    ("usr/lib/sysimage/rpm/Packages.db", NDB),
    ("var/lib/rpm/Packages.db", NDB),
    ("var/lib/rpm/Packages", BDB),
)
"""Where rpm keeps its database, newest format first: the first readable one is used."""
PSEUDO_PACKAGES = frozenset({"gpg-pubkey"})


def _sqlite(data: bytes) -> tuple[list[bytes], list[str]]:
    """SQLite reader with the common (blobs, problems) shape."""
    from sievert.catalog.rpmdb_sqlite import read_sqlite_blobs

    return read_sqlite_blobs(data), []


def _ndb(data: bytes) -> tuple[list[bytes], list[str]]:
    """The ndb reader (`sievert.catalog.rpmdb_ndb`)."""
    from sievert.catalog.rpmdb_ndb import read_ndb_blobs

    return read_ndb_blobs(data)


def _bdb(data: bytes) -> tuple[list[bytes], list[str]]:
    """The BerkeleyDB hash reader (`sievert.catalog.rpmdb_bdb`)."""
    from sievert.catalog.rpmdb_bdb import read_bdb_blobs

    return read_bdb_blobs(data)


READERS: dict[str, Callable[[bytes], tuple[list[bytes], list[str]]]] = {
    SQLITE: _sqlite,
    NDB: _ndb,
    BDB: _bdb,
}


def split_source_rpm(source_rpm: str) -> tuple[str, str]:
    """'openssl-3.0.7-18.el9.src.rpm' -> ('openssl', '3.0.7-18.el9'); ('', '') when malformed."""
    stem = source_rpm
    for suffix in (".src.rpm", ".nosrc.rpm"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    else:
        return "", ""
    parts = stem.rsplit("-", 2)
    if len(parts) != 3 or not all(parts):
        return "", ""
    return parts[0], f"{parts[1]}-{parts[2]}"


def parse_rpmdb(data: bytes, where: str, kind: str, *, distro: Distro | None = None) -> ParseResult:
    """Packages of one rpmdb file of the given kind ('sqlite', 'ndb', 'bdb')."""
    from sievert.catalog.rpmheader import parse_rpm_header

    result = ParseResult()
    try:
        blobs, problems = READERS[kind](data)
    except PackageDbError as exc:
        result.notices.append(Notice(f"rpmdb unreadable: {exc}", where))
        return result
    result.notices.extend(Notice(problem, where) for problem in problems)
    for number, blob in enumerate(blobs, 1):
        try:
            header = parse_rpm_header(blob)
        except PackageDbError as exc:
            result.notices.append(Notice(f"package record {number} skipped: {exc}", where))
            continue
        if header.name not in PSEUDO_PACKAGES:
            result.packages.append(rpm_package(header, distro))
    return result


def rpm_package(header: RpmHeader, distro: Distro | None) -> Package:
    """A Package from a decoded header: version is version-release, epoch kept apart."""
    version = f"{header.version}-{header.release}" if header.release else header.version
    source_name, source_version = split_source_rpm(header.source_rpm)
    metadata = [
        (key, value)
        for key, value in (("vendor", header.vendor), ("modularity_label", header.modularity_label))
        if value
    ]
    if header.size is not None:
        metadata.append(("installed_size", str(header.size)))
    return Package(
        name=header.name,
        version=version,
        type="rpm",
        purl=rpm_purl(header.name, version, header.arch, distro, header.epoch, header.source_rpm),
        cataloger=CATALOGER,
        arch=header.arch,
        source_name=source_name,
        source_version=source_version,
        epoch=header.epoch,
        release=header.release,
        licenses=(header.license,) if header.license else (),
        files=header.files,
        metadata=tuple(metadata),
    )


class RpmCataloger:
    """rpmdb cataloger: the first readable database of the known paths, in any format."""

    name: str = CATALOGER
    version: str = "1"
    globs: Sequence[str] = tuple(path for path, _ in DB_PATHS)

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """Packages of the newest-format rpmdb found; notices for unreadable ones."""
        notices: list[Notice] = []
        seen: set[str] = set()
        for path, kind in DB_PATHS:
            real = view.resolve(path)
            data = view.read(path)
            if real is None or data is None or real in seen:
                continue
            seen.add(real)
            parsed = parse_rpmdb(data, "/" + real, kind, distro=context.distro)
            notices.extend(parsed.notices)
            if parsed.packages:
                location = (view.location(real),)
                packages = (msgspec.structs.replace(p, locations=location) for p in parsed.packages)
                return CatalogResult(tuple(packages), tuple(notices))
        return CatalogResult((), tuple(notices))
