"""`sievert runtime audit -f json`: one document, `schemaVersion` "1".

`tool`, `engine`, `imageScan`, `summary` {containers, risk {severity: count}, findings {severity:
count}}, and `containers` [{`id`, `name`, `image`, `imageId`, `risk` {severity, reason},
`verdict` (policy verdict or null), `findings` [{ruleId, severity, title, message, cis,
remediation, docs}], `imageScan` {reference, distro, packages, vulnerabilities {severity: count},
vulnerablePackages [{name, version, type, purl, vulnerabilities [{id, severity,
fixedVersions}]}], error}}]; containers ordered by risk (highest first), then name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

import msgspec

from sievert.model.checks import CheckFinding
from sievert.model.policy import PolicyVerdict
from sievert.model.runtime import ContainerAudit, RuntimeAudit
from sievert.model.severity import MOST_SEVERE_FIRST
from sievert.report.base import TOOL_NAME, tool_version
from sievert.report.runtime.common import (
    RISK_ORDER,
    cis_of,
    finding_order,
    ordered,
    vulnerable_packages,
)
from sievert.report.sbom.native import dump
from sievert.report.scan.common import severity_counts

SCHEMA_VERSION = "1"


# JSON -----------------------------------------------------------------------------------------
def finding_object(finding: CheckFinding) -> dict[str, Any]:
    """One runtime finding."""
    return {
        "ruleId": finding.rule.id,
        "severity": finding.severity,
        "title": finding.rule.title,
        "message": finding.message,
        "cis": cis_of(finding.rule),
        "remediation": finding.rule.remediation,
        "docs": finding.rule.docs,
    }


def image_object(entry: ContainerAudit) -> dict[str, Any] | None:
    """The image's analysis as the container's report shows it."""
    result = entry.image
    if result is None:
        return {"error": entry.image_error} if entry.image_error else None
    distro = result.inventory.distro
    return {
        "reference": result.inventory.image.reference,
        "distro": f"{distro.id} {distro.version_id}".strip() if distro else "",
        "packages": len(result.inventory.packages),
        "vulnerabilities": severity_counts(result.findings),
        "vulnerablePackages": [
            {
                "name": found[0].package.name,
                "version": found[0].package.version,
                "type": found[0].package.type,
                "purl": found[0].package.purl,
                "vulnerabilities": [
                    {"id": f.id, "severity": f.severity, "fixedVersions": list(f.fixed_versions)}
                    for f in found
                ],
            }
            for _, found in vulnerable_packages(result)
        ],
        "error": "",
    }


def verdict_object(verdict: PolicyVerdict | None) -> dict[str, Any] | None:
    """The policy verdict: policy, action, triggered rule ids."""
    if verdict is None:
        return None
    return {
        "policy": verdict.policy,
        "action": verdict.action,
        "triggered": [
            {
                "rule": t.rule_id,
                "action": t.action,
                "findings": [r.summary or r.key for r in t.findings],
            }
            for t in verdict.triggered
        ],
    }


def container_object(entry: ContainerAudit) -> dict[str, Any]:
    """One container's report."""
    container = entry.container
    return {
        "id": container.id,
        "name": container.name,
        "image": container.image,
        "imageId": container.image_id,
        "risk": {"severity": entry.risk.severity, "reason": entry.risk.reason},
        "verdict": verdict_object(entry.verdict),
        "findings": [finding_object(f) for f in finding_order(entry.findings)],
        "imageScan": image_object(entry),
    }


def json_document(audit: RuntimeAudit, version: str) -> dict[str, Any]:
    """The whole JSON report."""
    risks = dict.fromkeys(RISK_ORDER, 0)
    findings: dict[str, int] = dict.fromkeys(MOST_SEVERE_FIRST, 0)
    for entry in audit.containers:
        risks[entry.risk.severity] = risks.get(entry.risk.severity, 0) + 1
        for finding in entry.findings:
            findings[finding.severity] = findings.get(finding.severity, 0) + 1
    return {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": version},
        "engine": audit.engine,
        "imageScan": audit.image_scan,
        "summary": {"containers": len(audit.containers), "risk": risks, "findings": findings},
        "containers": [container_object(c) for c in ordered(audit)],
    }


class RuntimeJsonWriter(msgspec.Struct, frozen=True):
    """Writes the JSON report."""

    version: Callable[[], str] = msgspec.field(default=tool_version)
    name: str = "json"

    def write(self, audit: RuntimeAudit, out: TextIO) -> None:
        """Write the document."""
        dump(json_document(audit, self.version()), out)
