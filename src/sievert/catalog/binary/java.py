"""Java archives (jar, war, ear, par): pom.properties, then the manifest, then the file name."""

from __future__ import annotations

import hashlib
import io
import posixpath
import re
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from sievert.catalog.base import CatalogContext, CatalogResult
from sievert.catalog.binary.common import SCOPES, decode, encode, merge, purl, text
from sievert.model import Location, Notice, Package
from sievert.source.capture import Extractor
from sievert.source.view import FileView

if TYPE_CHECKING:
    import zipfile

CATALOGER = "java-archive"
EXTRACTOR = "java-archive"
ARCHIVE_GLOBS = ("**/*.jar", "**/*.war", "**/*.ear", "**/*.par", "**/*.hpi", "**/*.jpi")
NESTED_SUFFIXES = (".jar", ".war", ".ear", ".par", ".hpi", ".jpi")
MAX_TOTAL = 256 * 1024 * 1024
"""Uncompressed bytes read from one outer archive, nested archives (any depth) included."""
MAX_ENTRIES = 100_000
MAX_SMALL_FILE = 1024 * 1024
"""pom.properties and MANIFEST.MF larger than this are skipped."""
MAX_POMS = 1000
MAX_ARCHIVES = 2000
"""Nested archives read from one outer archive."""
MAX_RECORDS = 5000

_POM_RX = re.compile(r"^META-INF/maven/[^/]+/[^/]+/pom\.properties$")
_NAME_RX = re.compile(
    r"^(?P<name>[A-Za-z0-9_.\-]+?)-(?P<version>\d[A-Za-z0-9_.\-+]*?)"
    r"(?:-(?:sources|javadoc|tests|all|shaded|jar-with-dependencies))?\.[a-z]{3}$"
)
_MANIFEST_FIELDS = (
    "Implementation-Title",
    "Implementation-Version",
    "Implementation-Vendor",
    "Implementation-Vendor-Id",
    "Specification-Title",
    "Specification-Version",
    "Bundle-Name",
    "Bundle-SymbolicName",
    "Bundle-Version",
    "Bundle-License",
    "Automatic-Module-Name",
    "Main-Class",
)


class _Budget:
    """Uncompressed bytes and archives left to read for one outer archive."""

    def __init__(self) -> None:
        self.bytes = MAX_TOTAL
        self.archives = MAX_ARCHIVES


class _Found(msgspec.Struct):
    """What one archive walk produced (summary records and error messages)."""

    records: list[dict[str, Any]] = msgspec.field(default_factory=list)
    errors: list[str] = msgspec.field(default_factory=list)


def parse_properties(text_: str) -> dict[str, str]:
    """Java .properties key=value / key: value lines ('#' and '!' comments)."""
    result: dict[str, str] = {}
    for raw in text_.splitlines():
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        match = re.match(r"([^=:\s]+)\s*[=:\s]\s*(.*)$", line)
        if match:
            result[match.group(1)] = match.group(2).strip()
    return result


def parse_manifest(text_: str) -> dict[str, str]:
    """Main section of a MANIFEST.MF, continuation lines (leading space) joined."""
    fields: dict[str, str] = {}
    key = ""
    for line in text_.splitlines():
        if not line.strip():
            break
        if line.startswith(" ") and key:
            fields[key] += line[1:]
            continue
        name, sep, value = line.partition(":")
        key = name.strip() if sep else ""
        if key:
            fields[key] = value.strip()
    return fields


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget, limit: int
) -> bytes:
    """A member's bytes, refusing declared sizes over the limit or the budget."""
    if info.file_size > limit or info.file_size > budget.bytes:
        raise ValueError(f"{info.filename}: declared size {info.file_size} is over the bound")
    with archive.open(info) as handle:
        data = handle.read(info.file_size + 1)
    if len(data) != info.file_size:
        raise ValueError(f"{info.filename}: {len(data)} bytes read, {info.file_size} declared")
    budget.bytes -= len(data)
    return data


