"""SARIF 2.1.0 scan report (`scan --format sarif`), shaped for GitHub code scanning.

One run; the driver `sievert` has one rule per vulnerability id (short and full description,
help as text and markdown with the affected packages, fix versions and links, and
`properties.security-severity`: the preferred CVSS base score, else a value inside the GitHub
band of the finding's severity). Each finding is one result: level `error` for critical and
high, `warning` for medium, `note` below; its location is the file the package was read from,
relative to the image root (the image reference when the package has no file), with the purl as
a logical location; `partialFingerprints` keep alerts stable across runs. Misconfiguration and
secret findings (scanners 'config', 'secret') follow, with one rule per SV-IMG / SV-SEC id; a
secret's location is its image path and line, its message the masked line (never the secret).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TextIO
from urllib.parse import quote

import msgspec

from sievert.model import ImageMetadata
from sievert.model.checks import CheckFinding, LayerSource, Rule, SecretFinding
from sievert.model.finding import Finding, ScanResult
from sievert.report.base import TOOL_NAME, project_url, tool_version
from sievert.report.sbom.native import dump
from sievert.report.sbom.table import distro_label
from sievert.report.scan.common import (
    best_cvss,
    db_warnings,
    describe,
    fix_label,
    layer_text,
    package_path,
    vulnerability_url,
)

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "sievertFinding/v1"
LEVELS = {"critical": "error", "high": "error", "medium": "warning"}
"""SARIF level per severity; every other severity is `note`."""
FALLBACK_SCORES = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}
"""security-severity when no CVSS score is known, inside GitHub's band of each severity."""
OS_TYPES = ("deb", "apk", "rpm")
_REGION = {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1}


def level(severity: str) -> str:
    """SARIF result level of a severity."""
    return LEVELS.get(severity, "note")


def sarif_document(result: ScanResult, version: str, information_uri: str) -> dict[str, Any]:
    """The SARIF log of a scan result as ordered dicts."""
    groups: dict[str, list[Finding]] = {}
    for finding in result.findings:
        groups.setdefault(finding.id, []).append(finding)
    index = {vuln_id: n for n, vuln_id in enumerate(groups)}
    image = result.inventory.image
    check_rules = _check_rules(result, len(groups))
    driver = {
        "name": TOOL_NAME,
        "version": version,
        "informationUri": information_uri,
        "rules": [rule(group) for group in groups.values()]
        + [check_rule(r) for r, _ in check_rules.values()],
    }
    run = {
        "tool": {"driver": driver},
        "results": [
            at_instruction(
                result_object(f, index[f.id], image), result.layer_source(f.package.introduced_by)
            )
            for f in result.findings
        ]
        + [check_result(f, check_rules[f.rule.id][1], image) for f in result.config_findings]
        + [secret_result(f, check_rules[f.rule.id][1]) for f in result.secret_findings],
        "properties": {
            "image": image.reference,
            "manifestDigest": image.manifest_digest,
            "distro": distro_label(result.inventory),
            "dbBuilt": result.db_built,
        },
    }
    warnings = db_warnings(result)
    if warnings:
        run["invocations"] = [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {"level": "warning", "message": {"text": text}} for text in warnings
                ],
            }
        ]
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _worst(group: list[Finding]) -> str:
    return max(f.severity for f in group)


def security_severity(group: list[Finding]) -> str:
    """The preferred CVSS base score as text, else the fallback of the worst severity ('')."""
    score = best_cvss(group[0].vulnerability.cvss)
    if score is not None:
        return f"{score.base_score:.1f}"
    return FALLBACK_SCORES.get(_worst(group), "")


def rule(group: list[Finding]) -> dict[str, Any]:
    """The rule of one vulnerability id, from all its findings."""
    vuln = group[0].vulnerability
    worst = _worst(group)
    kinds = dict.fromkeys(f.package.type for f in group)
    properties: dict[str, Any] = {}
    score = security_severity(group)
    if score:
        properties["security-severity"] = score
    properties["tags"] = ["vulnerability", "security", worst, *kinds]
    properties["precision"] = "very-high"
    name = "OsPackageVulnerability" if set(kinds) <= set(OS_TYPES) else "PackageVulnerability"
    return {
        "id": vuln.id,
        "name": name,
        "shortDescription": {"text": short_description(group)},
        "fullDescription": {"text": describe(vuln) or short_description(group)},
        "defaultConfiguration": {"level": level(worst)},
        "helpUri": vulnerability_url(vuln.id),
        "help": {"text": help_text(group), "markdown": help_markdown(group)},
        "properties": properties,
    }


