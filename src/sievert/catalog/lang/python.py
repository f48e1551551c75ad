"""Python packages: installed dist-info / egg-info metadata, and lockfiles of source trees."""

from __future__ import annotations

import io
import posixpath
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from sievert.catalog.base import CatalogContext, CatalogResult, ParseResult
from sievert.catalog.lang.common import (
    SCOPE_ALL,
    SCOPE_DIR,
    Parser,
    flags,
    load_json,
    load_toml,
    located,
    make_purl,
    missing,
    outside,
    parse_files,
    safe_parse,
)
from sievert.jsonvalue import as_dict, as_list, as_text
from sievert.model import Notice, Package
from sievert.source.view import FileView
from sievert.versions.names import pep503

if TYPE_CHECKING:
    from email.message import Message

INSTALLED = "python-installed"
LOCK = "python-lock"
MAX_LICENSE_FIELD = 100
"""A longer `License:` value is the licence's full text, not its name."""

_OPTION = re.compile(r"\s--?[a-z][\w-]*(?:[ =]\S+)?", re.IGNORECASE)
_INCLUDE = ("-r", "--requirement", "-c", "--constraint")


def pypi_package(
    name: str,
    version: str,
    cataloger: str,
    *,
    licenses: tuple[str, ...] = (),
    metadata: tuple[tuple[str, str], ...] = (),
    files: tuple[str, ...] = (),
) -> Package:
    """A pypi Package; the name is kept as written, the purl's is normalised."""
    return Package(
        name=name,
        version=version,
        type="pypi",
        purl=make_purl("pypi", pep503(name), version),
        cataloger=cataloger,
        licenses=licenses,
        metadata=metadata,
        files=files,
    )


# installed metadata ---------------------------------------------------------------------------
def parse_pkg_info(data: bytes, where: str) -> ParseResult:
    """One installed package from a METADATA / PKG-INFO file (RFC 822 style headers)."""
    from email.parser import HeaderParser  # loads when an image holds Python packages
    from email.policy import compat32

    text = data.decode("utf-8", "replace")
    message = HeaderParser(policy=compat32).parsestr(text, headersonly=True)
    name, version = _header(message, "Name"), _header(message, "Version")
    if not name or not version:
        return ParseResult(notices=[missing(name, version, "metadata of", where)])
    package = pypi_package(name, version, INSTALLED, licenses=metadata_licenses(message))
    return ParseResult(packages=[package])


def _header(message: Message, key: str) -> str:
    """One header's value, stripped ('' when absent)."""
    value = message.get(key)
    return str(value).strip() if value is not None else ""


def metadata_licenses(message: Message) -> tuple[str, ...]:
    """License-Expression, else a short License field, else the licence classifiers."""
    expression = _header(message, "License-Expression")
    if expression:
        return (expression,)
    field = _header(message, "License")
    short = "\n" not in field and len(field) <= MAX_LICENSE_FIELD
    if field and short and field.upper() != "UNKNOWN":
        return (field,)
    found: list[str] = []
    for classifier in message.get_all("Classifier") or []:
        parts = [p.strip() for p in str(classifier).split("::")]
        if len(parts) > 1 and parts[0] == "License" and parts[-1] != "OSI Approved":
            found.append(parts[-1])
    return tuple(dict.fromkeys(found))


def parse_record(data: bytes, site_dir: str) -> tuple[str, ...]:
    """Owned files of a dist-info RECORD (CSV, paths relative to site-packages), absolute."""
    import csv  # only images with Python packages need it

    text = data.decode("utf-8", "replace")
    prefix, normpath = _prefix(site_dir), posixpath.normpath
    paths: list[str] = []
    for row in csv.reader(io.StringIO(text)):
        name = row[0].strip() if row else ""
        if name:  # normpath(join(site_dir, name)), without join's work on every row
            paths.append(normpath(name if name.startswith("/") else prefix + name))
    return tuple(paths)


def parse_installed_files(data: bytes, egg_info_dir: str) -> tuple[str, ...]:
    """Owned files of an egg-info `installed-files.txt` (paths relative to the egg-info dir)."""
    lines = data.decode("utf-8", "replace").splitlines()
    prefix, normpath = _prefix(egg_info_dir), posixpath.normpath
    names = (line.strip() for line in lines)
    return tuple(normpath(n if n.startswith("/") else prefix + n) for n in names if n)


def _prefix(directory: str) -> str:
    """What `posixpath.join(directory, name)` puts before a relative name."""
    return directory if not directory or directory.endswith("/") else directory + "/"


