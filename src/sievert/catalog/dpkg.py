"""Debian packages from the dpkg database: `var/lib/dpkg/status` and distroless `status.d/*`."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from functools import partial

import msgspec

from sievert.catalog.base import CatalogContext, CatalogResult, ParseResult
from sievert.catalog.memo import remember, reuse
from sievert.catalog.purl import deb_purl
from sievert.model import Distro, Location, Notice, Package
from sievert.source.view import FileView

CATALOGER = "dpkg-db"
STATUS = "var/lib/dpkg/status"
STATUS_D = "var/lib/dpkg/status.d"
INFO = "var/lib/dpkg/info"
DOC = "usr/share/doc"

_SOURCE_RX = re.compile(r"^(\S+)(?:\s*\((\S+)\))?\s*$")
_LICENSE_RX = re.compile(r"License:[ \t]*(\S[^\n]*?)[ \t]*$", re.MULTILINE | re.IGNORECASE)
"""A `License:` field at the start of the text (see `_LICENSE_LINE_RX` for the other lines)."""
_LICENSE_LINE_RX = re.compile(r"\nLicense:[ \t]*(\S[^\n]*?)[ \t]*$", re.MULTILINE | re.IGNORECASE)
"""A `License:` field after a newline: the newline in the pattern lets the regex engine skip to
the newlines (a `^` in multiline mode makes it try every position: 4x slower on copyrights)."""
_COMMON_RX = re.compile(r"/usr/share/common-licenses/([A-Za-z0-9][A-Za-z0-9_.+\-]*)")
_DEP5_RX = re.compile(r"^Format:\s*\S*(copyright-format|dep5)", re.IGNORECASE)
MAX_COPYRIGHT = 512 * 1024


def split_stanzas(text: str) -> list[list[str]]:
    """Split deb822 text into stanzas (lists of lines), blank lines separating them."""
    stanzas: list[list[str]] = []
    current: list[str] = []
    for line in text.splitlines():
        if line.strip():
            current.append(line)
        elif current:
            stanzas.append(current)
            current = []
    if current:
        stanzas.append(current)
    return stanzas


def parse_fields(lines: Sequence[str]) -> tuple[dict[str, str], int]:
    """Fields of one stanza (keys lower-cased, continuation lines joined) and bad-line count."""
    fields: dict[str, str] = {}
    key = ""
    bad = 0
    for line in lines:
        if line[:1] in (" ", "\t"):
            if key:
                fields[key] += "\n" + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip() or " " in name.strip():
            bad += 1
            key = ""
            continue
        key = name.strip().lower()
        fields[key] = value.strip()
    return fields, bad


def split_source(source: str, name: str, version: str) -> tuple[str, str]:
    """'openssl (3.0.11-1)' -> ('openssl', '3.0.11-1'); default: the binary's name and version."""
    match = _SOURCE_RX.match(source.strip())
    if not source.strip() or match is None:
        return name, version
    return match.group(1), match.group(2) or version


def deb_epoch(version: str) -> int | None:
    """The epoch of a Debian version ('1:2.3-4' -> 1), None when absent or malformed."""
    head, sep, _ = version.partition(":")
    return int(head) if sep and head.isdecimal() else None


def parse_dpkg_status(
    data: bytes,
    where: str = "/" + STATUS,
    *,
    distro: Distro | None = None,
    require_status: bool = True,
) -> ParseResult:
    """Installed packages of a dpkg status file (`require_status=False` for status.d files)."""
    result = ParseResult()
    for index, lines in enumerate(split_stanzas(data.decode("utf-8", "replace"))):
        key = (_stanza, tuple(lines), distro, require_status)
        bad, found = remember(key, partial(_stanza, lines, distro, require_status))
        if bad:
            result.notices.append(Notice(f"stanza {index + 1}: {bad} malformed line(s)", where))
        if isinstance(found, Package):
            result.packages.append(found)
        elif found is not None:
            message = f"stanza {index + 1} ({found or 'no name'}): no Package or Version, skipped"
            result.notices.append(Notice(message, where))
    return result


def _stanza(
    lines: Sequence[str], distro: Distro | None, require_status: bool
) -> tuple[int, Package | str | None]:
    """(malformed lines, and the package; or the name of a package with no Package or Version
    field; or None for one not installed) of one stanza."""
    fields, bad = parse_fields(lines)
    status = fields.get("status", "")
    if _removed(status) or (require_status and not _installed(status)):
        return bad, None
    name, version = fields.get("package", ""), fields.get("version", "")
    if not name or not version:
        return bad, name
    return bad, _package(fields, distro)


_NOT_INSTALLED = frozenset({"deinstall", "purge", "not-installed", "config-files"})


def _removed(status: str) -> bool:
    """Whether a Status marks a package removed or being removed (want or state word)."""
    return not _NOT_INSTALLED.isdisjoint(status.lower().split())


def _installed(status: str) -> bool:
    """dpkg Status 'want flag state': the state word must be 'installed'."""
    words = status.split()
    return len(words) == 3 and words[2] == "installed"


