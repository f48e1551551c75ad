"""Sievert's own JSON scan report (`scan --format json`).

The document is the inventory document of `sievert.report.sbom.native` (same keys, same order)
followed by these keys, always present, in this order:

- `database`: {`built`, `sources` [{`name`, `status`}], `warnings` (only when a source the last
  update left failed or partial)}: the vulnerability database matched.
- `summary`: {`critical`, `high`, `medium`, `low`, `negligible`, `unknown`}: finding counts.
- `findings`: in the order of the result (the CLI sorts it); each is {
  `id`, `severity`, `severitySource`, `fixState`, `fixedVersions`, `risk`,
  `vulnerability` {`id`, `aliases`, `summary`, `description`, `published`, `modified`,
  `cvss` [{`version`, `vector`, `baseScore`, `severity`, `source`}], `cwes`, `references`,
  `kev` (null or {`dateAdded`, `dueDate`, `knownRansomwareUse`}),
  `epss` (null or {`score`, `percentile`}),
  `exploits` [{`source`, `id`, `url`, `title`, `published`}], `rejected`},
  `package` {`purl`, `name`, `version`, `type`, `arch`, `sourceName`, `sourceVersion`,
  `location` (first path or ""), `locations` [{`path`, `layerIndex`, `layerDigest`,
  `layerDiffId`}], `introducedBy` (null or {`index`, `digest`, `diffId`, `createdBy`})},
  `evidence` {`source`, `recordId`, `namespace`, `matchedBy`, `matchedName`, `constraint`,
  `confidence`},
  `affected` {`vulnId`, `namespace`, `package`, `source`, `recordId`, `fixState`,
  `fixedVersion`, `severity`, `note`}}.
- `matchNotices`: [{`level`, `message`, `where`}], problems met while matching.
- `scanners`: which scanners ran ('vuln', 'config', 'secret').
- `configFindings`: image misconfigurations, each {`ruleId`, `severity`, `title`, `message`,
  `path` ("" for the image config), `startLine`, `endLine`, `layerIndex`, `instruction`,
  `suppressedBy`, `docs`}.
- `secretFindings`: secrets in layer files, each {`ruleId`, `severity`, `title`, `path`,
  `startLine`, `endLine`, `layerIndex`, `layerDigest`, `deletedLater`, `match` (the line with the
  secret masked: never the secret), `docs`}.

Absent values are "", [] or null, never missing keys. Optional keys, only when asked for:
`layerSources` (`--dockerfile`), `verdict` (`--policy`) and `baseAdvice` (`--base-advice`):
{`base`, `scope`, `method` ('layers' or 'base-scan'), `current`, `candidates` (newest first),
`recommended` (a tag or null), `notes`}, where `current` and each candidate are {`tag`,
`reference`, `total`, `bySeverity` {severity: count}, `removed`, `added`, `removedIds`,
`addedIds`} ('CVE-... package'; removed and added compare with the current base's findings).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

import msgspec

from sievert.model import ImageMetadata, Package, Vulnerability
from sievert.model.finding import Finding, ScanResult

if TYPE_CHECKING:  # annotations only: a plain scan builds no check, advice or policy record
    from sievert.model.advice import BaseAdvice, CandidateResult
    from sievert.model.checks import CheckFinding, LayerSource, SecretFinding
from sievert.report.base import tool_version
from sievert.report.common import layer_by_index
from sievert.report.sbom.native import dump, inventory_document
from sievert.report.scan.common import db_warnings, package_path, severity_counts
from sievert.report.verdict_doc import verdict_document


def scan_document(result: ScanResult, version: str) -> dict[str, Any]:
    """The whole Sievert JSON scan document as ordered dicts."""
    document = inventory_document(result.inventory, version)
    image = result.inventory.image
    document["database"] = {
        "built": result.db_built,
        "sources": [{"name": name, "status": status} for name, status in result.db_sources],
    }
    warnings = db_warnings(result)
    if warnings:
        document["database"]["warnings"] = warnings
    document["summary"] = severity_counts(result.findings)
    document["findings"] = [
        with_instruction(finding_object(f, image), result, f) for f in result.findings
    ]
    document["matchNotices"] = [
        {"level": n.level, "message": n.message, "where": n.where} for n in result.notices
    ]
    document["scanners"] = list(result.scanners)
    document["configFindings"] = [check_object(f) for f in result.config_findings]
    document["secretFindings"] = [secret_object(f) for f in result.secret_findings]
    if result.layer_sources:
        document["layerSources"] = [source_object(s) for s in result.layer_sources]
    if result.verdict is not None:
        document["verdict"] = verdict_document(result.verdict)
    if result.base_advice is not None:
        document["baseAdvice"] = advice_document(result.base_advice)
    return document


def advice_document(advice: BaseAdvice) -> dict[str, Any]:
    """The base image advice: the current base, every candidate scanned, the recommendation."""
    return {
        "base": advice.base,
        "scope": advice.scope,
        "method": advice.method,
        "current": candidate_object(advice.current),
        "candidates": [candidate_object(c) for c in advice.candidates],
        "recommended": advice.recommended or None,
        "notes": list(advice.notes),
    }


def candidate_object(candidate: CandidateResult) -> dict[str, Any]:
    """One tag's findings and how they differ from the current base's."""
    return {
        "tag": candidate.tag,
        "reference": candidate.reference,
        "total": candidate.total,
        "bySeverity": dict(candidate.by_severity),
        "removed": candidate.removed,
        "added": candidate.added,
        "removedIds": list(candidate.removed_ids),
        "addedIds": list(candidate.added_ids),
    }


def source_object(source: LayerSource) -> dict[str, Any]:
    """The Dockerfile instruction that made a layer."""
    return {
        "layerIndex": source.layer_index,
        "path": source.path,
        "startLine": source.start_line,
        "endLine": source.end_line,
        "instruction": source.instruction,
    }


def with_instruction(obj: dict[str, Any], result: ScanResult, finding: Finding) -> dict[str, Any]:
    """Add the Dockerfile instruction that installed the finding's package, when known."""
    source = result.layer_source(finding.package.introduced_by)
    if source is not None and obj["package"]["introducedBy"] is not None:
        obj["package"]["introducedBy"]["dockerfile"] = source_object(source)
    return obj


