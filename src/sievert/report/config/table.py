"""`sievert config --format table`: per Dockerfile, findings by severity with their lines."""

from __future__ import annotations

from itertools import groupby
from typing import TextIO

import msgspec
from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from sievert.model.checks import CheckFinding
from sievert.report.config.common import ConfigReport, counts, lines, ordered
from sievert.report.sbom.table import emit
from sievert.report.scan.table import SEVERITY_STYLES


def file_table(findings: list[CheckFinding]) -> Table:
    """The findings of one file: severity, rule, lines, message."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in ("Severity", "Rule", "Line", "Finding"):
        table.add_column(column, overflow="fold", justify="right" if column == "Line" else "left")
    for finding in findings:
        severity = Text(finding.severity, style=SEVERITY_STYLES.get(finding.severity, ""))
        text = f"{finding.rule.title}: {finding.message}"
        if finding.suppressed_by:
            text += f" [suppressed: {finding.suppressed_by}]"
        table.add_row(severity, finding.rule.id, lines(finding), text)
    return table


def summary(report: ConfigReport) -> str:
    """`N findings (critical 1, high 2, ...) in M files`."""
    tally = counts(report.findings)
    detail = ", ".join(f"{name} {count}" for name, count in tally.items() if count)
    total = sum(tally.values())
    text = f"{total} findings{f' ({detail})' if detail else ''} in {len(report.files)} files"
    return text + (f"; {report.suppressed} suppressed" if report.suppressed else "")


class ConfigTableWriter(msgspec.Struct, frozen=True):
    """Writes one table per Dockerfile and a summary line."""

    width: int | None = None
    name: str = "table"

    def write(self, report: ConfigReport, out: TextIO) -> None:
        """Write the tables."""
        renderables: list[RenderableType] = []
        for path, group in groupby(ordered(report.findings), key=lambda f: f.region.path):
            renderables += [Text(path, style="bold"), file_table(list(group)), Text("")]
        renderables.append(Text(summary(report)))
        emit(out, renderables, self.width)
