"""What the runtime audit reports share: ordering, the image summary, CIS controls."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TextIO, runtime_checkable

from sievert.model.checks import CheckFinding, Rule
from sievert.model.finding import Finding, ScanResult
from sievert.model.runtime import ContainerAudit, RuntimeAudit
from sievert.model.severity import MOST_SEVERE_FIRST


@runtime_checkable
class RuntimeWriter(Protocol):
    """Writes a runtime audit in one output format."""

    @property
    def name(self) -> str:
        """The format name users pass to `--format`."""
        ...

    def write(self, audit: RuntimeAudit, out: TextIO) -> None:
        """Write `audit` to `out`."""
        ...


RISK_ORDER: tuple[str, ...] = (*MOST_SEVERE_FIRST, "none")


def ordered(audit: RuntimeAudit) -> list[ContainerAudit]:
    """Highest risk first, then by name."""
    return sorted(
        audit.containers, key=lambda c: (RISK_ORDER.index(c.risk.severity), c.container.name)
    )


def finding_order(findings: Iterable[CheckFinding]) -> list[CheckFinding]:
    """Critical first, then rule id."""
    return sorted(findings, key=lambda f: (-f.severity.rank, f.rule.id, f.message))


def vulnerable_packages(result: ScanResult) -> list[tuple[str, list[Finding]]]:
    """(package key, its findings) for each vulnerable package, worst first."""
    groups: dict[str, list[Finding]] = {}
    for finding in result.findings:
        groups.setdefault(finding.package.purl or finding.package.name, []).append(finding)
    return sorted(
        groups.items(),
        key=lambda item: (-max(f.severity.rank for f in item[1]), item[0]),
    )


def cis_of(rule: Rule) -> str:
    """The CIS Docker Benchmark control of a rule ('' when none)."""
    return rule.cis
