"""Programs not installed by a package manager, recognised by version strings in their bytes."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Sequence

import msgspec

from sievert.catalog.base import CatalogContext, CatalogResult
from sievert.catalog.binary.common import SCOPES, decode, encode, merge, purl, text
from sievert.catalog.binary.execfile import ELF_MAGIC
from sievert.catalog.binary.golang import (
    GoBuildInfoError,
    parse_modinfo,
    read_buildinfo,
    stdlib_version,
)
from sievert.model import Notice, Package
from sievert.source.capture import Extractor, FileData
from sievert.source.view import FileView, GlobMatcher

CATALOGER = "binary-version"
EXTRACTOR = "binary-version"
PACKAGE_TYPE = "binary"

Finder = Callable[[str, bytes], str]


class Classifier(msgspec.Struct, frozen=True):
    """How to recognise one program: file globs, and a finder returning its version or ''."""

    name: str
    globs: tuple[str, ...]
    find: Finder
    purl_namespace: str = ""
    purl_name: str = ""


def _first(*patterns: bytes, marker: bytes = b"") -> Finder:
    """A finder returning the `v` group of the first pattern that matches (and the marker);
    the patterns are compiled when the finder first runs (most images hold few of the programs)."""
    compiled: list[re.Pattern[bytes]] = []

    def find(path: str, data: bytes) -> str:
        if marker and marker not in data:
            return ""
        if not compiled:
            compiled.extend(re.compile(p, re.DOTALL) for p in patterns)
        for rx in compiled:
            match = rx.search(data)
            if match:
                return match.group("v").decode("ascii", "replace")
        return ""

    return find


_PY_CANDIDATE = re.compile(rb"\x00(?P<v>[23]\.\d{1,2}\.\d{1,2}(?:(?:a|b|rc)\d{1,2})?\+?)\x00")
_PY_NAME = re.compile(r"python(\d)\.(\d{1,2})")


def _python(path: str, data: bytes) -> str:
    """PY_VERSION ('3.11.2') in an interpreter or libpython that prints 'Python %s'."""
    anchor = data.find(b"Python %s")
    if anchor < 0:
        return ""
    named = _PY_NAME.search(posixpath.basename(path))
    best, distance = "", -1
    for match in _PY_CANDIDATE.finditer(data):
        version = match.group("v").decode()
        if named:
            if version.startswith(f"{named.group(1)}.{named.group(2)}."):
                return version
            continue
        gap = abs(match.start() - anchor)
        if distance < 0 or gap < distance:
            best, distance = version, gap
    return best


CURL_RX = re.compile(
    rb"(?:\x00|CLIENT )(?:lib)?curl[ /](?P<v>\d{1,2}\.\d{1,3}\.\d{1,3})(?:-DEV)?[\x00\r (]"
)
"""curl's version string, after a NUL or 'CLIENT ' (as `curl --version` and libcurl print it)."""
_CURL_TAIL = re.compile(rb"curl[ /](?P<v>\d{1,2}\.\d{1,3}\.\d{1,3})(?:-DEV)?[\x00\r (]")
_CURL_HEADS = (b"\x00", b"\x00lib", b"CLIENT ", b"CLIENT lib")


def _curl(path: str, data: bytes) -> str:
    """The `v` group of CURL_RX's first match, found from the literal 'curl' on (a pattern
    opening with a NUL scans binaries byte by byte): a tail can hold no other 'curl', so the
    first tail with one of the heads before it belongs to the leftmost match."""
    for match in _CURL_TAIL.finditer(data):
        start = match.start()
        if any(
            start >= len(head) and data.startswith(head, start - len(head)) for head in _CURL_HEADS
        ):
            return match.group("v").decode("ascii", "replace")
    return ""


def _go_tool(path: str, data: bytes) -> str:
    """The toolchain version of the `go` command itself (main package cmd/go)."""
    try:
        found = read_buildinfo(data)
    except GoBuildInfoError:
        return ""
    if found is None or parse_modinfo(found[1]).path != "cmd/go":
        return ""
    return stdlib_version(found[0])


def _java(path: str, data: bytes) -> str:
    """The OpenJDK launcher's full version ('17.0.9+9-Debian-1deb12u1' -> '17.0.9+9')."""
    if b"\x00openjdk\x00" not in data and b"OpenJDK" not in data:
        return ""
    match = _JAVA_RX.search(data)
    if match is None:
        return ""
    return match.group("v").decode("ascii").split("-Debian")[0].split("-Ubuntu")[0]


_JAVA_RX = re.compile(
    rb"\x00(?P<v>(?:1\.8\.0_\d{1,4}(?:-b\d{1,3})?|\d{1,2}(?:\.\d{1,3}){0,3}\+\d{1,3}"
    rb"(?:-[A-Za-z0-9.]+)*))\x00"
)

