"""Text and JSON views of vulnerability records, for `sievert vuln show|search|exploits`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from sievert.model import Affected, Vulnerability
from sievert.model.record import as_dict
from sievert.report.cvss_text import explain
from sievert.report.sbom.native import dump
from sievert.report.sbom.table import SafeConsole


def _console(out: TextIO) -> Console:
    return SafeConsole(file=out, highlight=False, soft_wrap=True, width=110)


def vulnerability_json(vuln: Vulnerability, statements: Sequence[Affected]) -> dict[str, Any]:
    """A record plus the statements about it, as plain JSON data."""
    data = as_dict(vuln)
    data["cvss"] = [
        {**as_dict(c), "explained": [as_dict(m) for m in explain(c.vector)]} for c in vuln.cvss
    ]
    data["affected"] = [statement_json(s) for s in statements]
    return data


def exploitation_json(vuln: Vulnerability) -> dict[str, Any]:
    """KEV, EPSS and public exploits of a vulnerability, as plain JSON data."""
    return {
        "kev": {
            "date_added": vuln.kev_date_added,
            "due_date": vuln.kev_due_date,
            "ransomware": vuln.kev_ransomware,
        }
        if vuln.kev_date_added
        else None,
        "epss": {"score": vuln.epss_score, "percentile": vuln.epss_percentile}
        if vuln.epss_score is not None
        else None,
        "exploits": [as_dict(e) for e in vuln.exploits],
    }


def statement_json(statement: Affected) -> dict[str, Any]:
    """One advisory statement as JSON data."""
    data = as_dict(statement)
    data["ranges"] = [
        {"type": r.type, "events": [{e.kind: e.version} for e in r.events]}
        for r in statement.ranges
    ]
    return data


write_json = dump
"""Indented JSON with a trailing newline (the same layout as every JSON report)."""


def write_vulnerability(vuln: Vulnerability, statements: Sequence[Affected], out: TextIO) -> None:
    """The `vuln show` page: summary, scores explained, exploitation, affected packages."""
    console = _console(out)
    console.print(
        f"[bold]{vuln.id}[/bold]"
        + (f"  (aliases: {', '.join(vuln.aliases)})" if vuln.aliases else "")
    )
    if vuln.rejected:
        console.print("REJECTED by its CNA")
    for label, value in (
        ("Summary", vuln.summary),
        ("Published", vuln.published),
        ("Modified", vuln.modified),
    ):
        if value:
            console.print(f"{label}: {value}")
    if vuln.description:
        console.print(f"\n{vuln.description}\n")
    if vuln.cwes:
        console.print(f"Weaknesses: {', '.join(vuln.cwes)}")
    _write_scores(console, vuln)
    _write_exploitation(console, vuln)
    if statements:
        console.print("\n[bold]Affected packages[/bold]")
        console.print(statements_table(statements))
    if vuln.references:
        console.print("\n[bold]References[/bold]")
        for ref in vuln.references:
            console.print(f"  {ref}")


def _write_scores(console: Console, vuln: Vulnerability) -> None:
    for score in vuln.cvss:
        console.print(
            f"\n[bold]CVSS {score.version}[/bold] {score.base_score} {score.severity.upper()} "
            f"({score.source})  {score.vector}"
        )
        for metric in explain(score.vector):
            console.print(f"  {metric.metric}: {metric.value} - {metric.meaning}")


def _write_exploitation(console: Console, vuln: Vulnerability) -> None:
    if vuln.kev_date_added:
        ransomware = ", used in ransomware campaigns" if vuln.kev_ransomware else ""
        console.print(
            f"\nCISA KEV: added {vuln.kev_date_added}, due {vuln.kev_due_date}{ransomware}"
        )
    if vuln.epss_score is not None:
        percentile = vuln.epss_percentile or 0.0
        console.print(
            f"EPSS: {vuln.epss_score:.5f} (percentile {percentile:.5f}): probability of "
            "exploitation activity in the next 30 days"
        )
    for exploit in vuln.exploits:
        console.print(
            f"Exploit {exploit.source} {exploit.id}: {exploit.title} {exploit.url}".rstrip()
        )


def statements_table(statements: Sequence[Affected]) -> Table:
    """One row per statement: namespace, package, state, fixed version or ranges, source."""
    table = Table(box=None, pad_edge=False)
    for column in (
        "Vulnerability",
        "Namespace",
        "Package",
        "State",
        "Fixed / ranges",
        "Severity",
        "Source",
    ):
        table.add_column(column)
    for s in sorted(statements, key=lambda s: (s.namespace, s.package, s.vuln_id)):
        table.add_row(
            s.vuln_id,
            s.namespace,
            s.package,
            s.fix_state + (f" ({s.note})" if s.note else ""),
            s.fixed_version or _ranges_text(s),
            s.severity or "-",
            s.source,
        )
    return table


def _ranges_text(statement: Affected) -> str:
    parts = [
        ", ".join(f"{e.kind} {e.version}" for e in r.events)
        for r in statement.ranges
        if r.type != "GIT"
    ]
    if statement.versions and not parts:
        parts.append(f"{len(statement.versions)} listed versions")
    return "; ".join(parts) or "-"


def write_statements(statements: Sequence[Affected], out: TextIO) -> None:
    """The `vuln search` table."""
    console = _console(out)
    if not statements:
        console.print("no known vulnerabilities")
        return
    console.print(statements_table(statements))