def check_object(finding: CheckFinding) -> dict[str, Any]:
    """One misconfiguration finding."""
    region = finding.region
    return {
        "ruleId": finding.rule.id,
        "severity": finding.severity,
        "title": finding.rule.title,
        "message": finding.message,
        "path": region.path,
        "startLine": region.start_line,
        "endLine": region.end_line,
        "layerIndex": region.layer_index,
        "instruction": finding.instruction,
        "suppressedBy": finding.suppressed_by,
        "docs": finding.rule.docs,
    }


def secret_object(finding: SecretFinding) -> dict[str, Any]:
    """One secret finding, redacted."""
    region = finding.region
    return {
        "ruleId": finding.rule.id,
        "severity": finding.severity or finding.rule.severity,
        "title": finding.rule.title,
        "path": region.path,
        "startLine": region.start_line,
        "endLine": region.end_line,
        "layerIndex": region.layer_index,
        "layerDigest": finding.layer_digest,
        "deletedLater": finding.deleted_later,
        "match": finding.redacted,
        "docs": finding.rule.docs,
    }


def finding_object(finding: Finding, image: ImageMetadata) -> dict[str, Any]:
    """One finding with every field of the model."""
    affected = finding.affected
    evidence = finding.evidence
    return {
        "id": finding.id,
        "severity": finding.severity,
        "severitySource": finding.severity_source,
        "fixState": finding.fix_state,
        "fixedVersions": list(finding.fixed_versions),
        "risk": finding.risk,
        "vulnerability": vulnerability_object(finding.vulnerability),
        "package": package_ref(finding.package, image),
        "evidence": {
            "source": evidence.source,
            "recordId": evidence.record_id,
            "namespace": evidence.namespace,
            "matchedBy": evidence.matched_by,
            "matchedName": evidence.matched_name,
            "constraint": evidence.constraint,
            "confidence": evidence.confidence,
        },
        "affected": {
            "vulnId": affected.vuln_id,
            "namespace": affected.namespace,
            "package": affected.package,
            "source": affected.source,
            "recordId": affected.record_id,
            "fixState": affected.fix_state,
            "fixedVersion": affected.fixed_version,
            "severity": affected.severity,
            "note": affected.note,
        },
    }


def vulnerability_object(vuln: Vulnerability) -> dict[str, Any]:
    """The vulnerability record: text, scores, weaknesses, links, KEV, EPSS and exploits."""
    kev = None
    if vuln.kev_date_added:
        kev = {
            "dateAdded": vuln.kev_date_added,
            "dueDate": vuln.kev_due_date,
            "knownRansomwareUse": vuln.kev_ransomware,
        }
    epss = None
    if vuln.epss_score is not None:
        epss = {"score": vuln.epss_score, "percentile": vuln.epss_percentile}
    return {
        "id": vuln.id,
        "aliases": list(vuln.aliases),
        "summary": vuln.summary,
        "description": vuln.description,
        "published": vuln.published,
        "modified": vuln.modified,
        "cvss": [
            {
                "version": s.version,
                "vector": s.vector,
                "baseScore": s.base_score,
                "severity": s.severity,
                "source": s.source,
            }
            for s in vuln.cvss
        ],
        "cwes": list(vuln.cwes),
        "references": list(vuln.references),
        "kev": kev,
        "epss": epss,
        "exploits": [
            {
                "source": e.source,
                "id": e.id,
                "url": e.url,
                "title": e.title,
                "published": e.published,
            }
            for e in vuln.exploits
        ],
        "rejected": vuln.rejected,
    }


def package_ref(package: Package, image: ImageMetadata) -> dict[str, Any]:
    """The affected package: identity, where it was read and the layer that introduced it."""
    layer = layer_by_index(image, package.introduced_by)
    introduced = None
    if layer is not None:
        introduced = {
            "index": layer.index,
            "digest": layer.digest,
            "diffId": layer.diff_id,
            "createdBy": layer.created_by,
        }
    elif package.introduced_by >= 0:
        introduced = {"index": package.introduced_by, "digest": "", "diffId": "", "createdBy": ""}
    return {
        "purl": package.purl,
        "name": package.name,
        "version": package.version,
        "type": package.type,
        "arch": package.arch,
        "sourceName": package.source_name,
        "sourceVersion": package.source_version,
        "location": package_path(package),
        "locations": [
            {
                "path": loc.path,
                "layerIndex": loc.layer_index,
                "layerDigest": loc.layer_digest,
                "layerDiffId": loc.layer_diff_id,
            }
            for loc in package.locations
        ],
        "introducedBy": introduced,
    }


class ScanJsonWriter(msgspec.Struct, frozen=True):
    """Writes Sievert's own JSON scan document."""

    version: Callable[[], str] = msgspec.field(default=tool_version)
    name: str = "json"
    media_type: str = "application/json"

    def write(self, result: ScanResult, out: TextIO) -> None:
        """Write the scan document."""
        dump(scan_document(result, self.version()), out)