class PythonInstalledCataloger:
    """Installed Python distributions: `.dist-info`, `.egg-info` (dir or file) and `.egg` dirs."""

    name: str = INSTALLED
    version: str = "1"
    scopes: tuple[str, ...] = SCOPE_ALL
    globs: Sequence[str] = (
        "**/*.dist-info/METADATA",
        "**/*.dist-info/RECORD",
        "**/*.egg-info/PKG-INFO",
        "**/*.egg-info/installed-files.txt",
        "**/*.egg-info",
        "**/*.egg/EGG-INFO/PKG-INFO",
    )
    _metadata_globs = (
        "**/*.dist-info/METADATA",
        "**/*.egg-info/PKG-INFO",
        "**/*.egg-info",
        "**/*.egg/EGG-INFO/PKG-INFO",
    )

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """One package per metadata file, with owned files from RECORD / installed-files.txt."""
        packages: list[Package] = []
        notices: list[Notice] = []
        for glob in self._metadata_globs:
            for path in view.glob(glob):
                data = view.read(path)
                if data is None:
                    continue
                result = safe_parse(parse_pkg_info, data, "/" + path)
                notices.extend(result.notices)
                packages.extend(_installed(view, path, p) for p in result.packages)
        return CatalogResult(tuple(packages), tuple(notices))


def _installed(view: FileView, path: str, package: Package) -> Package:
    """Add owned files, the direct flag (pip's REQUESTED marker) and locations."""
    meta_dir = posixpath.dirname(path)
    owned_path = ""
    files: tuple[str, ...] = ()
    if meta_dir.endswith(".dist-info"):
        owned_path = f"{meta_dir}/RECORD"
        record = view.read(owned_path)
        if record is not None:
            files = parse_record(record, "/" + posixpath.dirname(meta_dir))
    elif meta_dir.endswith(".egg-info"):
        owned_path = f"{meta_dir}/installed-files.txt"
        listing = view.read(owned_path)
        if listing is not None:
            files = parse_installed_files(listing, "/" + meta_dir)
    paths = [path] + ([owned_path] if files else [])
    requested = meta_dir.endswith(".dist-info") and view.record(f"{meta_dir}/REQUESTED")
    metadata = flags(direct=bool(requested))
    return msgspec.structs.replace(located(package, view, *paths), files=files, metadata=metadata)


# requirements files ---------------------------------------------------------------------------
def parse_requirements(data: bytes, where: str) -> ParseResult:
    """Pinned (`==` / `===`) requirements of a pip requirements file; includes are noticed."""
    result = ParseResult()
    for number, line in _logical_lines(data.decode("utf-8", "replace")):
        if line.startswith(_INCLUDE):
            result.notices.append(
                Notice(f"line {number}: include {line!r} not followed", where, "info")
            )
            continue
        if line.startswith("-"):
            continue  # -e, --index-url, --hash on its own line...
        package, notice = _requirement(line, number, where)
        if package is not None:
            result.packages.append(package)
        if notice is not None:
            result.notices.append(notice)
    return result


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) with continuations joined and comments dropped."""
    lines: list[tuple[int, str]] = []
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not buffer:
            start = number
        if raw.endswith("\\"):
            buffer += raw[:-1] + " "
            continue
        line = re.sub(r"(^|\s)#.*$", "", buffer + raw).strip()
        buffer = ""
        if line:
            lines.append((start, line))
    return lines


def _requirement(line: str, number: int, where: str) -> tuple[Package | None, Notice | None]:
    """A package for a pinned requirement line; a notice when the line cannot be parsed."""
    from packaging.requirements import InvalidRequirement, Requirement  # lockfile scans only

    text = _OPTION.sub("", " " + line).strip()
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        return None, Notice(f"line {number}: not a requirement ({exc})", where)
    specs = list(requirement.specifier)
    if len(specs) != 1 or specs[0].operator not in ("==", "===") or "*" in specs[0].version:
        return None, None
    metadata: list[tuple[str, str]] = []
    if requirement.extras:
        metadata.append(("extras", ",".join(sorted(requirement.extras))))
    if requirement.marker is not None:
        metadata.append(("markers", str(requirement.marker)))
    package = pypi_package(requirement.name, specs[0].version, LOCK, metadata=tuple(metadata))
    return package, None


# lockfiles ------------------------------------------------------------------------------------
def parse_poetry_lock(data: bytes, where: str) -> ParseResult:
    """Packages of a poetry.lock (`category = "dev"` or groups without 'main' mark dev)."""
    document, notice = load_toml(data, where)
    if document is None:
        return ParseResult(notices=[notice] if notice else [])
    result = ParseResult()
    for entry in as_list(document.get("package")):
        fields = as_dict(entry)
        groups = [as_text(g) for g in as_list(fields.get("groups"))]
        dev = as_text(fields.get("category")) == "dev" or bool(groups and "main" not in groups)
        _add_locked(result, fields, where, dev=dev)
    return result


def parse_pdm_lock(data: bytes, where: str) -> ParseResult:
    """Packages of a pdm.lock (groups without 'default' mark dev)."""
    document, notice = load_toml(data, where)
    if document is None:
        return ParseResult(notices=[notice] if notice else [])
    result = ParseResult()
    for entry in as_list(document.get("package")):
        fields = as_dict(entry)
        groups = [as_text(g) for g in as_list(fields.get("groups"))]
        _add_locked(result, fields, where, dev=bool(groups and "default" not in groups))
    return result


def parse_uv_lock(data: bytes, where: str) -> ParseResult:
    """Packages of a uv.lock; the project itself (editable / virtual source) is left out."""
    document, notice = load_toml(data, where)
    if document is None:
        return ParseResult(notices=[notice] if notice else [])
    entries = [as_dict(e) for e in as_list(document.get("package"))]
    roots = [e for e in entries if _uv_is_root(e)]
    direct = {pep503(n) for root in roots for n in _uv_names(root.get("dependencies"))}
    dev_only = {
        pep503(n)
        for root in roots
        for group in as_dict(root.get("dev-dependencies")).values()
        for n in _uv_names(group)
    } - direct
    result = ParseResult()
    for fields in entries:
        if _uv_is_root(fields):
            continue
        key = pep503(as_text(fields.get("name")))
        is_dev = key in dev_only
        _add_locked(result, fields, where, dev=is_dev, direct=key in direct or is_dev)
    return result


def _uv_is_root(fields: dict[str, Any]) -> bool:
    """Whether a uv.lock entry is a workspace project (editable or virtual source)."""
    source = as_dict(fields.get("source"))
    return "editable" in source or "virtual" in source


def _uv_names(value: object) -> list[str]:
    """Names of a uv.lock dependency list ([{name = "x"}, ...])."""
    return [as_text(as_dict(d).get("name")) for d in as_list(value) if as_dict(d).get("name")]


def _add_locked(
    result: ParseResult, fields: dict[str, Any], where: str, *, dev: bool, direct: bool = False
) -> None:
    """Append one lockfile entry (or a notice when it lacks a name or version)."""
    name, version = as_text(fields.get("name")), as_text(fields.get("version"))
    if not name or not version:
        result.notices.append(missing(name, version, "locked package", where))
        return
    result.packages.append(
        pypi_package(name, version, LOCK, metadata=flags(dev=dev, direct=direct))
    )


def parse_pipfile_lock(data: bytes, where: str) -> ParseResult:
    """Packages of a Pipfile.lock: 'default' and 'develop' (dev) sections, `==` versions."""
    document, notice = load_json(data, where)
    if notice is not None:
        return ParseResult(notices=[notice])
    result = ParseResult()
    for section, dev in (("default", False), ("develop", True)):
        for name, entry in as_dict(as_dict(document).get(section)).items():
            version = as_text(as_dict(entry).get("version"))
            if version.startswith("=="):
                result.packages.append(
                    pypi_package(name, version[2:].strip(), LOCK, metadata=flags(dev=dev))
                )
    return result


class PythonLockCataloger:
    """Python requirements and lockfiles of a source tree (directory scans only)."""

    name: str = LOCK
    version: str = "1"
    scopes: tuple[str, ...] = SCOPE_DIR
    parsers: tuple[tuple[str, Parser], ...] = (
        ("**/requirements*.txt", parse_requirements),
        ("**/requirements/*.txt", parse_requirements),
        ("**/poetry.lock", parse_poetry_lock),
        ("**/Pipfile.lock", parse_pipfile_lock),
        ("**/uv.lock", parse_uv_lock),
        ("**/pdm.lock", parse_pdm_lock),
    )
    globs: Sequence[str] = tuple(glob for glob, _ in parsers)

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """Packages of every requirements file and lockfile, each with its file's location."""
        return parse_files(view, self.parsers)