def short_description(group: list[Finding]) -> str:
    """`ID: summary`, or `ID in package, package` without a summary, at most 200 characters."""
    vuln = group[0].vulnerability
    names = ", ".join(dict.fromkeys(f.package.name for f in group))
    text = f"{vuln.id}: {vuln.summary}" if vuln.summary else f"{vuln.id} in {names}"
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:199] + "…"


def help_text(group: list[Finding]) -> str:
    """Plain-text help: id, severity, each package with its fix, links, description."""
    vuln = group[0].vulnerability
    lines = [f"Vulnerability {vuln.id}", f"Severity: {_worst(group)}"]
    for f in group:
        lines.append(f"Package: {f.package.name} {f.package.version} ({f.package.type})")
        lines.append(f"  Fixed in: {fix_label(f)}")
    lines.append(f"Link: {vulnerability_url(vuln.id)}")
    lines += [f"Reference: {url}" for url in vuln.references]
    if describe(vuln):
        lines += ["", describe(vuln)]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|") or "-"


def help_markdown(group: list[Finding]) -> str:
    """Markdown help: a table of packages and fixes, the description and the reference links."""
    vuln = group[0].vulnerability
    url = vulnerability_url(vuln.id)
    lines = [
        f"**Vulnerability [{vuln.id}]({url})**",
        "",
        "| Severity | Package | Type | Installed | Fixed in |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in group:
        cells = (f.severity, f.package.name, f.package.type, f.package.version, fix_label(f))
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if describe(vuln):
        lines += ["", describe(vuln)]
    if vuln.references:
        lines += ["", "References:", *(f"- <{ref}>" for ref in vuln.references)]
    return "\n".join(lines)


def artifact_uri(finding: Finding, image: ImageMetadata) -> str:
    """The package's file path relative to the image root, percent-encoded (image ref if none)."""
    path = package_path(finding.package).lstrip("/") or image.reference or "image"
    return quote(path, safe="/@+~")


def fingerprint(finding: Finding) -> str:
    """A stable digest of the id, the package identity and its path."""
    package = finding.package
    identity = package.purl or f"{package.type}/{package.name}@{package.version}"
    text = "|".join((finding.id, identity, package_path(package)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def message(finding: Finding, image: ImageMetadata) -> str:
    """What the alert says: package, vulnerability, severity, fix, layer and path."""
    package = finding.package
    text = (
        f"{package.name} {package.version} ({package.type}) is affected by {finding.id} "
        f"(severity {finding.severity}). Fixed in: {fix_label(finding)}."
    )
    layer = layer_text(image, package.introduced_by)
    if layer != "-":
        text += f" Introduced in layer {layer}."
    path = package_path(package)
    return f"{text} Found at {path}." if path else text


def result_object(finding: Finding, rule_index: int, image: ImageMetadata) -> dict[str, Any]:
    """One SARIF result for one finding."""
    package = finding.package
    location = {
        "physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(finding, image)},
            "region": dict(_REGION),
        },
        "logicalLocations": [{"name": package.purl or package.name, "kind": "package"}],
    }
    return {
        "ruleId": finding.id,
        "ruleIndex": rule_index,
        "level": level(finding.severity),
        "message": {"text": message(finding, image)},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding)},
        "properties": {
            "purl": package.purl,
            "severity": finding.severity,
            "fixState": finding.fix_state,
            "fixedVersions": list(finding.fixed_versions),
            "risk": finding.risk,
        },
    }


def at_instruction(obj: dict[str, Any], source: LayerSource | None) -> dict[str, Any]:
    """Point a result at the Dockerfile instruction that installed its package, when known;
    the path in the image stays as a related location."""
    if source is None:
        return obj
    in_image = obj["locations"][0]
    dockerfile = _file_location(source.path, source.start_line, source.end_line, "Dockerfile")
    dockerfile["logicalLocations"] = in_image["logicalLocations"]
    related = {
        "id": 1,
        "physicalLocation": in_image["physicalLocation"],
        "message": {"text": "the package's file in the image"},
    }
    return {**obj, "locations": [dockerfile], "relatedLocations": [related]}


