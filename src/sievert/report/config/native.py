"""`sievert config --format json`: one object, keys always present and in this order.

`schemaVersion` "1", `tool` {name, version}, `files` (analysed Dockerfiles), `summary`
{severity: count of active findings}, `suppressed` (hidden suppressed findings), `findings`
[{`ruleId`, `severity`, `title`, `message`, `file`, `startLine`, `endLine`, `instruction`,
`suppressedBy`, `remediation`, `docs`}] ordered by file, severity and line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

import msgspec

from sievert.model.checks import CheckFinding
from sievert.report.base import TOOL_NAME, tool_version
from sievert.report.config.common import ConfigReport, counts, ordered
from sievert.report.sbom.native import dump

SCHEMA_VERSION = "1"


def finding_object(finding: CheckFinding) -> dict[str, Any]:
    """One finding as a JSON object."""
    return {
        "ruleId": finding.rule.id,
        "severity": finding.severity,
        "title": finding.rule.title,
        "message": finding.message,
        "file": finding.region.path,
        "startLine": finding.region.start_line,
        "endLine": finding.region.end_line,
        "instruction": finding.instruction,
        "suppressedBy": finding.suppressed_by,
        "remediation": finding.rule.remediation,
        "docs": finding.rule.docs,
    }


def config_document(report: ConfigReport, version: str) -> dict[str, Any]:
    """The whole JSON document."""
    return {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": version},
        "files": list(report.files),
        "summary": counts(report.findings),
        "suppressed": report.suppressed,
        "findings": [finding_object(f) for f in ordered(report.findings)],
    }


class ConfigJsonWriter(msgspec.Struct, frozen=True):
    """Writes the config report as JSON."""

    version: Callable[[], str] = msgspec.field(default=tool_version)
    name: str = "json"

    def write(self, report: ConfigReport, out: TextIO) -> None:
        """Write the JSON document."""
        dump(config_document(report, self.version()), out)
