"""CycloneDX 1.6 JSON scan report (`scan --format cyclonedx-json`): inventory BOM + vulnerabilities.

One vulnerability entry per id, in the order the result first lists it. `ratings` hold every
CVSS score (method CVSSv2/CVSSv3/CVSSv31/CVSSv4) and the vendor's rating (method `other`);
`references` are the aliases, `advisories` the reference links; `affects` points at the
components' bom-refs, the installed version `affected` and fixed versions `unaffected`. No
`analysis` is written: Sievert does not triage. EPSS, KEV, exploits and the risk score are
`sievert:*` properties.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TextIO

import msgspec

from sievert.model import CvssScore, Package
from sievert.model.finding import Finding, ScanResult
from sievert.report.base import Stamp
from sievert.report.sbom.cyclonedx import BomContext, bom_document
from sievert.report.sbom.native import dump
from sievert.report.scan.common import (
    db_warnings,
    describe,
    iso_datetime,
    vulnerability_source,
    vulnerability_url,
)

CVSS_METHODS = {"2.0": "CVSSv2", "3.0": "CVSSv3", "3.1": "CVSSv31", "4.0": "CVSSv4"}
RATING_SEVERITIES = {"critical", "high", "medium", "low", "info", "none", "unknown"}
_CWE = re.compile(r"^CWE-(\d+)$")


def scan_bom_document(result: ScanResult, stamp: Stamp) -> dict[str, Any]:
    """The inventory BOM with a `vulnerabilities` array for the findings."""
    document = bom_document(result.inventory, stamp)
    vulnerabilities = vulnerabilities_section(result, BomContext.of(result.inventory))
    if vulnerabilities:
        document["vulnerabilities"] = vulnerabilities
    add_db_warnings(document, result)
    return document


def add_db_warnings(document: dict[str, Any], result: ScanResult) -> None:
    """`sievert:db:warning` metadata properties for sources the last db update left failed."""
    warnings = [{"name": "sievert:db:warning", "value": text} for text in db_warnings(result)]
    if warnings:
        metadata = document.setdefault("metadata", {})
        metadata["properties"] = [*metadata.get("properties", []), *warnings]


def vulnerabilities_section(result: ScanResult, context: BomContext) -> list[dict[str, Any]]:
    """One entry per vulnerability id, findings of the same id merged into its `affects`."""
    groups: dict[str, list[Finding]] = {}
    for finding in result.findings:
        groups.setdefault(finding.id, []).append(finding)
    refs = _RefFinder(context)
    return [vulnerability_entry(group, refs) for group in groups.values()]


class _RefFinder:
    """bom-ref of a finding's package: the same package, else one with its purl, else the image."""

    def __init__(self, context: BomContext) -> None:
        self._refs = context.refs
        self._by_purl = {p.purl: ref for p, ref in reversed(context.refs.items()) if p.purl}
        self._image = context.image_ref

    def __call__(self, package: Package) -> str:
        return self._refs.get(package) or self._by_purl.get(package.purl) or self._image


def vulnerability_entry(group: list[Finding], refs: Callable[[Package], str]) -> dict[str, Any]:
    """The vulnerability entry of all findings of one id."""
    vuln = group[0].vulnerability
    entry: dict[str, Any] = {
        "bom-ref": f"vuln:{vuln.id}",
        "id": vuln.id,
        "source": {"name": vulnerability_source(vuln.id), "url": vulnerability_url(vuln.id)},
    }
    if vuln.aliases:
        entry["references"] = [
            {"id": a, "source": {"name": vulnerability_source(a), "url": vulnerability_url(a)}}
            for a in vuln.aliases
        ]
    rated = ratings(group)
    if rated:
        entry["ratings"] = rated
    cwes = [int(m.group(1)) for m in map(_CWE.match, vuln.cwes) if m]
    if cwes:
        entry["cwes"] = list(dict.fromkeys(cwes))
    if describe(vuln):
        entry["description"] = describe(vuln)
    recommendation = _recommendation(group)
    if recommendation:
        entry["recommendation"] = recommendation
    if vuln.references:
        entry["advisories"] = [{"url": url} for url in vuln.references]
    for key, text in (("published", vuln.published), ("updated", vuln.modified)):
        if iso_datetime(text):
            entry[key] = iso_datetime(text)
    entry["affects"] = affects(group, refs)
    properties = vulnerability_properties(group)
    if properties:
        entry["properties"] = properties
    return entry


