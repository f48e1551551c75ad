""".NET packages: `*.deps.json` of built applications, NuGet packages.lock.json and
packages.config files."""

from __future__ import annotations

from collections.abc import Sequence

from sievert.catalog.base import CatalogContext, CatalogResult, ParseResult
from sievert.catalog.lang.common import (
    SCOPE_ALL,
    Parser,
    children,
    flags,
    load_json,
    load_xml,
    local_name,
    make_purl,
    parse_files,
)
from sievert.jsonvalue import as_dict, as_text
from sievert.model import Notice, Package
from sievert.source.view import FileView

DEPS = "dotnet-deps"
LOCK = "nuget-lock"


def nuget_package(
    name: str, version: str, cataloger: str, metadata: tuple[tuple[str, str], ...] = ()
) -> Package:
    """A nuget Package."""
    return Package(
        name=name,
        version=version,
        type="nuget",
        purl=make_purl("nuget", name, version),
        cataloger=cataloger,
        metadata=metadata,
    )


def parse_deps_json(data: bytes, where: str) -> ParseResult:
    """Libraries of type 'package' of a deps.json; direct ones are the project's dependencies."""
    document, notice = load_json(data, where)
    if notice is not None:
        return ParseResult(notices=[notice])
    fields = as_dict(document)
    libraries = as_dict(fields.get("libraries"))
    if not libraries and "targets" not in fields:
        return ParseResult(notices=[Notice("no 'libraries': not a deps.json", where)])
    direct = _project_dependencies(fields, libraries)
    result = ParseResult()
    for key, value in libraries.items():
        if as_text(as_dict(value).get("type")) != "package":
            continue
        name, _, version = key.rpartition("/")
        if not name or not version:
            result.notices.append(Notice(f"library {key!r}: not name/version, skipped", where))
            continue
        metadata = flags(direct=name.lower() in direct)
        result.packages.append(nuget_package(name, version, DEPS, metadata))
    return result


def _project_dependencies(fields: dict[str, object], libraries: dict[str, object]) -> set[str]:
    """Lower-cased names the project libraries depend on, over every target."""
    projects = {k for k, v in libraries.items() if as_text(as_dict(v).get("type")) == "project"}
    names: set[str] = set()
    for target in as_dict(fields.get("targets")).values():
        for key, value in as_dict(target).items():
            if key in projects:
                names.update(n.lower() for n in as_dict(as_dict(value).get("dependencies")))
    return names


def parse_packages_lock(data: bytes, where: str) -> ParseResult:
    """Resolved packages of a NuGet packages.lock.json, every target framework merged."""
    document, notice = load_json(data, where)
    if notice is not None:
        return ParseResult(notices=[notice])
    frameworks = as_dict(as_dict(document).get("dependencies"))
    if not frameworks:
        return ParseResult(notices=[Notice("no 'dependencies': not a packages.lock.json", where)])
    result = ParseResult()
    for packages in frameworks.values():
        for name, value in as_dict(packages).items():
            entry = as_dict(value)
            kind, version = as_text(entry.get("type")), as_text(entry.get("resolved"))
            if kind == "Project" or not version:
                continue
            metadata = flags(direct=kind == "Direct")
            result.packages.append(nuget_package(name, version, LOCK, metadata))
    return result


class DotnetDepsCataloger:
    """NuGet packages a built .NET application references in its `*.deps.json`."""

    name: str = DEPS
    version: str = "1"
    scopes: tuple[str, ...] = SCOPE_ALL
    globs: Sequence[str] = ("**/*.deps.json",)

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """Packages of every deps.json."""
        return parse_files(view, [(self.globs[0], parse_deps_json)])


def parse_packages_config(data: bytes, where: str) -> ParseResult:
    """Packages of a classic NuGet `packages.config` (`<package id version .../>`);
    `developmentDependency="true"` marks dev."""
    root, notice = load_xml(data, where)
    if root is None:
        return ParseResult(notices=[notice] if notice else [])
    if local_name(root) != "packages":
        return ParseResult(notices=[Notice("root element is not <packages>", where)])
    result = ParseResult()
    for element in children(root, "package"):
        name, version = element.get("id", "").strip(), element.get("version", "").strip()
        if not name or not version:
            result.notices.append(Notice(f"package {name or '(no id)'}: no id or version", where))
            continue
        dev = element.get("developmentDependency", "").lower() == "true"
        framework = element.get("targetFramework", "")
        metadata = flags(dev=dev) + ((("target_framework", framework),) if framework else ())
        result.packages.append(nuget_package(name, version, LOCK, metadata))
    return result


class NugetLockCataloger:
    """NuGet packages.lock.json and packages.config files, in source trees and images."""

    name: str = LOCK
    version: str = "2"
    scopes: tuple[str, ...] = SCOPE_ALL
    declared: bool = True
    parsers: tuple[tuple[str, Parser], ...] = (
        ("**/packages.lock.json", parse_packages_lock),
        ("**/packages.config", parse_packages_config),
    )
    globs: Sequence[str] = tuple(glob for glob, _ in parsers)

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """Packages of every packages.lock.json and packages.config."""
        return parse_files(view, self.parsers)
