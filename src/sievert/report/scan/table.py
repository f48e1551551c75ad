"""The findings table of `sievert scan` (`--format table`): a header, findings by severity, notices.

Findings are grouped by severity, critical first; inside a group they keep the result's order
(the CLI sorts it). Colour only on a terminal, as for the inventory table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

import msgspec
from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from sievert.model import Notice
from sievert.model.finding import Finding, ScanResult
from sievert.report.common import ordered_packages
from sievert.report.sbom.table import distro_label, emit, truncate
from sievert.report.scan.common import (
    db_warnings,
    fix_label,
    layer_text,
    severity_counts,
)
from sievert.report.verdict_doc import verdict_lines

if TYPE_CHECKING:  # a scan without checks or advice builds none of these records
    from sievert.model.advice import BaseAdvice, CandidateResult
    from sievert.model.checks import CheckFinding, SecretFinding

MAX_NOTICES = 5
"""Notices listed under the table; the rest are counted (the JSON report has them all)."""
SEVERITY_STYLES = {
    "critical": "bold red",
    "high": "red",
    "medium": "yellow",
    "low": "blue",
    "negligible": "dim",
    "unknown": "dim",
}
COLUMNS = ("ID", "Package", "Installed", "Fixed in", "Severity", "EPSS", "KEV", "Layer")


def scan_header(result: ScanResult) -> list[str]:
    """Image, digest, distro, database build date, package count and counts per severity."""
    inventory = result.inventory
    image = inventory.image
    lines = [f"Image:    {image.reference}"]
    if image.manifest_digest:
        lines.append(f"Digest:   {image.manifest_digest}")
    lines.append(f"Distro:   {distro_label(inventory)}")
    lines.append(f"DB built: {result.db_built or 'unknown'}")
    lines += [f"WARNING:  {text}" for text in db_warnings(result)]
    lines.append(f"Packages: {len(ordered_packages(inventory))}")
    counts = severity_counts(result.findings)
    detail = ", ".join(f"{name} {count}" for name, count in counts.items())
    lines.append(f"Findings: {len(result.findings)} ({detail})")
    if "config" in result.scanners:
        lines.append(f"Misconfigurations: {len(result.config_findings)}")
    if "secret" in result.scanners:
        lines.append(f"Secrets: {len(result.secret_findings)}")
    return lines


def epss_label(finding: Finding) -> str:
    """`score (percentile)` of the EPSS data, '-' when unknown."""
    vuln = finding.vulnerability
    if vuln.epss_score is None:
        return "-"
    if vuln.epss_percentile is None:
        return f"{vuln.epss_score:.3f}"
    return f"{vuln.epss_score:.3f} ({vuln.epss_percentile:.2%})"


def kev_label(finding: Finding) -> str:
    """`yes DATE` (and `ransomware`) when listed in CISA KEV, '-' otherwise."""
    vuln = finding.vulnerability
    if not vuln.kev_date_added:
        return "-"
    label = f"yes {vuln.kev_date_added}"
    return f"{label} ransomware" if vuln.kev_ransomware else label


def by_severity(findings: tuple[Finding, ...]) -> list[Finding]:
    """Findings critical first, keeping the given order inside each severity (a stable sort)."""
    return sorted(findings, key=lambda f: -f.severity.rank)


def findings_table(result: ScanResult) -> Table:
    """One row per finding, a section line between severities."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in COLUMNS:
        table.add_column(column, overflow="fold")
    rows = by_severity(result.findings)
    for n, finding in enumerate(rows):
        package = finding.package
        last = n + 1 == len(rows) or rows[n + 1].severity != finding.severity
        table.add_row(
            finding.id,
            package.name,
            package.version,
            fix_label(finding),
            Text(finding.severity, style=SEVERITY_STYLES.get(finding.severity, "")),
            epss_label(finding),
            kev_label(finding),
            _layer_or_instruction(result, package.introduced_by),
            end_section=last,
        )
    return table


def _layer_or_instruction(result: ScanResult, index: int) -> str:
    """`Dockerfile:12` when `--dockerfile` mapped the layer, else the layer's index and digest."""
    source = result.layer_source(index)
    if source is None:
        return layer_text(result.inventory.image, index)
    return f"{index} {source.path.rsplit('/', 1)[-1]}:{source.start_line}"