def _package(fields: dict[str, str], distro: Distro | None) -> Package:
    """One Package from a stanza that has Package and Version."""
    name, version = fields["package"], fields["version"]
    arch = fields.get("architecture", "")
    source, source_version = split_source(fields.get("source", ""), name, version)
    metadata: list[tuple[str, str]] = []
    if fields.get("maintainer"):
        metadata.append(("maintainer", fields["maintainer"]))
    size = fields.get("installed-size", "")
    if size.isdecimal():
        metadata.append(("installed_size", str(int(size) * 1024)))
    return Package(
        name=name,
        version=version,
        type="deb",
        purl=deb_purl(name, version, arch, distro, source, source_version),
        cataloger=CATALOGER,
        arch=arch,
        source_name=source,
        source_version=source_version,
        epoch=deb_epoch(version),
        metadata=tuple(metadata),
    )


def parse_dpkg_list(data: bytes) -> tuple[str, ...]:
    """Owned paths of a `info/<pkg>.list` file (absolute paths, '/.' dropped)."""
    text = data.decode("utf-8", "replace")
    return tuple(p for p in (line.strip() for line in text.splitlines()) if p and p != "/.")


def parse_dpkg_md5sums(data: bytes) -> tuple[str, ...]:
    """Owned paths of a `<pkg>.md5sums` file ('<md5>  <path>' lines), with a leading '/'."""
    paths: list[str] = []
    for line in data.decode("utf-8", "replace").splitlines():
        _, _, path = line.strip().partition("  ")
        if path.strip():
            paths.append("/" + path.strip().lstrip("/"))
    return tuple(paths)


def parse_copyright(data: bytes) -> tuple[str, ...]:
    """Licences of a copyright file: DEP-5 `License:` names, else common-licenses refs."""
    text = data[:MAX_COPYRIGHT].decode("utf-8", "replace")
    found: list[str] = []
    if _DEP5_RX.search(text.lstrip()[:200]):
        found = [m.group(1).strip() for m in _license_fields(text)]
    if not found:
        found = [m.group(1).rstrip(".") for m in _COMMON_RX.finditer(text)]
    return tuple(dict.fromkeys(name for name in found if name))


class DpkgCataloger:
    """dpkg database cataloger: status file, distroless status.d, .list files and copyrights."""

    name: str = CATALOGER
    version: str = "2"
    globs: Sequence[str] = (
        STATUS,
        f"{STATUS_D}/*",
        f"{INFO}/*.list",
        f"{DOC}/*/copyright",
    )

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """Packages of the status file and of every status.d stanza file."""
        packages: list[Package] = []
        notices: list[Notice] = []
        sources = [(STATUS, True)] + [
            (path, False) for path in view.glob(f"{STATUS_D}/*") if _is_status_d_entry(path)
        ]
        for path, require_status in sources:
            data = view.read(path)
            if data is None:
                continue
            parsed = parse_dpkg_status(
                data, "/" + path, distro=context.distro, require_status=require_status
            )
            notices.extend(parsed.notices)
            where = view.location(view.resolve(path) or path)
            packages.extend(
                _enrich(view, path, where, pkg, require_status) for pkg in parsed.packages
            )
        return CatalogResult(tuple(packages), tuple(notices))


def _license_fields(text: str) -> Iterator[re.Match[str]]:
    """The `License:` fields of a text, in order (those of `^License:...$` in multiline mode)."""
    first = _LICENSE_RX.match(text)
    if first is not None:
        yield first
    yield from _LICENSE_LINE_RX.finditer(text)


def _is_status_d_entry(path: str) -> bool:
    """A status.d stanza file, not one of its `.md5sums` companions."""
    return not path.endswith(".md5sums")


def _enrich(
    view: FileView, db_path: str, db_location: Location, pkg: Package, from_status: bool
) -> Package:
    """Add locations (the database's first), owned files and licences read from the view."""
    locations = [db_location]
    files: tuple[str, ...] = ()
    if from_status:
        candidates = [f"{INFO}/{pkg.name}:{pkg.arch}.list", f"{INFO}/{pkg.name}.list"]
        parser = parse_dpkg_list
    else:
        candidates = [f"{db_path}.md5sums"]
        parser = parse_dpkg_md5sums
    for candidate in candidates:
        data = view.read(candidate)
        if data is not None:
            files = _parsed(parser, candidate, data)
            locations.append(view.location(view.resolve(candidate) or candidate))
            break
    licenses: tuple[str, ...] = ()
    copyright_path = f"{DOC}/{pkg.name}/copyright"
    copyright_data = view.read(copyright_path)
    if copyright_data is not None:
        licenses = _parsed(parse_copyright, copyright_path, copyright_data)
        locations.append(view.location(view.resolve(copyright_path) or copyright_path))
    return msgspec.structs.replace(pkg, locations=tuple(locations), files=files, licenses=licenses)


def _parsed(parse: Callable[[bytes], tuple[str, ...]], path: str, data: bytes) -> tuple[str, ...]:
    """`parse(data)`, reused when an earlier layer's run parsed these very bytes."""
    return reuse(parse, path, data, lambda: parse(data))
