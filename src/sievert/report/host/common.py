"""What the host scan reports share: their contract and the per-host verdict words."""

from __future__ import annotations

from typing import Protocol, TextIO, runtime_checkable

from sievert.model.host import HostReport, HostScan
from sievert.model.severity import Severity


@runtime_checkable
class HostWriter(Protocol):
    """Writes a host scan in one output format."""

    @property
    def name(self) -> str:
        """The format name users pass to `--format`."""
        ...

    def write(self, scan: HostScan, out: TextIO) -> None:
        """Write `scan` to `out`."""
        ...


def worst_severity(report: HostReport) -> Severity | None:
    """The highest severity of the host's findings (None when none)."""
    if report.result is None or not report.result.findings:
        return None
    return max(f.severity for f in report.result.findings)