def config_section(findings: tuple[CheckFinding, ...]) -> list[RenderableType]:
    """`Misconfigurations (N):` and one row per image check finding, most severe first."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in ("Rule", "Severity", "Title", "Where", "Detail"):
        table.add_column(column, overflow="fold")
    for f in sorted(findings, key=lambda f: -f.severity.rank):
        where = f.region.path or "config"
        if f.region.start_line:
            where += f":{f.region.start_line}"
        table.add_row(
            f.rule.id,
            Text(f.severity, style=SEVERITY_STYLES.get(f.severity, "")),
            f.rule.title,
            where,
            truncate(f.message, 150),
        )
    body: RenderableType = table if findings else Text("No misconfigurations found.")
    return [Text(""), Text(f"Misconfigurations ({len(findings)}):"), body]


def secrets_section(findings: tuple[SecretFinding, ...]) -> list[RenderableType]:
    """`Secrets (N):` and one row per secret (always redacted), most severe first."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in ("Rule", "Severity", "Title", "Path", "Layer", "Match"):
        table.add_column(column, overflow="fold")
    for f in sorted(findings, key=lambda f: -f.severity.rank):
        layer = str(f.region.layer_index) + (" (deleted later)" if f.deleted_later else "")
        table.add_row(
            f.rule.id,
            Text(f.severity, style=SEVERITY_STYLES.get(f.severity, "")),
            f.rule.title,
            f"{f.region.path}:{f.region.start_line}",
            layer,
            truncate(f.redacted.strip(), 100),
        )
    body: RenderableType = table if findings else Text("No secrets found.")
    return [Text(""), Text(f"Secrets ({len(findings)}):"), body]


def notices_section(result: ScanResult) -> list[RenderableType]:
    """`Notices (N):` and the first few notices, inventory ones first; nothing when none."""
    notices: list[Notice] = [*result.inventory.notices, *result.notices]
    if not notices:
        return []
    lines: list[RenderableType] = [Text(""), Text(f"Notices ({len(notices)}):")]
    for notice in notices[:MAX_NOTICES]:
        where = f" ({notice.where})" if notice.where else ""
        lines.append(Text(f"  {notice.level}: {truncate(notice.message + where, 150)}"))
    if len(notices) > MAX_NOTICES:
        lines.append(Text(f"  +{len(notices) - MAX_NOTICES} more (see --format json)"))
    return lines


def advice_lines(advice: BaseAdvice) -> list[str]:
    """The base image advice as plain lines: the current base, each candidate, the verdict."""
    lines = [f"Base image advice for {advice.base} (scope {advice.scope}):"]
    where = "in the base's layers" if advice.method == "layers" else "in the base image"
    lines.append(f"  now {advice.current.tag}: {_counts(advice.current)} {where}")
    for candidate in advice.candidates:
        change = f"removes {candidate.removed}, adds {candidate.added}"
        lines.append(f"  {candidate.tag}: {_counts(candidate)}; {change}")
    best = advice.best
    if best is not None:
        lines.append(
            f"  recommended: {best.tag} ({advice.current.total} -> {best.total} findings, "
            f"{best.removed} removed, {best.added} added)"
        )
    elif advice.candidates:
        lines.append("  no candidate has fewer findings than the current base")
    lines += [f"  note: {note}" for note in advice.notes]
    return lines


def _counts(candidate: CandidateResult) -> str:
    """'5 findings (critical 1, high 2, medium 2)': the severities that occur."""
    detail = ", ".join(f"{name} {count}" for name, count in candidate.by_severity if count)
    return f"{candidate.total} findings" + (f" ({detail})" if detail else "")


class ScanTableWriter(msgspec.Struct, frozen=True):
    """Writes the scan header, the findings table and the notice section."""

    width: int | None = None
    name: str = "table"
    media_type: str = "text/plain"
    show_suppressed: bool = False
    """List what the policy's exceptions and VEX statements suppressed, and why."""

    def write(self, result: ScanResult, out: TextIO) -> None:
        """Write header, findings by severity and notices."""
        header: list[RenderableType] = [Text(line) for line in scan_header(result)]
        body: RenderableType = (
            findings_table(result) if result.findings else Text("No vulnerabilities found.")
        )
        extra: list[RenderableType] = []
        if "config" in result.scanners:
            extra += config_section(result.config_findings)
        if "secret" in result.scanners:
            extra += secrets_section(result.secret_findings)
        if "vuln" not in result.scanners:
            body = Text("Vulnerability scanning was not requested.")
        if result.verdict is not None:
            lines = verdict_lines(result.verdict, self.show_suppressed)
            extra += [Text(""), *(Text(line) for line in lines)]
        emit(out, [*header, Text(""), body, *extra, *notices_section(result)], self.width)