def _check_rules(result: ScanResult, offset: int) -> dict[str, tuple[Rule, int]]:
    """Rule and driver index of every misconfiguration and secret rule that has a finding."""
    out: dict[str, tuple[Rule, int]] = {}
    rules = [f.rule for f in result.config_findings] + [f.rule for f in result.secret_findings]
    for check in rules:
        if check.id not in out:
            out[check.id] = (check, offset + len(out))
    return out


def check_rule(check: Rule) -> dict[str, Any]:
    """The SARIF rule of a misconfiguration or secret rule."""
    kind = "secret" if check.id.startswith("SV-SEC-") else "misconfiguration"
    text = "\n\n".join(t for t in (check.title, check.rationale, check.remediation) if t)
    properties: dict[str, Any] = {"tags": [kind, "security", check.severity]}
    if check.severity in FALLBACK_SCORES:
        properties["security-severity"] = FALLBACK_SCORES[check.severity]
    return {
        "id": check.id,
        "name": "".join(w.capitalize() for w in check.title.split() if w.isalnum()) or check.id,
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": check.rationale or check.title},
        "defaultConfiguration": {"level": level(check.severity)},
        "help": {"text": text, "markdown": text},
        "properties": properties,
    }


def _file_location(path: str, start: int, end: int, fallback: str) -> dict[str, Any]:
    uri = quote(path.lstrip("/") or fallback or "image", safe="/@+~")
    region = dict(_REGION)
    if start > 0:
        region = {"startLine": start, "startColumn": 1, "endLine": max(start, end), "endColumn": 1}
    return {"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region}}


def _check_fingerprint(*parts: object) -> str:
    text = "|".join(str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def check_result(finding: CheckFinding, rule_index: int, image: ImageMetadata) -> dict[str, Any]:
    """One SARIF result for an image misconfiguration (the image reference when no file)."""
    region = finding.region
    location = _file_location(region.path, region.start_line, region.end_line, image.reference)
    return {
        "ruleId": finding.rule.id,
        "ruleIndex": rule_index,
        "level": level(finding.severity),
        "message": {"text": finding.message},
        "locations": [location],
        "partialFingerprints": {
            FINGERPRINT_KEY: _check_fingerprint(finding.rule.id, region.path, finding.message)
        },
        "properties": {"severity": finding.severity, "layerIndex": region.layer_index},
    }


def secret_result(finding: SecretFinding, rule_index: int) -> dict[str, Any]:
    """One SARIF result for a secret: image path and line; the message holds the masked line."""
    region = finding.region
    severity = finding.severity or finding.rule.severity
    where = f"layer {region.layer_index}" + (
        ", deleted by a later layer but still in the image" if finding.deleted_later else ""
    )
    text = f"{finding.rule.title} in {region.path} ({where}): {finding.redacted.strip()}"
    return {
        "ruleId": finding.rule.id,
        "ruleIndex": rule_index,
        "level": level(severity),
        "message": {"text": text},
        "locations": [_file_location(region.path, region.start_line, region.end_line, "")],
        "partialFingerprints": {
            FINGERPRINT_KEY: _check_fingerprint(
                finding.rule.id, region.path, region.start_line, finding.layer_digest
            )
        },
        "properties": {
            "severity": severity,
            "layerIndex": region.layer_index,
            "layerDigest": finding.layer_digest,
            "deletedLater": finding.deleted_later,
        },
    }


class SarifWriter(msgspec.Struct, frozen=True):
    """Writes a SARIF 2.1.0 log for GitHub code scanning."""

    version: Callable[[], str] = msgspec.field(default=tool_version)
    information_uri: Callable[[], str] = msgspec.field(default=project_url)
    name: str = "sarif"
    media_type: str = "application/sarif+json"

    def write(self, result: ScanResult, out: TextIO) -> None:
        """Write the SARIF log."""
        dump(sarif_document(result, self.version(), self.information_uri()), out)