def ratings(group: list[Finding]) -> list[dict[str, Any]]:
    """Every CVSS score of the vulnerability, then each distinct vendor rating of its findings."""
    result = [cvss_rating(score) for score in group[0].vulnerability.cvss]
    vendors: dict[tuple[str, str], None] = {}
    for finding in group:
        source = finding.severity_source
        if source and not source.startswith("cvss"):
            vendors[(source, finding.severity)] = None
    for source, severity in vendors:
        rating = {"source": {"name": source}, "severity": rating_severity(severity)}
        result.append({**rating, "method": "other"})
    return result


def cvss_rating(score: CvssScore) -> dict[str, Any]:
    """One CVSS score as a rating."""
    rating: dict[str, Any] = {"source": {"name": score.source}, "score": score.base_score}
    rating["severity"] = rating_severity(score.severity)
    rating["method"] = CVSS_METHODS.get(score.version, "other")
    if score.vector:
        rating["vector"] = score.vector
    return rating


def rating_severity(severity: str) -> str:
    """A Sievert or CVSS severity word in the CycloneDX vocabulary (negligible -> info)."""
    word = severity.strip().lower()
    word = "info" if word == "negligible" else word
    return word if word in RATING_SEVERITIES else "unknown"


def affects(group: list[Finding], refs: Callable[[Package], str]) -> list[dict[str, Any]]:
    """Affected components: installed version affected, fixed versions unaffected."""
    versions: dict[str, dict[tuple[str, str], None]] = {}
    for finding in group:
        seen = versions.setdefault(refs(finding.package), {})
        if finding.package.version:
            seen[(finding.package.version, "affected")] = None
        for fixed in finding.fixed_versions:
            seen[(fixed, "unaffected")] = None
    result: list[dict[str, Any]] = []
    for ref, pairs in versions.items():
        item: dict[str, Any] = {"ref": ref}
        if pairs:
            item["versions"] = [{"version": v, "status": s} for v, s in pairs]
        result.append(item)
    return result


def _recommendation(group: list[Finding]) -> str:
    advice = [
        f"Upgrade {f.package.name} to {' or '.join(f.fixed_versions)}."
        for f in group
        if f.fixed_versions
    ]
    return " ".join(dict.fromkeys(advice))


def vulnerability_properties(group: list[Finding]) -> list[dict[str, str]]:
    """EPSS, KEV, exploits, the highest risk and the findings' severities as properties."""
    vuln = group[0].vulnerability
    pairs: list[tuple[str, str]] = []
    if vuln.epss_score is not None:
        pairs.append(("sievert:epss:score", str(vuln.epss_score)))
    if vuln.epss_percentile is not None:
        pairs.append(("sievert:epss:percentile", str(vuln.epss_percentile)))
    if vuln.kev_date_added:
        pairs += [("sievert:kev:dateAdded", vuln.kev_date_added)]
        pairs += [("sievert:kev:dueDate", vuln.kev_due_date)]
        pairs += [("sievert:kev:knownRansomwareUse", "true" if vuln.kev_ransomware else "false")]
    pairs += [("sievert:exploit", e.url or f"{e.source}:{e.id}") for e in vuln.exploits]
    pairs.append(("sievert:risk", str(max(f.risk for f in group))))
    severities = dict.fromkeys(f.severity for f in group)
    pairs += [("sievert:severity", severity) for severity in severities]
    return [{"name": name, "value": value} for name, value in pairs if value]


class ScanCycloneDxJsonWriter(msgspec.Struct, frozen=True):
    """Writes a CycloneDX 1.6 BOM with vulnerabilities."""

    stamp: Callable[[], Stamp] = msgspec.field(default=Stamp.fresh)
    name: str = "cyclonedx-json"
    media_type: str = "application/vnd.cyclonedx+json; version=1.6"

    def write(self, result: ScanResult, out: TextIO) -> None:
        """Write the BOM with its vulnerabilities."""
        dump(scan_bom_document(result, self.stamp()), out)