# pylock.toml (PEP 751) ------------------------------------------------------------------------
PYLOCK = "python-pylock"
_PYLOCK_SOURCES = ("vcs", "directory", "archive", "sdist", "wheels")


def parse_pylock(data: bytes, where: str) -> ParseResult:
    """Packages of a PEP 751 lock file (`pylock.toml`, `pylock.<name>.toml`).

    Every `[[packages]]` entry with a version is listed; one installed from a VCS or a
    local directory has no version (PEP 751 leaves it out) and becomes a notice.
    """
    document, notice = load_toml(data, where)
    if document is None:
        return ParseResult(notices=[notice] if notice else [])
    if "lock-version" not in document:
        return ParseResult(notices=[Notice("no lock-version: not a PEP 751 lock file", where)])
    result = ParseResult()
    for entry in as_list(document.get("packages")):
        fields = as_dict(entry)
        name, version = as_text(fields.get("name")), as_text(fields.get("version"))
        if not name or not version:
            source = next((s for s in _PYLOCK_SOURCES if s in fields), "no source")
            what = f"locked package {name or '(no name)'} ({source})"
            result.notices.append(Notice(f"{what}: no version, not matched", where))
            continue
        metadata = (("index", as_text(fields.get("index"))),) if fields.get("index") else ()
        result.packages.append(pypi_package(name, version, PYLOCK, metadata=metadata))
    return result


class PylockCataloger:
    """PEP 751 `pylock.toml` lock files, in source trees and images (declared packages)."""

    name: str = PYLOCK
    version: str = "1"
    scopes: tuple[str, ...] = SCOPE_ALL
    declared: bool = True
    globs: Sequence[str] = ("**/pylock.toml", "**/pylock.*.toml")

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """Packages of every pylock file outside virtual environments' site-packages."""
        parsers = [(glob, parse_pylock) for glob in self.globs]
        return parse_files(view, parsers, outside("site-packages"))
