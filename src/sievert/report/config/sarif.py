"""`sievert config --format sarif`: SARIF 2.1.0 for code scanning, one rule per rule id.

Each rule has its title, rationale, help (text and markdown with the remediation and the docs
page) and `properties.security-severity` from its severity; each result points at the
Dockerfile with the instruction's startLine/endLine. Shown suppressed findings carry a SARIF
`suppressions` entry (inSource for inline comments, external for the config file).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TextIO
from urllib.parse import quote

import msgspec

from sievert.model.checks import CheckFinding, Rule
from sievert.report.base import TOOL_NAME, project_url, tool_version
from sievert.report.config.common import ConfigReport, ordered
from sievert.report.sbom.native import dump
from sievert.report.scan.sarif import (
    FALLBACK_SCORES,
    FINGERPRINT_KEY,
    SARIF_SCHEMA,
    SARIF_VERSION,
    level,
)

SCORES = {**FALLBACK_SCORES, "negligible": "0.5", "unknown": "0.0"}


def rule_object(rule: Rule) -> dict[str, Any]:
    """The SARIF reportingDescriptor of one rule."""
    help_text = f"{rule.rationale}\n\nRemediation: {rule.remediation}"
    markdown = f"**{rule.title}**\n\n{rule.rationale}\n\n**Remediation:** {rule.remediation}"
    if rule.docs:
        help_text += f"\n\nDocumentation: {rule.docs}"
        markdown += f"\n\nSee `{rule.docs}`."
    return {
        "id": rule.id,
        "name": "".join(word.capitalize() for word in rule.title.split() if word.isalnum()),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.rationale or rule.title},
        "defaultConfiguration": {"level": level(rule.severity)},
        "help": {"text": help_text, "markdown": markdown},
        "properties": {
            "security-severity": SCORES.get(rule.severity, "0.0"),
            "tags": ["security", "dockerfile", "misconfiguration", rule.severity],
            "precision": "high",
        },
    }


def fingerprint(finding: CheckFinding) -> str:
    """Stable across line moves: rule, file and the instruction's text."""
    text = "|".join((finding.rule.id, finding.region.path, finding.instruction, finding.message))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def result_object(finding: CheckFinding, index: int) -> dict[str, Any]:
    """One SARIF result."""
    region = finding.region
    result: dict[str, Any] = {
        "ruleId": finding.rule.id,
        "ruleIndex": index,
        "level": level(finding.severity),
        "message": {"text": f"{finding.rule.title}: {finding.message}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": quote(region.path.lstrip("/"), safe="/@+~")},
                    "region": {
                        "startLine": max(region.start_line, 1),
                        "endLine": max(region.end_line, region.start_line, 1),
                    },
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding)},
        "properties": {"severity": finding.severity},
    }
    if finding.suppressed_by:
        kind = "inSource" if finding.suppressed_by.startswith("inline") else "external"
        result["suppressions"] = [{"kind": kind, "justification": finding.suppressed_by}]
    return result


def sarif_document(report: ConfigReport, version: str, information_uri: str) -> dict[str, Any]:
    """The SARIF log of a config report."""
    rules = {rule.id: rule for rule in report.rules}
    for finding in report.findings:
        rules.setdefault(finding.rule.id, finding.rule)
    index = {rule_id: n for n, rule_id in enumerate(rules)}
    driver = {
        "name": TOOL_NAME,
        "version": version,
        "informationUri": information_uri,
        "rules": [rule_object(rule) for rule in rules.values()],
    }
    results = [result_object(f, index[f.rule.id]) for f in ordered(report.findings)]
    run = {"tool": {"driver": driver}, "results": results}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


class ConfigSarifWriter(msgspec.Struct, frozen=True):
    """Writes a SARIF 2.1.0 log of Dockerfile findings."""

    version: Callable[[], str] = msgspec.field(default=tool_version)
    information_uri: Callable[[], str] = msgspec.field(default=project_url)
    name: str = "sarif"

    def write(self, report: ConfigReport, out: TextIO) -> None:
        """Write the SARIF log."""
        dump(sarif_document(report, self.version(), self.information_uri()), out)
