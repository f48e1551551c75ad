"""Language packages matched by ecosystem through OSV ranges."""

from __future__ import annotations

import msgspec

from sievert.match.base import NOTHING, Candidate, MatchOutcome, VulnSource
from sievert.model import Distro, Package
from sievert.model.finding import MatchEvidence
from sievert.model.vuln import AFFECTED, FIXED
from sievert.versions import evaluate, scheme_for
from sievert.versions.names import normalize_name

ECOSYSTEMS = {
    "pypi": "pypi",
    "npm": "npm",
    "gem": "rubygems",
    "maven": "maven",
    "golang": "go",
    "cargo": "crates.io",
    "composer": "packagist",
    "nuget": "nuget",
}


def osv_name(package: Package) -> str:
    """The package name as OSV spells it (Maven: group:artifact), before `normalize_name`."""
    if package.type == "maven":
        group = package.meta("group_id") or package.meta("groupId")
        if group and ":" not in package.name:
            return f"{group}:{package.name}"
    return package.name


def osv_version(package: Package) -> str:
    """The version as OSV ranges spell it (Go versions without the leading 'v')."""
    if package.type == "golang":
        return package.version.removeprefix("v").removeprefix("go")
    return package.version


class OsvMatcher(msgspec.Struct, frozen=True):
    """Matches language packages; packages owned by an OS package are left to the distro data."""

    name: str = "osv"
    package_types: tuple[str, ...] = tuple(ECOSYSTEMS)

    def match(self, package: Package, distro: Distro | None, db: VulnSource) -> MatchOutcome:
        """Every OSV statement whose ranges or versions list include the installed version."""
        del distro
        if package.owner or not package.version:
            return NOTHING
        namespace = ECOSYSTEMS[package.type]
        name = normalize_name(namespace, osv_name(package))
        statements = db.affected(namespace, name)
        if not statements:  # most packages: nothing more to read of them
            return NOTHING
        version = osv_version(package)
        scheme = scheme_for(namespace)
        confidence = "high" if package.meta("confidence") != "low" else "low"
        candidates: list[Candidate] = []
        notices: list[str] = []
        for statement in statements:
            result = evaluate(scheme, version, statement.ranges, statement.versions)
            if result.skipped:
                notices.extend(f"{statement.vuln_id} for {name}: {r}" for r in result.skipped)
            if result.match is None:
                continue
            fixes = result.match.fixed_versions
            evidence = MatchEvidence(
                source=statement.source,
                record_id=statement.record_id or statement.vuln_id,
                namespace=namespace,
                matched_by="package",
                matched_name=name,
                constraint=result.match.evidence,
                confidence=confidence,
            )
            state = FIXED if fixes else AFFECTED
            candidates.append(Candidate(package, statement, evidence, state, fixes))
        return MatchOutcome(tuple(candidates), tuple(notices))