def walk_archive(data: bytes, budget: _Budget, found: _Found, name: str) -> None:
    """Identify an archive and every archive nested in it, at any depth, appending records
    and errors to `found`; only the budget (total bytes, archive count) bounds the walk.

    Iterative, so a deep jar-in-jar chain cannot exhaust the interpreter's stack.
    """
    pending: list[tuple[bytes, str, str]] = [(data, "", name)]
    while pending:
        current, inner, base = pending.pop()
        nested = _walk_one(current, inner, budget, found, base)
        pending.extend(reversed(nested))


def _walk_one(
    data: bytes, inner: str, budget: _Budget, found: _Found, name: str
) -> list[tuple[bytes, str, str]]:
    """Records of one archive; returns its nested archives (bytes, inner path, '') to walk."""
    import zipfile  # loads when an image holds a Java archive

    label = inner or "archive"
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        found.errors.append(f"{label}: not a readable zip ({exc})")
        return []
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            found.errors.append(f"{label}: {len(infos)} entries is over the bound, skipped")
            return []
        base = name or posixpath.basename(inner.rpartition(":")[2])
        records = _identify(archive, infos, inner, base, budget, found)
        sha1 = hashlib.sha1(data).hexdigest()
        for record in records:
            record.setdefault("sha1", sha1)
        found.records += records[: max(0, MAX_RECORDS - len(found.records))]
        return _nested(archive, infos, inner, budget, found)


