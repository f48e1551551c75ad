"""JavaScript packages: installed `node_modules` manifests, and npm / yarn / pnpm lockfiles."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from typing import Any

import msgspec

from sievert.catalog.base import CatalogContext, CatalogResult, ParseResult
from sievert.catalog.lang.common import (
    SCOPE_ALL,
    Parser,
    flags,
    licenses_of,
    load_json,
    load_yaml,
    located,
    make_purl,
    outside,
    parse_files,
    safe_parse,
    unique,
)
from sievert.jsonvalue import as_dict, as_text
from sievert.model import Notice, Package
from sievert.source.view import FileView

INSTALLED = "npm-installed"
LOCK = "npm-lock"
NODE_MODULES = "node_modules"
HIDDEN_LOCK = ".package-lock.json"
_DEP_KEYS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")
_LOCAL_VERSION = re.compile(r"^(?:file|link|workspace|portal|git\+?\w*|https?|github):")


def npm_purl(name: str, version: str) -> str:
    """`pkg:npm/<name>@<version>`, a scope going into the (percent-encoded) namespace."""
    if name.startswith("@") and "/" in name:
        scope, _, base = name.partition("/")
        return make_purl("npm", base, version, scope)
    return make_purl("npm", name, version)


def npm_package(
    name: str,
    version: str,
    cataloger: str,
    *,
    licenses: tuple[str, ...] = (),
    metadata: tuple[tuple[str, str], ...] = (),
) -> Package:
    """An npm Package."""
    return Package(
        name=name,
        version=version,
        type="npm",
        purl=npm_purl(name, version),
        cataloger=cataloger,
        licenses=licenses,
        metadata=metadata,
    )


# installed packages ---------------------------------------------------------------------------
def is_installed_manifest(path: str) -> bool:
    """Whether a package.json is a package's own manifest in a node_modules tree.

    Every step below a `node_modules` must be a package name (`name` or `@scope/name`, or
    pnpm's `.pnpm/<key>` store), so a package's nested `package.json` files (`esm/`, `dist/`)
    and its test fixtures (`test/fixtures/node_modules/x`) are not packages.
    """
    parts = path.split("/")
    if parts[-1] != "package.json" or NODE_MODULES not in parts[:-1]:
        return False
    steps: list[list[str]] = []
    for part in parts[parts.index(NODE_MODULES) : -1]:
        if part == NODE_MODULES:
            steps.append([])
        else:
            steps[-1].append(part)
    return all(_is_package_step(step, last=i == len(steps) - 1) for i, step in enumerate(steps))


def _is_package_step(step: list[str], *, last: bool) -> bool:
    """Whether the components between two `node_modules` name a package (or pnpm store)."""
    if len(step) == 2 and step[0] == ".pnpm" and not last:
        return True
    if len(step) == 1:
        return not step[0].startswith((".", "@"))
    return len(step) == 2 and step[0].startswith("@") and not step[1].startswith(".")


def parse_package_json(data: bytes, where: str) -> ParseResult:
    """The package a manifest describes; nothing when it has no name or version."""
    document, notice = load_json(data, where)
    if notice is not None:
        return ParseResult(notices=[notice])
    fields = as_dict(document)
    name, version = as_text(fields.get("name")), as_text(fields.get("version"))
    if not name or not version:
        return ParseResult()
    licenses = licenses_of(fields.get("license")) or licenses_of(fields.get("licenses"))
    metadata = (("private", "true"),) if fields.get("private") is True else ()
    return ParseResult(
        packages=[npm_package(name, version, INSTALLED, licenses=licenses, metadata=metadata)]
    )


class NpmInstalledCataloger:
    """Packages installed under `node_modules` (nested and scoped), dev flags from npm's
    hidden lockfile `node_modules/.package-lock.json` when present."""

    name: str = INSTALLED
    version: str = "2"
    scopes: tuple[str, ...] = SCOPE_ALL
    globs: Sequence[str] = (
        f"**/{NODE_MODULES}/**/package.json",
        f"**/{NODE_MODULES}/{HIDDEN_LOCK}",
        "**/package.json",
    )

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """One package per installed manifest."""
        packages: list[Package] = []
        notices: list[Notice] = []
        hidden: dict[str, dict[str, Any]] = {}
        for path in view.glob(self.globs[0]):
            data = view.read(path) if is_installed_manifest(path) else None
            if data is None:
                continue
            result = safe_parse(parse_package_json, data, "/" + path)
            notices.extend(result.notices)
            for package in result.packages:
                entry = _hidden_entry(view, path, hidden, notices)
                dev, optional = entry.get("dev") is True, entry.get("optional") is True
                extra = flags(dev=dev, optional=optional)
                marked = msgspec.structs.replace(package, metadata=package.metadata + extra)
                packages.append(located(marked, view, path))
        packages.extend(_app_roots(view, notices))
        return CatalogResult(tuple(packages), tuple(notices))


def _app_roots(view: FileView, notices: list[Notice]) -> list[Package]:
    """The application whose dependencies are installed: a package.json beside `node_modules`.

    syft and trivy list it too (e.g. `/app/package.json`); it is marked ('root', 'true').
    """
    found: list[Package] = []
    for path in view.glob("**/package.json"):
        if NODE_MODULES in path.split("/"):
            continue
        folder = posixpath.join(posixpath.dirname(path), NODE_MODULES)
        record = view.record(folder)
        if record is None or record.kind != "dir":
            continue
        data = view.read(path)
        if data is None:
            continue
        result = safe_parse(parse_package_json, data, "/" + path)
        notices.extend(result.notices)
        for package in result.packages:
            marked = msgspec.structs.replace(
                package, metadata=(*package.metadata, ("root", "true"))
            )
            found.append(located(marked, view, path))
    return found


def _hidden_entry(
    view: FileView, path: str, cache: dict[str, dict[str, Any]], notices: list[Notice]
) -> dict[str, Any]:
    """The hidden lockfile's entry for an installed manifest ({} when there is none)."""
    parts = path.split("/")
    top = parts.index(NODE_MODULES)
    root = "/".join(parts[:top])
    if root not in cache:
        lock_path = posixpath.join(root, NODE_MODULES, HIDDEN_LOCK)
        data = view.read(lock_path)
        document: object = None
        if data is not None:
            document, notice = load_json(data, "/" + lock_path)
            notices.extend([notice] if notice else [])
        cache[root] = as_dict(as_dict(document).get("packages"))
    return as_dict(cache[root].get("/".join(parts[top:-1])))


# package-lock.json ----------------------------------------------------------------------------
def parse_package_lock(data: bytes, where: str) -> ParseResult:
    """Packages of a package-lock.json / npm-shrinkwrap.json, lockfile versions 1, 2 and 3."""
    document, notice = load_json(data, where)
    if notice is not None:
        return ParseResult(notices=[notice])
    fields = as_dict(document)
    packages = as_dict(fields.get("packages"))
    if packages:
        return ParseResult(
            packages=_lock_root(as_dict(packages.get("")), fields) + _lock_v2(packages)
        )
    if "dependencies" in fields:
        dependencies = _lock_v1(as_dict(fields.get("dependencies")))
        return ParseResult(packages=_lock_root({}, fields) + dependencies)
    return ParseResult(notices=[Notice("no 'packages' or 'dependencies': not a lockfile", where)])


def _lock_root(root: dict[str, Any], fields: dict[str, Any]) -> list[Package]:
    """The project the lockfile belongs to, marked ('root', 'true'), as syft lists it."""
    name = as_text(root.get("name")) or as_text(fields.get("name"))
    version = as_text(root.get("version")) or as_text(fields.get("version"))
    if not name or not version or _LOCAL_VERSION.match(version):
        return []
    licenses = licenses_of(root.get("license"))
    return [npm_package(name, version, LOCK, licenses=licenses, metadata=(("root", "true"),))]


def _lock_v2(packages: dict[str, Any]) -> list[Package]:
    """Lockfile v2/v3 `packages`: keys are install paths, '' the root project."""
    root = as_dict(packages.get(""))
    direct = {name for key in _DEP_KEYS for name in as_dict(root.get(key))}
    found: list[Package] = []
    for key, value in packages.items():
        entry = as_dict(value)
        if NODE_MODULES not in key.split("/") or entry.get("link") is True:
            continue  # the root, workspace sources and symlinks to them
        name = as_text(entry.get("name")) or key.rsplit(f"{NODE_MODULES}/", 1)[-1]
        version = as_text(entry.get("version"))
        if not version or _LOCAL_VERSION.match(version):
            continue
        is_direct = key == f"{NODE_MODULES}/{name}" and name in direct
        metadata = _lock_flags(entry, direct=is_direct)
        licenses = licenses_of(entry.get("license"))
        found.append(npm_package(name, version, LOCK, licenses=licenses, metadata=metadata))
    return found


def _lock_v1(dependencies: dict[str, Any]) -> list[Package]:
    """Lockfile v1 `dependencies`, nested `dependencies` walked depth first."""
    found: list[Package] = []
    stack = list(reversed(dependencies.items()))
    while stack:
        name, value = stack.pop()
        entry = as_dict(value)
        version = as_text(entry.get("version"))
        if version and not _LOCAL_VERSION.match(version):
            metadata = _lock_flags(entry, direct=False)
            found.append(npm_package(name, version, LOCK, metadata=metadata))
        stack.extend(reversed(as_dict(entry.get("dependencies")).items()))
    return found


def _lock_flags(entry: dict[str, Any], *, direct: bool) -> tuple[tuple[str, str], ...]:
    """Flags of a package-lock entry; optional ones may be for another platform, not installed."""
    return flags(
        dev=entry.get("dev") is True, direct=direct, optional=entry.get("optional") is True
    )


# yarn.lock ------------------------------------------------------------------------------------
_YARN_VERSION = re.compile(r'^\s+version:?\s+"?([^"\s]+)"?\s*$')
_YARN_RESOLUTION = re.compile(r'^\s+resolution:?\s+"?([^"\s]+)"?\s*$')
_YARN_LOCAL = ("@workspace:", "@patch:", "@link:", "@portal:", "@file:")


def parse_yarn_lock(data: bytes, where: str) -> ParseResult:
    """Packages of a yarn.lock, classic (v1) or berry (v2+, YAML); workspaces left out."""
    result = ParseResult()
    for header, body in _yarn_blocks(data.decode("utf-8", "replace")):
        if header.startswith("__metadata"):
            continue
        name, version, local = _yarn_entry(header, body)
        if not name or not version:
            result.notices.append(Notice(f"entry {header[:80]!r}: no version, skipped", where))
        elif not local:
            result.packages.append(npm_package(name, version, LOCK))
    return result


def _yarn_blocks(text: str) -> list[tuple[str, list[str]]]:
    """(header, indented body lines) of each top-level entry."""
    blocks: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            blocks.append((line.rstrip().rstrip(":"), []))
        elif blocks:
            blocks[-1][1].append(line)
    return blocks


def _yarn_entry(header: str, body: list[str]) -> tuple[str, str, bool]:
    """(name, version, local) of one entry; local: a workspace, patch or link, not a package."""
    version = resolution = ""
    for line in body:
        if match := _YARN_VERSION.match(line):
            version = version or match.group(1)
        elif match := _YARN_RESOLUTION.match(line):
            resolution = match.group(1)
    descriptor = header.split(",")[0].strip().strip('"')
    name = _descriptor_name(resolution or descriptor)
    local = any(m in resolution or m in descriptor for m in _YARN_LOCAL)
    return name, version, local


def _descriptor_name(descriptor: str) -> str:
    """Package name of `name@range`, `@scope/name@npm:range` or an `alias@npm:real@range`."""
    at = descriptor.find("@", 1)
    if at < 0:
        return descriptor
    name, rest = descriptor[:at], descriptor[at + 1 :]
    if rest.startswith("npm:") and rest.find("@", 5) > 0:
        return rest[4 : rest.find("@", 5)]  # alias: the real package's name
    return name


# pnpm-lock.yaml -------------------------------------------------------------------------------
def parse_pnpm_lock(data: bytes, where: str) -> ParseResult:
    """Packages of a pnpm-lock.yaml, lockfile versions 5 to 9."""
    document, notice = load_yaml(data, where)
    if notice is not None:
        return ParseResult(notices=[notice])
    fields = as_dict(document)
    if "lockfileVersion" not in fields:
        return ParseResult(notices=[Notice("no lockfileVersion: not a pnpm lockfile", where)])
    importers = [as_dict(i) for i in as_dict(fields.get("importers")).values()] or [fields]
    prod, dev_direct = _direct_names(importers)
    slash_form = as_text(fields.get("lockfileVersion")).startswith("5")
    result = ParseResult()
    entries = {**as_dict(fields.get("snapshots")), **as_dict(fields.get("packages"))}
    for key, value in entries.items():
        entry = as_dict(value)
        name, version = _pnpm_key(str(key), slash_form=slash_form)
        name = as_text(entry.get("name")) or name
        version = as_text(entry.get("version")) or version
        if not name or not version or _LOCAL_VERSION.match(version):
            continue
        dev = entry.get("dev") is True or name in dev_direct
        metadata = flags(dev=dev, direct=name in prod or name in dev_direct)
        licenses = licenses_of(entry.get("license"))
        result.packages.append(
            npm_package(name, version, LOCK, licenses=licenses, metadata=metadata)
        )
    return ParseResult(unique(result.packages), result.notices)


def _direct_names(projects: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    """(direct names, direct dev-only names) of a lockfile's projects (importers, workspaces)."""
    prod = {
        n
        for project in projects
        for key in _DEP_KEYS
        if key != "devDependencies"
        for n in as_dict(project.get(key))
    }
    dev = {n for project in projects for n in as_dict(project.get("devDependencies"))}
    return prod, dev - prod


def _pnpm_key(key: str, *, slash_form: bool) -> tuple[str, str]:
    """(name, version) of a packages/snapshots key, peer suffix stripped.

    v5: `/a/1.0.0_react@17.0.2` (`registry.host/a/1.0.0` for another registry); v6:
    `/a@1.0.0(react@17.0.2)`; v9: `a@1.0.0(react@17.0.2)`.
    """
    key = key.lstrip("/")
    if slash_form:
        head, _, version = key.rpartition("/")
        scope_at = head.rfind("/@")
        if head.startswith("@"):
            name = head
        else:
            name = head[scope_at + 1 :] if scope_at >= 0 else head.rpartition("/")[2]
        return name, version.split("_", 1)[0]
    key = key.split("(", 1)[0]
    at = key.find("@", 1)
    return (key[:at], key[at + 1 :].split("_", 1)[0]) if at > 0 else ("", "")


# bun.lock -------------------------------------------------------------------------------------
_TRAILING_COMMA = re.compile(r'("(?:\\.|[^"\\])*")|,(\s*[}\]])')


def parse_bun_lock(data: bytes, where: str) -> ParseResult:
    """Packages of a bun.lock (text format: JSON with trailing commas).

    `packages` maps an install path (`express`, `send/ms`) to `[ident, registry, info,
    integrity]` with ident `name@version`; workspace, link, file and git idents are not
    registry packages and are left out.
    """
    text = data.decode("utf-8-sig", "replace")
    plain = _TRAILING_COMMA.sub(lambda m: m.group(1) or m.group(2), text)
    document, notice = load_json(plain.encode(), where)
    if notice is not None:
        return ParseResult(notices=[notice])
    fields = as_dict(document)
    if "lockfileVersion" not in fields:
        return ParseResult(notices=[Notice("no lockfileVersion: not a bun.lock", where)])
    workspaces = [as_dict(w) for w in as_dict(fields.get("workspaces")).values()]
    prod, dev = _direct_names(workspaces)
    result = ParseResult()
    for key, value in as_dict(fields.get("packages")).items():
        entry = value if isinstance(value, list) else []
        ident = as_text(entry[0]) if entry else ""
        at = ident.find("@", 1)
        name, version = (ident[:at], ident[at + 1 :]) if at > 0 else ("", "")
        if not name or not version:
            result.notices.append(Notice(f"entry {str(key)[:80]!r}: no name@version", where))
            continue
        if _LOCAL_VERSION.match(version) or ":" in version:
            continue
        top = str(key) == name
        metadata = flags(dev=top and name in dev, direct=top and (name in prod or name in dev))
        result.packages.append(npm_package(name, version, LOCK, metadata=metadata))
    return ParseResult(unique(result.packages), result.notices)


class NpmLockCataloger:
    """npm, yarn, pnpm and bun lockfiles, in source trees and images (declared packages)."""

    name: str = LOCK
    version: str = "2"
    scopes: tuple[str, ...] = SCOPE_ALL
    declared: bool = True
    parsers: tuple[tuple[str, Parser], ...] = (
        ("**/package-lock.json", parse_package_lock),
        ("**/npm-shrinkwrap.json", parse_package_lock),
        ("**/yarn.lock", parse_yarn_lock),
        ("**/pnpm-lock.yaml", parse_pnpm_lock),
        ("**/bun.lock", parse_bun_lock),
    )
    globs: Sequence[str] = tuple(glob for glob, _ in parsers)

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """Packages of every lockfile outside node_modules, each with its file's location."""
        return parse_files(view, self.parsers, outside(NODE_MODULES))
