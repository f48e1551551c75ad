"""Alpine/Wolfi packages from the apk installed database (`lib/apk/db/installed`)."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from sievert.catalog.base import CatalogContext, CatalogResult, ParseResult
from sievert.catalog.purl import apk_purl
from sievert.model import Distro, Notice, Package
from sievert.source.view import FileView

CATALOGER = "apk-db"
DB_PATHS = ("lib/apk/db/installed", "usr/lib/apk/db/installed")


class _Stanza(msgspec.Struct):
    """Fields of one package record while it is read."""

    line: int
    fields: dict[str, str] = msgspec.field(default_factory=dict)
    files: list[str] = msgspec.field(default_factory=list)
    directory: str = ""
    bad: int = 0


def _stanzas(text: str) -> list[_Stanza]:
    """Split the database into package records ('X:value' lines, blank-line separated)."""
    stanzas: list[_Stanza] = []
    current: _Stanza | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r")
        if not line.strip():
            current = None
            continue
        if current is None:
            current = _Stanza(number)
            stanzas.append(current)
        _take(current, line)
    return stanzas


def _take(stanza: _Stanza, line: str) -> None:
    """Record one 'X:value' line in a stanza."""
    if len(line) < 2 or line[1] != ":":
        stanza.bad += 1
        return
    key, value = line[0], line[2:]
    if key == "F":
        stanza.directory = value.strip("/")
    elif key == "R":
        prefix = f"/{stanza.directory}/" if stanza.directory else "/"
        stanza.files.append(prefix + value)
    elif key not in stanza.fields:
        stanza.fields[key] = value


def parse_apk_installed(
    data: bytes, where: str = "/lib/apk/db/installed", *, distro: Distro | None = None
) -> ParseResult:
    """Packages of an apk `installed` database; incomplete records become notices."""
    result = ParseResult()
    for stanza in _stanzas(data.decode("utf-8", "replace")):
        fields = stanza.fields
        if stanza.bad:
            message = f"record at line {stanza.line}: {stanza.bad} malformed line(s)"
            result.notices.append(Notice(message, where))
        name, version = fields.get("P", ""), fields.get("V", "")
        if not name or not version:
            message = f"record at line {stanza.line} ({name or 'no name'}): no P or V, skipped"
            result.notices.append(Notice(message, where))
            continue
        result.packages.append(_package(stanza, distro))
    return result


def _package(stanza: _Stanza, distro: Distro | None) -> Package:
    """One Package from a record that has P and V."""
    fields = stanza.fields
    name, version, arch = fields["P"], fields["V"], fields.get("A", "")
    origin = fields.get("o", "") or name
    metadata = [
        (key, fields[tag])
        for tag, key in (("m", "maintainer"), ("I", "installed_size"), ("t", "build_time"))
        if fields.get(tag)
    ]
    if fields.get("c"):
        metadata.append(("commit", fields["c"]))
    license_text = fields.get("L", "").strip()
    return Package(
        name=name,
        version=version,
        type="apk",
        purl=apk_purl(name, version, arch, distro, origin),
        cataloger=CATALOGER,
        arch=arch,
        source_name=origin,
        source_version=version,
        licenses=(license_text,) if license_text else (),
        files=tuple(stanza.files),
        metadata=tuple(metadata),
    )


class ApkCataloger:
    """apk installed-database cataloger (apk-tools v2 and v3 locations)."""

    name: str = CATALOGER
    version: str = "1"
    globs: Sequence[str] = DB_PATHS

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """Packages of each distinct installed database in the view."""
        packages: list[Package] = []
        notices: list[Notice] = []
        seen: set[str] = set()
        for path in DB_PATHS:
            real = view.resolve(path)
            data = view.read(path)
            if real is None or data is None or real in seen:
                continue
            seen.add(real)
            parsed = parse_apk_installed(data, "/" + real, distro=context.distro)
            notices.extend(parsed.notices)
            location = (view.location(real),)
            packages.extend(msgspec.structs.replace(p, locations=location) for p in parsed.packages)
        return CatalogResult(tuple(packages), tuple(notices))
