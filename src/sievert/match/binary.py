"""Unpackaged programs (found by version strings) matched through CVE and NVD product data."""

from __future__ import annotations

import re

import msgspec

from sievert.match.base import NOTHING, Candidate, MatchOutcome, VulnSource
from sievert.model import Distro, Package
from sievert.model.finding import MatchEvidence
from sievert.model.vuln import AFFECTED, FIXED
from sievert.versions import evaluate, scheme_for

NAMESPACE = "cpe"
PRODUCTS: dict[str, tuple[str, ...]] = {
    "python": (
        "python:python",
        "python_software_foundation:cpython",
        "python_software_foundation:python",
    ),
    "node": ("nodejs:node.js", "nodejs:node"),
    "openjdk": ("oracle:openjdk", "oracle:jdk", "oracle:jre"),
    "go": ("golang:go",),
    "redis": ("redis:redis", "redislabs:redis"),
    "nginx": ("f5:nginx", "nginx:nginx", "f5:nginx_open_source"),
    "openssl": ("openssl:openssl",),
    "busybox": ("busybox:busybox",),
    "curl": ("haxx:curl", "haxx:libcurl", "curl:curl", "curl:libcurl"),
}
"""Detected program -> the `<vendor>:<product>` names CVE records and NVD CPEs give it."""
_JAVA_BUILD = re.compile(r"-b\d+$")


def product_version(package: Package) -> str:
    """The version as upstream releases spell it (no `go`/`v` prefix, no Java 8 `-bNN` build)."""
    version = package.version.removeprefix("go").removeprefix("v")
    return _JAVA_BUILD.sub("", version) if package.name == "openjdk" else version


class BinaryMatcher(msgspec.Struct, frozen=True):
    """Matches `binary` packages by product name; every finding has low confidence."""

    name: str = "binary"
    package_types: tuple[str, ...] = ("binary",)

    def match(self, package: Package, distro: Distro | None, db: VulnSource) -> MatchOutcome:
        """Every product statement whose ranges or versions include the detected version."""
        del distro
        names = PRODUCTS.get(package.name, ())
        version = product_version(package)
        if package.owner or not names or not version:
            return NOTHING
        if not scheme_for(NAMESPACE).is_valid(version):
            return MatchOutcome(notices=(f"{package.name} version {version!r} not comparable",))
        candidates: list[Candidate] = []
        notices: list[str] = []
        for name in names:
            for statement in db.affected(NAMESPACE, name):
                result = evaluate(NAMESPACE, version, statement.ranges, statement.versions)
                if result.skipped:
                    notices.extend(f"{statement.vuln_id} for {name}: {r}" for r in result.skipped)
                if result.match is None:
                    continue
                evidence = MatchEvidence(
                    source=statement.source,
                    record_id=statement.record_id or statement.vuln_id,
                    namespace=NAMESPACE,
                    matched_by="binary",
                    matched_name=name,
                    constraint=result.match.evidence,
                    confidence="low",
                )
                fixes = result.match.fixed_versions
                state = FIXED if fixes else AFFECTED
                candidates.append(Candidate(package, statement, evidence, state, fixes))
        return MatchOutcome(tuple(candidates), tuple(notices))
