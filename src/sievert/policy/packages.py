"""Package matchers: name glob, type (ecosystem) and version ranges in the ecosystem's order."""

from __future__ import annotations

import msgspec

from sievert.model.package import Package
from sievert.policy.patterns import (
    VersionRange,
    check_range_versions,
    ecosystem_of,
    glob,
    package_type,
    parse_range,
)
from sievert.policy.yamlnode import Node, check_keys

MATCHER_KEYS = ("name", "type", "ecosystem", "version")


class PackageMatcher(msgspec.Struct, frozen=True):
    """Matches packages by name glob, type and any of several version ranges."""

    name: str
    type: str = ""
    versions: tuple[VersionRange, ...] = ()

    @property
    def text(self) -> str:
        """'maven:log4j-core < 2.17.1' for explanations."""
        prefix = f"{self.type}:" if self.type else ""
        ranges = " or ".join(r.text for r in self.versions)
        return f"{prefix}{self.name}" + (f" {ranges}" if ranges else "")

    def matches(self, package: Package) -> bool:
        """Whether the package has this name, type and a version inside a range."""
        if self.type and package.type.lower() != self.type:
            return False
        if not glob(self.name, package.name):
            return False
        if not self.versions:
            return True
        ecosystem = ecosystem_of(package.type)
        return any(r.contains(ecosystem, package.version) for r in self.versions)


def parse_matchers(node: Node) -> tuple[PackageMatcher, ...]:
    """One matcher or a list of them; each a mapping or 'name [range]'."""
    return tuple(parse_matcher(item) for item in node.items())


def parse_matcher(node: Node) -> PackageMatcher:
    """{name, type|ecosystem, version} or the shorthand 'log4j-core < 2.17.1'."""
    if isinstance(node.value, dict):
        return _from_mapping(node)
    name, _, rest = node.text().partition(" ")
    return _build(node, name, "", (rest.strip(),) if rest.strip() else ())


def _from_mapping(node: Node) -> PackageMatcher:
    check_keys(node, MATCHER_KEYS, ("name",))
    fields = node.mapping()
    if "type" in fields and "ecosystem" in fields:
        raise fields["ecosystem"].error("give either type or ecosystem, not both")
    kind_node = fields.get("type") or fields.get("ecosystem")
    kind = package_type(kind_node.text()) if kind_node else ""
    ranges = fields["version"].texts() if "version" in fields else ()
    return _build(fields.get("version", node), fields["name"].text(), kind, ranges)


def _build(node: Node, name: str, kind: str, ranges: tuple[str, ...]) -> PackageMatcher:
    parsed = []
    ecosystem = ecosystem_of(kind) if kind else ""
    for text in ranges:
        try:
            version_range = parse_range(text)
            if ecosystem:
                check_range_versions(version_range, ecosystem)
        except ValueError as exc:
            raise node.error(str(exc)) from None
        parsed.append(version_range)
    return PackageMatcher(name, kind, tuple(parsed))
