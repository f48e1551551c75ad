"""FindingRefs: stable keys and one-line summaries for every kind of subject a rule sees."""

from __future__ import annotations

from sievert.model.checks import CheckFinding, SecretFinding
from sievert.model.finding import Finding
from sievert.model.package import Package
from sievert.model.policy import FindingRef


def first_path(package: Package) -> str:
    """The package's first location path ('' when none)."""
    return package.locations[0].path if package.locations else ""


def vulnerability_ref(finding: Finding) -> FindingRef:
    """'CVE-1|purl|path' and 'CVE-1 in openssl 3.0.11-1 (high, fixed in 3.0.13-1)'."""
    package = finding.package
    fix = (
        f"fixed in {', '.join(finding.fixed_versions)}"
        if finding.fixed_versions
        else finding.fix_state
    )
    summary = f"{finding.id} in {package.name} {package.version} ({finding.severity}, {fix})"
    key = f"{finding.id}|{package.purl or package.name}|{first_path(package)}"
    return FindingRef("vulnerability", key, summary)


def package_ref(package: Package) -> FindingRef:
    """'purl|path' and 'log4j-core 2.14.1 (maven)'."""
    key = f"{package.purl or package.name + '@' + package.version}|{first_path(package)}"
    return FindingRef("package", key, f"{package.name} {package.version} ({package.type})")


def config_ref(finding: CheckFinding) -> FindingRef:
    """'SV-DF-001|Dockerfile:3' and the rule's message."""
    region = finding.region
    where = f"{region.path or 'image config'}:{region.start_line}"
    summary = f"{finding.rule.id} {where} ({finding.severity}): {finding.message}"
    return FindingRef("config", f"{finding.rule.id}|{where}", summary)


def secret_ref(finding: SecretFinding) -> FindingRef:
    """'SV-SEC-004|/app/.env:2' and the redacted match."""
    region = finding.region
    where = f"{region.path}:{region.start_line}"
    summary = f"{finding.rule.id} {where}: {finding.rule.title}"
    return FindingRef("secret", f"{finding.rule.id}|{where}", summary)


def ref_of(subject: object, image_summary: str = "") -> FindingRef:
    """The FindingRef of any subject; None stands for the image itself."""
    if isinstance(subject, Finding):
        return vulnerability_ref(subject)
    if isinstance(subject, Package):
        return package_ref(subject)
    if isinstance(subject, CheckFinding):
        return config_ref(subject)
    if isinstance(subject, SecretFinding):
        return secret_ref(subject)
    return FindingRef("image", "image", image_summary)
