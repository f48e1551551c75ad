"""`sievert host scan -f table`: one block per host: OS, kernel, reboot, findings."""

from __future__ import annotations

from typing import TextIO

import msgspec
from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from sievert.model.host import HostReport, HostScan, KernelFinding
from sievert.report.sbom.table import emit
from sievert.report.scan.common import severity_counts
from sievert.report.scan.table import SEVERITY_STYLES


def host_lines(report: HostReport) -> list[RenderableType]:
    """The host's header, kernel and reboot lines and its findings table."""
    title = Text(f"{report.name} ", style="bold")
    title.append(f"({report.target})")
    if report.error:
        return [title, Text(f"  not scanned: {report.error}", style="red")]
    result = report.result
    assert result is not None
    distro = result.inventory.distro
    counts = severity_counts(result.findings)
    detail = ", ".join(f"{name} {count}" for name, count in counts.items() if count)
    lines: list[RenderableType] = [
        title,
        Text(
            f"  {distro.pretty_name or distro.id if distro else 'unknown OS'}, "
            f"{len(result.inventory.packages)} packages, {len(result.findings)} vulnerabilities"
            + (f" ({detail})" if detail else "")
        ),
        Text(
            f"  kernel: running {report.kernel_release or 'unknown'}"
            + (f", newest installed {report.newest_kernel}" if report.newest_kernel else "")
        ),
    ]
    for reason in report.reboot_required:
        lines.append(Text(f"  reboot required: {reason}", style="yellow"))
    escapes = [k for k in report.kernel_findings if k.escape]
    if report.kernel_findings:
        guessed = sum(1 for k in escapes if k.escape_basis == "text")
        lines.append(
            Text(
                f"  kernel vulnerabilities: {len(report.kernel_findings)}, "
                f"{len(escapes)} relevant to container escape"
                + (f" ({guessed} from the description only)" if guessed else "")
            )
        )
    if result.findings:
        lines.append(findings_table(report))
    return lines


def kernel_mark(kernel: KernelFinding) -> str:
    """'kernel', or 'kernel, escape (evidence)' with '?' when only the text suggests it."""
    if not kernel.escape:
        return "kernel"
    evidence = ", ".join(kernel.escape_evidence)
    doubt = "?" if kernel.escape_basis == "text" else ""
    return f"kernel, escape{doubt} ({evidence})"


def findings_table(report: HostReport) -> Table:
    """ID, package, installed, fixed in, severity, a kernel/escape mark."""
    assert report.result is not None
    marks = {(k.vulnerability_id, k.package): kernel_mark(k) for k in report.kernel_findings}
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in ("ID", "Package", "Installed", "Fixed in", "Severity", "Note"):
        table.add_column(column, overflow="fold")
    ordered = sorted(report.result.findings, key=lambda f: (-f.severity.rank, f.id))
    for finding in ordered:
        table.add_row(
            finding.id,
            finding.package.name,
            finding.package.version,
            ", ".join(finding.fixed_versions),
            Text(finding.severity, style=SEVERITY_STYLES.get(finding.severity, "")),
            marks.get((finding.id, finding.package.name), ""),
        )
    return table


class HostTableWriter(msgspec.Struct, frozen=True):
    """One block per host and a summary line."""

    width: int | None = None
    name: str = "table"

    def write(self, scan: HostScan, out: TextIO) -> None:
        """Write the blocks."""
        renderables: list[RenderableType] = []
        for report in scan.hosts:
            renderables += [*host_lines(report), Text("")]
        failed = sum(1 for h in scan.hosts if h.error)
        reboot = sum(1 for h in scan.hosts if h.reboot_required)
        renderables.append(
            Text(f"{len(scan.hosts)} hosts, {failed} not scanned, {reboot} needing a reboot")
        )
        emit(out, renderables, self.width)
