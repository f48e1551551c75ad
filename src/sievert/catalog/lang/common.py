"""Shared plumbing of the language catalogers: file loops, locations, purls, lenient decoders."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from sievert.catalog.base import CatalogResult, ParseResult
from sievert.catalog.memo import reuse
from sievert.catalog.purl import purl_string
from sievert.errors import LimitError
from sievert.jsonvalue import as_dict, as_text
from sievert.limits import jsonload
from sievert.model import Location, Notice, Package
from sievert.source.view import FileView

if TYPE_CHECKING:  # XML and TOML parsers load when a manifest or lockfile is read
    from xml.etree.ElementTree import Element

SCOPE_ALL: tuple[str, ...] = ("image", "directory")
"""Installed-package data: meaningful in images and in source trees."""
SCOPE_DIR: tuple[str, ...] = ("directory",)
"""Lockfiles and manifests: only reported when scanning a source tree."""

Parser = Callable[[bytes, str], ParseResult]
"""A pure parser: file bytes and the file's path (for notices) to packages."""

_RECOVERABLE = (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError)


def make_purl(kind: str, name: str, version: str, namespace: str = "") -> str:
    """Serialise a purl (`pkg:<kind>/<namespace>/<name>@<version>`), percent-encoding as needed."""
    return purl_string(kind, namespace or None, name, version or None)


def flags(
    *, dev: bool = False, direct: bool = False, optional: bool = False
) -> tuple[tuple[str, str], ...]:
    """Metadata pairs for the direct, dev and optional dependency flags that are set."""
    pairs: list[tuple[str, str]] = []
    if direct:
        pairs.append(("direct", "true"))
    if dev:
        pairs.append(("dev", "true"))
    if optional:
        pairs.append(("optional", "true"))
    return tuple(pairs)


def located(package: Package, view: FileView, *paths: str) -> Package:
    """The package with locations (and so layers) of the files it was read from."""
    return msgspec.structs.replace(package, locations=locations_of(view, *paths))


def locations_of(view: FileView, *paths: str) -> tuple[Location, ...]:
    """Where the files are (symlinks followed), with the layers that wrote them."""
    return tuple(view.location(view.resolve(p) or p) for p in paths)


def safe_parse(parser: Parser, data: bytes, where: str) -> ParseResult:
    """Run a parser (or reuse its result on these bytes, see `catalog.memo`); a bug-shaped
    failure on hostile input becomes a notice, not a crash."""
    return reuse(parser, where, data, lambda: _guarded(parser, data, where))


def _guarded(parser: Parser, data: bytes, where: str) -> ParseResult:
    try:
        return parser(data, where)
    except _RECOVERABLE as exc:
        return ParseResult(notices=[Notice(f"could not parse ({exc!r:.200})", where)])


def parse_files(
    view: FileView,
    parsers: Sequence[tuple[str, Parser]],
    accept: Callable[[str], bool] | None = None,
) -> CatalogResult:
    """Run each (glob, parser) over matching files, each file once; repeats in a file dropped."""
    packages: list[Package] = []
    notices: list[Notice] = []
    seen: set[str] = set()
    for glob, parser in parsers:
        for path in view.glob(glob):
            if path in seen or (accept is not None and not accept(path)):
                continue
            seen.add(path)
            data = view.read(path)
            if data is None:
                continue
            result = safe_parse(parser, data, "/" + path)
            notices.extend(result.notices)
            where = locations_of(view, path)
            packages.extend(
                msgspec.structs.replace(p, locations=where) for p in unique(result.packages)
            )
    return CatalogResult(tuple(packages), tuple(notices))


def unique(packages: Iterable[Package]) -> list[Package]:
    """Packages with duplicate (name, version) dropped, first kept (lockfiles repeat entries)."""
    seen: set[tuple[str, str]] = set()
    kept: list[Package] = []
    for package in packages:
        if (package.name, package.version) not in seen:
            seen.add((package.name, package.version))
            kept.append(package)
    return kept


# lenient decoding -----------------------------------------------------------------------------
def load_json(data: bytes, where: str) -> tuple[Any, Notice | None]:
    """Decoded JSON, or (None, notice) when the file is not valid JSON."""
    try:
        return jsonload.loads(data.decode("utf-8-sig"), where), None
    except (UnicodeDecodeError, json.JSONDecodeError, LimitError) as exc:
        return None, Notice(f"not valid JSON: {exc}", where)


def load_toml(data: bytes, where: str) -> tuple[dict[str, Any] | None, Notice | None]:
    """Decoded TOML, or (None, notice) when the file is not valid TOML."""
    import tomllib

    try:
        return tomllib.loads(data.decode("utf-8-sig")), None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        return None, Notice(f"not valid TOML: {exc}", where)


def load_yaml(data: bytes, where: str) -> tuple[Any, Notice | None]:
    """Decoded YAML (safe loader), or (None, notice) when the file is not valid YAML."""
    import yaml  # only lockfiles in directory scans need it

    from sievert.limits import yamlload

    try:
        return yamlload.load(data, where), None
    except (yaml.YAMLError, LimitError) as exc:
        return None, Notice(f"not valid YAML: {str(exc)[:200]}", where)


def load_xml(data: bytes, where: str) -> tuple[Element | None, Notice | None]:
    """The root element, or (None, notice): malformed, or a DTD (no entities, no XXE)."""
    from xml.etree.ElementTree import ParseError

    import defusedxml
    import defusedxml.ElementTree

    try:
        return defusedxml.ElementTree.fromstring(data, forbid_dtd=True), None
    except defusedxml.DefusedXmlException as exc:
        return None, Notice(f"XML refused: {type(exc).__name__}", where)
    except (ParseError, ValueError, LookupError, RecursionError) as exc:
        return None, Notice(f"not valid XML: {str(exc)[:200]}", where)


def local_name(element: Element) -> str:
    """An element's tag without its `{namespace}`."""
    return str(element.tag).rpartition("}")[2]


def children(element: Element | None, name: str) -> list[Element]:
    """Child elements with this local name, whatever their namespace."""
    return [] if element is None else [c for c in element if local_name(c) == name]


def child_text(element: Element | None, name: str) -> str:
    """The stripped text of the first child with this local name ('' when absent)."""
    found = children(element, name)
    return (found[0].text or "").strip() if found else ""


def licenses_of(value: object) -> tuple[str, ...]:
    """Licences from a manifest field: a string, {"type": ...}, or a list of either."""
    items = value if isinstance(value, list) else [value]
    found: list[str] = []
    for item in items:
        text = as_text(item) or as_text(as_dict(item).get("type"))
        if text:
            found.append(text)
    return tuple(dict.fromkeys(found))


def missing(name: str, version: str, what: str, where: str) -> Notice:
    """A notice for an entry skipped for lack of a name or version."""
    return Notice(f"{what} {name or '(no name)'}: no name or version, skipped", where)


def outside(*dirs: str) -> Callable[[str], bool]:
    """A path filter rejecting files under any directory with one of these names."""
    names = frozenset(dirs)
    return lambda path: names.isdisjoint(path.split("/")[:-1])
