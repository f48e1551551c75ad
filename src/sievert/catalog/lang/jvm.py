"""JVM declared dependencies: Maven `pom.xml` and Gradle dependency lockfiles."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sievert.catalog.base import CatalogContext, CatalogResult, ParseResult
from sievert.catalog.lang.common import (
    SCOPE_ALL,
    child_text,
    children,
    flags,
    load_xml,
    local_name,
    make_purl,
    outside,
    parse_files,
)

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element
from sievert.model import Notice, Package
from sievert.source.view import FileView

POM = "maven-pom"
GRADLE = "gradle-lock"
_PROPERTY = re.compile(r"\$\{([^}]+)\}")
_MAX_ROUNDS = 10
"""Property references resolved through at most this many levels (cycles stop there)."""
_RANGE = re.compile(r"^[\[(].*[\])]$")


def maven_package(
    group: str, artifact: str, version: str, cataloger: str, metadata: tuple[tuple[str, str], ...]
) -> Package:
    """A maven Package named `group:artifact`, as the Java archive cataloger names them."""
    return Package(
        name=f"{group}:{artifact}" if group else artifact,
        version=version,
        type="maven",
        purl=make_purl("maven", artifact, version, group),
        cataloger=cataloger,
        metadata=metadata,
    )


# pom.xml --------------------------------------------------------------------------------------
def parse_pom(data: bytes, where: str) -> ParseResult:
    """Declared dependencies of a pom.xml, versions resolved inside this file only.

    `${...}` comes from `<properties>`, the project's own coordinates and its `<parent>`;
    a missing version from `<dependencyManagement>`. What stays unresolved (a property of
    another file, a BOM import, a version range) becomes a notice, never a guess.
    """
    root, notice = load_xml(data, where)
    if root is None:
        return ParseResult(notices=[notice] if notice else [])
    if local_name(root) != "project":
        return ParseResult(notices=[Notice("root element is not <project>: not a POM", where)])
    properties = _pom_properties(root)
    managed = {
        _coordinates(dep, properties)[:2]: _resolve(child_text(dep, "version"), properties)
        for dep in _dependencies(_first(root, "dependencyManagement"))
    }
    result = ParseResult()
    for dep in _dependencies(root):
        group, artifact = _coordinates(dep, properties)[:2]
        version = _resolve(child_text(dep, "version"), properties) or managed.get(
            (group, artifact), ""
        )
        label = f"{group}:{artifact}"
        if not artifact:
            result.notices.append(Notice("dependency without artifactId, skipped", where))
        elif not version or "${" in version or _RANGE.match(version):
            shown = version or "no version in this file"
            result.notices.append(
                Notice(f"dependency {label}: version unresolved ({shown})", where)
            )
        else:
            scope = child_text(dep, "scope")
            meta = flags(dev=scope == "test", optional=child_text(dep, "optional") == "true")
            extra = (("scope", scope),) if scope else ()
            result.packages.append(maven_package(group, artifact, version, POM, meta + extra))
    return result


def _first(element: Element, name: str) -> Element | None:
    found = children(element, name)
    return found[0] if found else None


def _dependencies(element: Element | None) -> list[Element]:
    """The `<dependency>` elements of an element's `<dependencies>`."""
    return [d for deps in children(element, "dependencies") for d in children(deps, "dependency")]


def _coordinates(element: Element, properties: dict[str, str]) -> tuple[str, str, str]:
    """(groupId, artifactId, version) of an element, properties resolved."""
    return (
        _resolve(child_text(element, "groupId"), properties),
        _resolve(child_text(element, "artifactId"), properties),
        _resolve(child_text(element, "version"), properties),
    )


def _pom_properties(root: Element) -> dict[str, str]:
    """`<properties>` plus the project and parent coordinates under Maven's names."""
    properties = {
        local_name(p): (p.text or "").strip()
        for props in children(root, "properties")
        for p in props
    }
    parent = _first(root, "parent")
    coordinates = {"groupId": "", "artifactId": "", "version": ""}
    if parent is not None:
        for key in coordinates:
            coordinates[key] = child_text(parent, key)
            properties[f"project.parent.{key}"] = coordinates[key]
            properties[f"parent.{key}"] = coordinates[key]
    for key in coordinates:
        own = child_text(root, key) or (coordinates[key] if key != "artifactId" else "")
        for prefix in ("project.", "pom.", ""):
            properties.setdefault(f"{prefix}{key}", own)
    return properties


def _resolve(value: str, properties: dict[str, str]) -> str:
    """`${name}` references replaced from properties, nested ones too, unknown ones kept."""
    for _ in range(_MAX_ROUNDS):
        if "${" not in value:
            return value
        replaced = _PROPERTY.sub(lambda m: properties.get(m.group(1), m.group(0)), value)
        if replaced == value:
            return value
        value = replaced
    return value


class MavenPomCataloger:
    """Dependencies a Maven `pom.xml` declares, in source trees and images."""

    name: str = POM
    version: str = "1"
    scopes: tuple[str, ...] = SCOPE_ALL
    declared: bool = True
    globs: Sequence[str] = ("**/pom.xml",)

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """Dependencies of every pom.xml outside build output (`target/`)."""
        return parse_files(view, [(self.globs[0], parse_pom)], outside("target"))


# Gradle lockfiles -----------------------------------------------------------------------------
def parse_gradle_lockfile(data: bytes, where: str) -> ParseResult:
    """Locked modules of `gradle.lockfile` / `buildscript-gradle.lockfile` (and the older
    per-configuration `gradle/dependency-locks/*.lockfile`): `group:name:version=confs`.

    A module locked only for test configurations is marked dev.
    """
    result = ParseResult()
    for number, raw in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", "empty=")):
            continue
        module, _, confs = line.partition("=")
        parts = module.split(":")
        if len(parts) != 3 or not all(parts):
            result.notices.append(Notice(f"line {number}: not group:name:version", where))
            continue
        configurations = [c.strip() for c in confs.split(",") if c.strip()]
        dev = bool(configurations) and all(c.startswith("test") for c in configurations)
        metadata = flags(dev=dev)
        group, artifact, version = parts
        result.packages.append(maven_package(group, artifact, version, GRADLE, metadata))
    return result


class GradleLockCataloger:
    """Gradle dependency lockfiles, in source trees and images (declared packages)."""

    name: str = GRADLE
    version: str = "1"
    scopes: tuple[str, ...] = SCOPE_ALL
    declared: bool = True
    globs: Sequence[str] = (
        "**/gradle.lockfile",
        "**/buildscript-gradle.lockfile",
        "**/gradle/dependency-locks/*.lockfile",
    )

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """Modules of every lockfile outside Gradle's caches and build output."""
        parsers = [(glob, parse_gradle_lockfile) for glob in self.globs]
        return parse_files(view, parsers, outside("build", ".gradle"))
