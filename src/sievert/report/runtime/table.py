"""`sievert runtime audit -f table`: one block per container: risk, runtime findings, image."""

from __future__ import annotations

from typing import TextIO

import msgspec
from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from sievert.model.checks import CheckFinding
from sievert.model.runtime import ContainerAudit, RuntimeAudit
from sievert.report.runtime.common import cis_of, finding_order, ordered, vulnerable_packages
from sievert.report.sbom.table import emit
from sievert.report.scan.common import severity_counts
from sievert.report.scan.table import SEVERITY_STYLES

MAX_PACKAGES_SHOWN = 8


# table ----------------------------------------------------------------------------------------
def findings_table(findings: list[CheckFinding]) -> Table:
    """Severity, rule, CIS control, finding."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in ("Severity", "Rule", "CIS", "Finding"):
        table.add_column(column, overflow="fold")
    for finding in findings:
        severity = Text(finding.severity, style=SEVERITY_STYLES.get(finding.severity, ""))
        table.add_row(
            severity,
            finding.rule.id,
            cis_of(finding.rule),
            f"{finding.rule.title}: {finding.message}",
        )
    return table


def image_lines(entry: ContainerAudit) -> list[str]:
    """The image's verdict and vulnerable packages, in a few lines."""
    if entry.image is None:
        return [f"  image: not scanned ({entry.image_error})"] if entry.image_error else []
    result = entry.image
    counts = severity_counts(result.findings)
    detail = ", ".join(f"{name} {count}" for name, count in counts.items() if count)
    distro = result.inventory.distro
    os_text = f"{distro.id} {distro.version_id}".strip() if distro else "unknown OS"
    lines = [
        f"  image: {os_text}, {len(result.inventory.packages)} packages, "
        f"{len(result.findings)} vulnerabilities" + (f" ({detail})" if detail else "")
    ]
    groups = vulnerable_packages(result)
    for _, found in groups[:MAX_PACKAGES_SHOWN]:
        package = found[0].package
        ids = ", ".join(f"{f.id} ({f.severity})" for f in found[:3])
        more = f" and {len(found) - 3} more" if len(found) > 3 else ""
        lines.append(f"    {package.name} {package.version}: {ids}{more}")
    if len(groups) > MAX_PACKAGES_SHOWN:
        lines.append(f"    ... {len(groups) - MAX_PACKAGES_SHOWN} more vulnerable packages")
    return lines


def header(entry: ContainerAudit) -> Text:
    """`name (image, id) risk: high (reason)`."""
    c = entry.container
    text = Text(f"{c.name} ", style="bold")
    text.append(f"({c.image}, {c.short_id}) risk: ")
    text.append(entry.risk.severity, style=SEVERITY_STYLES.get(entry.risk.severity, ""))
    text.append(f" ({entry.risk.reason})")
    if entry.verdict is not None:
        text.append(f" verdict: {entry.verdict.action} (policy {entry.verdict.policy})")
    return text


class RuntimeTableWriter(msgspec.Struct, frozen=True):
    """One block per container: its risk, runtime findings and image summary."""

    width: int | None = None
    name: str = "table"

    def write(self, audit: RuntimeAudit, out: TextIO) -> None:
        """Write the blocks and a summary line."""
        renderables: list[RenderableType] = []
        for entry in ordered(audit):
            renderables.append(header(entry))
            if entry.findings:
                renderables.append(findings_table(finding_order(entry.findings)))
            else:
                renderables.append(Text("  no runtime findings"))
            renderables += [Text(line) for line in image_lines(entry)]
            renderables.append(Text(""))
        total = sum(len(c.findings) for c in audit.containers)
        renderables.append(
            Text(
                f"{len(audit.containers)} running containers, {total} runtime findings "
                f"({audit.engine})"
            )
        )
        emit(out, renderables, self.width)
