"""`sievert runtime audit -f sarif`: SARIF 2.1.0, one rule per SV-RT rule.

One result per runtime finding, located at the container (a logical location
`container/<name>`), its properties naming the image, the image's vulnerability counts and the
container's risk; each rule carries its CIS Docker Benchmark control.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TextIO

import msgspec

from sievert.model.checks import CheckFinding
from sievert.model.runtime import ContainerAudit, RuntimeAudit
from sievert.report.base import TOOL_NAME, project_url, tool_version
from sievert.report.config.sarif import rule_object
from sievert.report.runtime.common import cis_of, finding_order, ordered
from sievert.report.sbom.native import dump
from sievert.report.scan.common import severity_counts
from sievert.report.scan.sarif import FINGERPRINT_KEY, SARIF_SCHEMA, SARIF_VERSION, level


# SARIF ----------------------------------------------------------------------------------------
def sarif_result(entry: ContainerAudit, finding: CheckFinding, index: int) -> dict[str, Any]:
    """One SARIF result, located at the container."""
    c = entry.container
    key = "|".join((finding.rule.id, c.name, c.image, finding.message))
    properties: dict[str, Any] = {
        "severity": finding.severity,
        "container": c.name,
        "containerId": c.id,
        "image": c.image,
        "imageId": c.image_id,
        "risk": entry.risk.severity,
    }
    if entry.image is not None:
        properties["imageVulnerabilities"] = severity_counts(entry.image.findings)
    return {
        "ruleId": finding.rule.id,
        "ruleIndex": index,
        "level": level(finding.severity),
        "message": {"text": f"{c.name}: {finding.rule.title}: {finding.message}"},
        "locations": [
            {
                "logicalLocations": [
                    {"name": c.name, "fullyQualifiedName": f"container/{c.name}", "kind": "object"}
                ]
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: hashlib.sha256(key.encode()).hexdigest()[:32]},
        "properties": properties,
    }


def sarif_document(audit: RuntimeAudit, version: str, information_uri: str) -> dict[str, Any]:
    """The SARIF log of an audit."""
    by_id = {rule.id: rule for rule in audit.rules}
    for entry in audit.containers:
        for finding in entry.findings:
            by_id.setdefault(finding.rule.id, finding.rule)
    index = {rule_id: n for n, rule_id in enumerate(by_id)}
    driver_rules = []
    for rule in by_id.values():
        descriptor = rule_object(rule)
        descriptor["properties"]["tags"] = ["security", "runtime", "container", rule.severity]
        if cis_of(rule):
            descriptor["properties"]["cis-docker-benchmark"] = cis_of(rule)
        driver_rules.append(descriptor)
    results = [
        sarif_result(entry, finding, index[finding.rule.id])
        for entry in ordered(audit)
        for finding in finding_order(entry.findings)
    ]
    driver = {"name": TOOL_NAME, "version": version, "informationUri": information_uri}
    run = {"tool": {"driver": {**driver, "rules": driver_rules}}, "results": results}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


class RuntimeSarifWriter(msgspec.Struct, frozen=True):
    """Writes a SARIF 2.1.0 log of the runtime findings."""

    version: Callable[[], str] = msgspec.field(default=tool_version)
    information_uri: Callable[[], str] = msgspec.field(default=project_url)
    name: str = "sarif"

    def write(self, audit: RuntimeAudit, out: TextIO) -> None:
        """Write the SARIF log."""
        dump(sarif_document(audit, self.version(), self.information_uri()), out)
