"""Markdown summary (`scan --format markdown`) for pull-request comments and GITHUB_STEP_SUMMARY.

Short by design: a status line (FAIL/WARN/PASS from the policy verdict; FINDINGS/CLEAN
without one), counts per severity, the top active findings in the result's order (the CLI's
`--sort`), the policy rules triggered, and how many findings are suppressed.
"""

from __future__ import annotations

from typing import TextIO

import msgspec

from sievert.model.finding import Finding, ScanResult
from sievert.report.scan.common import (
    db_warnings,
    fix_label,
    severity_counts,
    severity_notes,
    vulnerability_url,
)
from sievert.report.verdict_view import (
    Suppressions,
    active_findings,
    describe_suppression,
    status_word,
    suppressed_count,
)
from sievert.terminal import escape

TOP_FINDINGS = 10


def cell(text: str) -> str:
    """Text safe in a Markdown table cell: pipes escaped, newlines flattened."""
    return " ".join(text.split()).replace("|", "\\|") or "-"


def status_line(result: ScanResult, active: int) -> str:
    """`**Sievert: FAIL** · image · policy production (stop)`."""
    word = status_word(result, active)
    parts = [f"**Sievert: {word}**", f"`{result.inventory.image.reference or 'image'}`"]
    if result.verdict is not None:
        parts.append(f"policy `{result.verdict.policy}` ({result.verdict.action})")
    return " · ".join(parts)


def counts_table(findings: list[Finding]) -> list[str]:
    """One row of counts per severity, critical first."""
    counts = severity_counts(findings)
    head = "| " + " | ".join(counts) + " |"
    rule = "|" + "---:|" * len(counts)
    return [head, rule, "| " + " | ".join(str(n) for n in counts.values()) + " |"]


def findings_table(findings: list[Finding], limit: int) -> list[str]:
    """The first `limit` findings: id (linked), package, installed, fixed, severity."""
    lines = ["| id | package | installed | fixed | severity |", "|---|---|---|---|---|"]
    for f in findings[:limit]:
        link = f"[{cell(f.id)}]({vulnerability_url(f.id)})"
        row = [link, cell(f.package.name), cell(f.package.version), cell(fix_label(f))]
        lines.append("| " + " | ".join([*row, f.severity]) + " |")
    if len(findings) > limit:
        lines.append(f"\n…and {len(findings) - limit} more.")
    return lines


def rules_lines(result: ScanResult) -> list[str]:
    """Triggered rules as a list, strongest action first."""
    if result.verdict is None or not result.verdict.triggered:
        return []
    order = {"stop": 0, "warn": 1}
    rules = sorted(result.verdict.triggered, key=lambda r: order.get(r.action, 2))
    lines = ["", "**Policy rules triggered**", ""]
    for rule in rules:
        text = f" {cell(rule.description)}" if rule.description else ""
        lines.append(f"- `{rule.action}` `{rule.rule_id}`{text} ({len(rule.findings)} findings)")
    return lines


def other_lines(result: ScanResult) -> list[str]:
    """Config and secret counts, suppressed count and expired exceptions."""
    lines: list[str] = []
    sup = Suppressions.of(result)
    if "config" in result.scanners or result.config_findings:
        active = [f for f in result.config_findings if not sup.check(f)]
        lines.append(f"Misconfigurations: {len(active)}")
    if "secret" in result.scanners or result.secret_findings:
        secrets = [f for f in result.secret_findings if not sup.secret(f)]
        lines.append(f"Secrets: {len(secrets)}")
    lines.append(f"Suppressed: {suppressed_count(result)}")
    if result.verdict is not None and result.verdict.expired_exceptions:
        lines.append(f"Expired exceptions: {len(result.verdict.expired_exceptions)}")
    return ["", " · ".join(lines)]


def suppressed_lines(result: ScanResult) -> list[str]:
    """What the policy's exceptions and VEX statements suppressed, and why (`--show-suppressed`)."""
    if result.verdict is None or not result.verdict.suppressed:
        return []
    lines = ["", "**Suppressed**", ""]
    for item in result.verdict.suppressed:
        lines.append(f"- {cell(item.finding.summary)}: {cell(describe_suppression(item))}")
    return lines


def markdown_summary(
    result: ScanResult, limit: int = TOP_FINDINGS, show_suppressed: bool = False
) -> str:
    """The whole summary; with `show_suppressed` also the list of suppressed findings."""
    active = active_findings(result)
    lines = [status_line(result, len(active)), "", *counts_table(active)]
    lines += [f"> **Warning:** {text}" for text in db_warnings(result)]
    lines += [f"> **Note:** {cell(text)}" for text in severity_notes(active, result)]
    if active:
        lines += ["", f"**Top findings** ({min(limit, len(active))} of {len(active)})", ""]
        lines += findings_table(active, limit)
    lines += rules_lines(result) + other_lines(result)
    if show_suppressed:
        lines += suppressed_lines(result)
    return "\n".join(lines) + "\n"


class MarkdownWriter(msgspec.Struct, frozen=True):
    """Writes the Markdown summary."""

    limit: int = TOP_FINDINGS
    show_suppressed: bool = False
    """List what the policy's exceptions and VEX statements suppressed, and why."""
    name: str = "markdown"
    media_type: str = "text/markdown"

    def write(self, result: ScanResult, out: TextIO) -> None:
        """Write the summary."""
        text = markdown_summary(result, self.limit, self.show_suppressed)
        out.write(escape(text, keep_lines=True))
