"""GitLab container scanning report (`scan --format gitlab`), security report schema 15.x.

Save it as `gl-container-scanning-report.json` and declare it under
`artifacts:reports:container_scanning` (see contrib/gitlab/sievert.gitlab-ci.yml). One
vulnerability per finding: `id` is a UUID derived from the finding's key (stable across runs,
so GitLab tracks it between pipelines), `identifiers` are the finding's id then its aliases
(type `cve`, `ghsa`, `osv`...), `location` names the package, the operating system and the
image. Findings a policy verdict suppresses (VEX, exceptions) are left out and counted in
`scan.messages`; config and secret findings have no place in this report type.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TextIO

import msgspec

from sievert.model.finding import Finding, ScanResult
from sievert.model.inventory import Inventory
from sievert.report.base import Stamp, project_url
from sievert.report.sbom.native import dump
from sievert.report.scan.common import db_warnings, describe, fix_label, vulnerability_url
from sievert.report.verdict_view import Suppressions, vulnerability_key

SCHEMA_VERSION = "15.0.7"
SEVERITIES = {
    "critical": "Critical",
    "high": "High",
    "medium": "Medium",
    "low": "Low",
    "negligible": "Info",
    "unknown": "Unknown",
}
_NAMESPACE = uuid.UUID("5b1f0f5e-7c1a-4a55-9f3e-51e7e4f0a001")
_NAME_LIMIT = 255
_SOLUTION_LIMIT = 7000


def identifier(vuln_id: str) -> dict[str, str]:
    """A GitLab identifier: type from the id's prefix (cve, ghsa, osv...), its public URL."""
    prefix = vuln_id.split("-", 1)[0].lower() if "-" in vuln_id else "osv"
    kind = prefix if prefix in {"cve", "ghsa", "pysec", "go", "rustsec", "dsa", "dla"} else "osv"
    return {"type": kind, "name": vuln_id, "value": vuln_id, "url": vulnerability_url(vuln_id)}


def operating_system(inventory: Inventory) -> str:
    """`debian 12` style, else the distro's pretty name, else 'unknown'."""
    distro = inventory.distro
    if distro is None:
        return "unknown"
    text = f"{distro.id} {distro.version_id}".strip()
    return text or distro.pretty_name or "unknown"


def solution(finding: Finding) -> str:
    """Upgrade advice, or the fix state in words when no fixed version exists."""
    if finding.fixed_versions:
        text = f"Upgrade {finding.package.name} to {' or '.join(finding.fixed_versions)}."
    else:
        text = f"No fixed version: {fix_label(finding).strip('()')}."
    return text[:_SOLUTION_LIMIT]


def vulnerability(finding: Finding, inventory: Inventory) -> dict[str, Any]:
    """One GitLab vulnerability object."""
    vuln, pkg = finding.vulnerability, finding.package
    ids = dict.fromkeys((vuln.id, *vuln.aliases))
    entry: dict[str, Any] = {
        "id": str(uuid.uuid5(_NAMESPACE, vulnerability_key(finding))),
        "name": (vuln.summary or vuln.id)[:_NAME_LIMIT],  # no finding-specific details here
        "description": describe(vuln) or f"{vuln.id} affects {pkg.name} {pkg.version}.",
        "severity": SEVERITIES.get(finding.severity, "Unknown"),
        "solution": solution(finding),
        "location": {
            "dependency": {"package": {"name": pkg.name or "unknown"}, "version": pkg.version},
            "operating_system": operating_system(inventory),
            "image": inventory.image.reference or "unknown",
        },
        "identifiers": [identifier(i) for i in ids],
    }
    links = [url for url in vuln.references if url.startswith(("https://", "http://"))]
    if links:
        entry["links"] = [{"url": url} for url in dict.fromkeys(links)]
    return entry


def _gitlab_time(stamp: Stamp) -> str:
    return stamp.iso_timestamp.rstrip("Z")


def gitlab_document(result: ScanResult, stamp: Stamp, url: str) -> dict[str, Any]:
    """The whole report document."""
    suppressions = Suppressions.of(result)
    kept = [f for f in result.findings if suppressions.vulnerability(f) is None]
    tool = {
        "id": "sievert",
        "name": "Sievert",
        "url": url,
        "version": stamp.tool_version,
        "vendor": {"name": "Sievert"},
    }
    scan: dict[str, Any] = {
        "analyzer": tool,
        "scanner": tool,
        "type": "container_scanning",
        "start_time": _gitlab_time(stamp),
        "end_time": _gitlab_time(stamp),
        "status": "success",
    }
    dropped = len(result.findings) - len(kept)
    messages = [{"level": "warn", "value": text} for text in db_warnings(result)]
    if dropped:
        messages.append({"level": "info", "value": f"{dropped} suppressed finding(s) omitted"})
    if messages:
        scan["messages"] = messages
    return {
        "version": SCHEMA_VERSION,
        "scan": scan,
        "vulnerabilities": [vulnerability(f, result.inventory) for f in kept],
    }


class GitlabWriter(msgspec.Struct, frozen=True):
    """Writes the GitLab container scanning report."""

    stamp: Callable[[], Stamp] = msgspec.field(default=Stamp.fresh)
    url: Callable[[], str] = msgspec.field(default=project_url)
    name: str = "gitlab"
    media_type: str = "application/json"

    def write(self, result: ScanResult, out: TextIO) -> None:
        """Write the report."""
        dump(gitlab_document(result, self.stamp(), self.url()), out)