def _identify(
    archive: zipfile.ZipFile,
    infos: list[zipfile.ZipInfo],
    inner: str,
    base: str,
    budget: _Budget,
    found: _Found,
) -> list[dict[str, Any]]:
    import zipfile  # loaded by the archive's caller already

    manifest: dict[str, str] = {}
    poms: list[dict[str, str]] = []
    for info in infos:
        is_pom = _POM_RX.match(info.filename) is not None
        if not is_pom and info.filename.upper() != "META-INF/MANIFEST.MF":
            continue
        if is_pom and len(poms) >= MAX_POMS:
            continue
        try:
            raw = _read_member(archive, info, budget, MAX_SMALL_FILE)
        except (ValueError, zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
            found.errors.append(f"{inner or 'archive'}: {exc}")
            continue
        decoded = raw.decode("utf-8", "replace")
        if is_pom:
            poms.append(parse_properties(decoded))
        else:
            manifest = parse_manifest(decoded)
    return _records(poms, manifest, inner, base)


def _records(
    poms: list[dict[str, str]], manifest: dict[str, str], inner: str, base: str
) -> list[dict[str, Any]]:
    kept = {k: manifest[k][:200] for k in _MANIFEST_FIELDS if k in manifest}
    license_ = manifest.get("Bundle-License", "")[:500]
    records: list[dict[str, Any]] = []
    for pom in poms:
        group, artifact, version = (pom.get(k, "") for k in ("groupId", "artifactId", "version"))
        if artifact and version:
            records.append(
                {
                    "group": group,
                    "artifact": artifact,
                    "version": version,
                    "source": "pom.properties",
                    "inner": inner,
                }
            )
    if records:
        own = _own_record(records, manifest, base)
        if own is not None:
            own["manifest"] = kept
            own["licenses"] = [license_] if license_ else []
        return records
    record = _from_manifest(manifest, inner, base) or _from_name(inner, base)
    if record is None:
        return []
    record["manifest"] = kept
    record["licenses"] = [license_] if license_ else []
    return [record]


def _own_record(
    records: list[dict[str, Any]], manifest: dict[str, str], base: str
) -> dict[str, Any] | None:
    """The pom record describing the archive itself (its manifest applies to it)."""
    if len(records) == 1:
        return records[0]
    symbolic = manifest.get("Bundle-SymbolicName", "").split(";")[0]
    for record in records:
        if symbolic.endswith(record["artifact"]) or base.startswith(record["artifact"] + "-"):
            return record
    return None


def _from_manifest(manifest: dict[str, str], inner: str, base: str) -> dict[str, Any] | None:
    version = (
        manifest.get("Implementation-Version")
        or manifest.get("Bundle-Version")
        or manifest.get("Specification-Version")
        or ""
    )
    named = _NAME_RX.match(base)
    symbolic = manifest.get("Bundle-SymbolicName", "").split(";")[0].strip()
    artifact = (
        (named.group("name") if named else "")
        or manifest.get("Implementation-Title", "")
        or symbolic.rpartition(".")[2]
        or manifest.get("Bundle-Name", "")
    )
    if not version or not artifact or " " in artifact:
        return None
    group = manifest.get("Implementation-Vendor-Id", "")
    if not group and symbolic.endswith("." + artifact):
        group = symbolic[: -len(artifact) - 1]
    return {
        "group": group,
        "artifact": artifact,
        "version": version,
        "source": "manifest",
        "inner": inner,
    }


def _from_name(inner: str, base: str) -> dict[str, Any] | None:
    named = _NAME_RX.match(base)
    if named is None:
        return None
    return {
        "group": "",
        "artifact": named.group("name"),
        "version": named.group("version"),
        "source": "file name",
        "inner": inner,
    }


def _nested(
    archive: zipfile.ZipFile,
    infos: list[zipfile.ZipInfo],
    inner: str,
    budget: _Budget,
    found: _Found,
) -> list[tuple[bytes, str, str]]:
    """The archives nested in this one, read while the budget lasts."""
    import zipfile  # loaded by the archive's caller already

    nested: list[tuple[bytes, str, str]] = []
    for info in infos:
        if info.is_dir() or not info.filename.lower().endswith(NESTED_SUFFIXES):
            continue
        path = f"{inner}:{info.filename}" if inner else info.filename
        if budget.archives <= 0:
            found.errors.append(f"{path}: more than {MAX_ARCHIVES} nested archives, not read")
            break
        budget.archives -= 1
        try:
            data = _read_member(archive, info, budget, budget.bytes)
        except (ValueError, zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
            found.errors.append(f"{path}: {exc}")
            continue
        nested.append((data, path, ""))
    return nested


def reduce_archive(path: str, data: bytes) -> bytes | None:
    """Extractor: the packages an archive (and those nested in it) declares, as JSON."""
    found = _Found()
    walk_archive(data, _Budget(), found, posixpath.basename(path))
    if not found.records and not found.errors:
        return None
    return encode({"packages": found.records, "errors": found.errors[:50]})


def archive_package(record: dict[str, Any], path: str, location: Location) -> Package | None:
    """A maven package from one summary record of the archive at `path`."""
    artifact, version = text(record.get("artifact"), 300), text(record.get("version"), 200)
    inner = text(record.get("inner"), 2000)
    if not artifact or not version:
        return None
    group = text(record.get("group"), 300)
    raw_manifest = record.get("manifest")
    manifest: dict[str, Any] = raw_manifest if isinstance(raw_manifest, dict) else {}
    meta = [("source", text(record.get("source"), 40)), ("sha1", text(record.get("sha1"), 40))]
    meta.append(("virtual_path", f"/{path}:{inner}" if inner else f"/{path}"))
    meta += [(f"manifest.{k}", text(v, 500)) for k, v in sorted(manifest.items())]
    licenses = tuple(text(x, 500) for x in record.get("licenses") or () if text(x, 500))
    name = f"{group}:{artifact}" if group else artifact
    return Package(
        name,
        version,
        "maven",
        purl("maven", group, artifact, version),
        CATALOGER,
        (location,),
        licenses=licenses,
        metadata=tuple(m for m in meta if m[1]),
    )


class JavaArchiveCataloger:
    """Maven packages of Java archives, nested ones included."""

    name: str = CATALOGER
    version: str = "2"
    globs: Sequence[str] = ()
    scopes = SCOPES
    extractors = (Extractor(EXTRACTOR, ARCHIVE_GLOBS, reduce_archive),)

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """Packages of every archive the walk summarised."""
        notices: list[Notice] = []
        packages: list[Package] = []
        for path, summary in view.extracted(EXTRACTOR):
            value = decode(path, summary, notices)
            if value is None:
                continue
            for message in value.get("errors") or ():
                notices.append(Notice(text(message, 500), "/" + path))
            location = view.location(path)
            for record in value.get("packages") or ():
                package = (
                    archive_package(record, path, location) if isinstance(record, dict) else None
                )
                if package is not None:
                    packages.append(package)
        return CatalogResult(merge(packages), tuple(notices))