CLASSIFIERS: tuple[Classifier, ...] = (
    Classifier(
        "python",
        ("**/bin/python2*", "**/bin/python3*", "**/libpython2*.so*", "**/libpython3*.so*"),
        _python,
    ),
    Classifier(
        "node",
        ("**/bin/node", "**/bin/nodejs"),
        _first(
            rb"node\.js/v(?P<v>\d{1,3}\.\d{1,3}\.\d{1,3})\x00",
            rb"nodejs\.org/download/release/v(?P<v>\d{1,3}\.\d{1,3}\.\d{1,3})/",
        ),
    ),
    Classifier("go", ("**/bin/go",), _go_tool),
    Classifier(
        "redis",
        (
            "**/bin/redis-server",
            "**/bin/redis-sentinel",
            "**/bin/redis-check-rdb",
            "**/bin/redis-check-aof",
        ),
        _first(
            rb"(?P<v>\d{1,2}\.\d{1,2}\.\d{1,3})(?:[^\x00\d][^\x00]{0,63}-)?\d{19}\x00",
            marker=b"redis_version:",
        ),
    ),
    Classifier(
        "nginx",
        ("**/sbin/nginx", "**/bin/nginx"),
        _first(rb"\x00nginx/(?P<v>\d{1,3}\.\d{1,3}\.\d{1,3})\x00"),
    ),
    Classifier(
        "openssl",
        ("**/bin/openssl", "**/libssl.so*", "**/libcrypto.so*"),
        _first(
            rb"OpenSSL (?P<v>\d\.\d{1,2}\.\d{1,2}[a-z]{0,2}(?:-(?:alpha|beta)\d{1,2})?)"
            rb"\s{1,2}\d{1,2} [A-Z][a-z]{2} \d{4}"
        ),
    ),
    Classifier(
        "busybox",
        ("**/bin/busybox",),
        _first(rb"BusyBox v(?P<v>\d{1,2}\.\d{1,3}\.\d{1,3})"),
    ),
    Classifier("curl", ("**/bin/curl", "**/libcurl.so*", "**/libcurl-*.so*"), _curl),
    Classifier(
        "openjdk",
        ("**/bin/java", "**/jre/bin/java"),
        _java,
        purl_namespace="oracle",
    ),
)
_BY_NAME = {c.name: c for c in CLASSIFIERS}
_MATCHERS = [(c, GlobMatcher(c.globs)) for c in CLASSIFIERS]
GLOBS = tuple(sorted({g for c in CLASSIFIERS for g in c.globs}))


def reduce_versions(path: str, data: bytes) -> bytes | None:
    """Extractor: the programs (and versions) recognised in one ELF file, as JSON."""
    found = []
    for classifier, rx in _MATCHERS:
        if rx.match(path):
            version = classifier.find(path, data)
            if version:
                found.append({"class": classifier.name, "version": version})
    return encode({"matches": found}) if found else None


def reduce_versions_at(path: str, data: FileData) -> bytes | None:
    """`reduce_versions` of a file left in place: read whole once, as the classifiers search
    all of it (the walk has checked its magic from its first bytes, without a copy of the
    rest behind them)."""
    return reduce_versions(path, data.read_all())


def classified_package(name: str, version: str, path: str, view: FileView) -> Package | None:
    """The package of one classifier match (None for an unknown classifier name)."""
    classifier = _BY_NAME.get(name)
    if classifier is None or not version:
        return None
    product = classifier.purl_name or classifier.name
    return Package(
        product,
        version,
        PACKAGE_TYPE,
        purl("generic", classifier.purl_namespace, product, version),
        CATALOGER,
        (view.location(path),),
        metadata=(("confidence", "low"), ("classifier", f"{name}-binary")),
    )


class BinaryVersionCataloger:
    """Well-known programs and libraries found by version strings (dropped when OS-owned)."""

    name: str = CATALOGER
    version: str = "1"
    globs: Sequence[str] = ()
    scopes = SCOPES
    extractors = (
        Extractor(EXTRACTOR, GLOBS, reduce_versions, magic=ELF_MAGIC, reduce_at=reduce_versions_at),
    )

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """Packages of every recognised program the walk summarised."""
        notices: list[Notice] = []
        packages: list[Package] = []
        for path, summary in view.extracted(EXTRACTOR):
            value = decode(path, summary, notices)
            matches = value.get("matches") if value else None
            for match in matches if isinstance(matches, list) else ():
                if not isinstance(match, dict):
                    continue
                package = classified_package(
                    text(match.get("class"), 40), text(match.get("version"), 100), path, view
                )
                if package is not None:
                    packages.append(package)
        return CatalogResult(merge(packages), tuple(notices))
