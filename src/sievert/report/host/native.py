"""`sievert host scan -f json`: one document, `schemaVersion` "1".

`tool`, `hosts` [{`name`, `target`, `error` ('' when scanned), `distro`, `packages` (count),
`kernel` {running, runningPackages, newestInstalled}, `rebootRequired`, `rebootReasons`,
`vulnerabilities` {severity: count}, `findings` [{id, package, version, type, severity,
fixedVersions, kernel, containerEscape, containerEscapeBasis ('data': CWE, CVSS or KEV data;
'text': the description only, lower confidence; '' when not relevant), containerEscapeEvidence
['cwe:CWE-269', 'cvss:nvd:3.1:AV:L/S:C', 'kev', 'text:privilege escalation']}], `notices`}],
in the order the hosts were given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

import msgspec

from sievert.model.finding import Finding
from sievert.model.host import HostReport, HostScan, KernelFinding
from sievert.report.base import TOOL_NAME, tool_version
from sievert.report.sbom.native import dump
from sievert.report.scan.common import severity_counts

SCHEMA_VERSION = "1"


def finding_object(finding: Finding, kernel: KernelFinding | None) -> dict[str, Any]:
    """One vulnerability of the host, marked when it is the running kernel's."""
    return {
        "id": finding.id,
        "package": finding.package.name,
        "version": finding.package.version,
        "type": finding.package.type,
        "severity": finding.severity,
        "fixedVersions": list(finding.fixed_versions),
        "kernel": kernel is not None,
        "containerEscape": kernel is not None and kernel.escape,
        "containerEscapeBasis": kernel.escape_basis if kernel is not None else "",
        "containerEscapeEvidence": list(kernel.escape_evidence) if kernel is not None else [],
    }


def host_object(report: HostReport) -> dict[str, Any]:
    """One host."""
    result = report.result
    kernel = {(k.vulnerability_id, k.package): k for k in report.kernel_findings}
    findings = (
        sorted(result.findings, key=lambda f: (-f.severity.rank, f.id, f.package.name))
        if result
        else []
    )
    distro = result.inventory.distro if result else None
    return {
        "name": report.name,
        "target": report.target,
        "error": report.error,
        "distro": f"{distro.id} {distro.version_id}".strip() if distro else "",
        "packages": len(result.inventory.packages) if result else 0,
        "kernel": {
            "running": report.kernel_release,
            "runningPackages": list(report.running_kernel_packages),
            "newestInstalled": report.newest_kernel,
        },
        "rebootRequired": bool(report.reboot_required),
        "rebootReasons": list(report.reboot_required),
        "vulnerabilities": severity_counts(result.findings) if result else {},
        "findings": [finding_object(f, kernel.get((f.id, f.package.name))) for f in findings],
        "notices": [n.message for n in result.inventory.notices] if result else [],
    }


class HostJsonWriter(msgspec.Struct, frozen=True):
    """Writes the JSON report."""

    version: Callable[[], str] = msgspec.field(default=tool_version)
    name: str = "json"

    def write(self, scan: HostScan, out: TextIO) -> None:
        """Write the document."""
        dump(host_document(scan, self.version()), out)


def host_document(scan: HostScan, version: str) -> dict[str, Any]:
    """The whole JSON report (also what `host scan --server` sends)."""
    return {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": version},
        "hosts": [host_object(h) for h in scan.hosts],
    }
