"""The result of `sievert config` as report writers see it, and their contract."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TextIO, runtime_checkable

import msgspec

from sievert.model.checks import CheckFinding, Rule
from sievert.model.severity import MOST_SEVERE_FIRST, Severity


class ConfigReport(msgspec.Struct, frozen=True):
    """The Dockerfiles analysed, the findings to show and the rules that ran."""

    files: tuple[str, ...]
    findings: tuple[CheckFinding, ...]
    rules: tuple[Rule, ...] = ()
    suppressed: int = 0
    """Suppressed findings not shown (shown ones are in `findings` with `suppressed_by`)."""
    active_severities: tuple[Severity, ...] = ()
    """The severity of every active finding (what `--fail-on` looks at)."""


@runtime_checkable
class ConfigWriter(Protocol):
    """Writes a config report in one output format."""

    @property
    def name(self) -> str:
        """The format name users pass to `--format`."""
        ...

    def write(self, report: ConfigReport, out: TextIO) -> None:
        """Write `report` to `out`."""
        ...


def ordered(findings: Iterable[CheckFinding]) -> list[CheckFinding]:
    """By file, then severity (critical first), then line and rule id."""
    return sorted(
        findings,
        key=lambda f: (f.region.path, -f.severity.rank, f.region.start_line, f.rule.id),
    )


def counts(findings: Iterable[CheckFinding]) -> dict[Severity, int]:
    """Active findings per severity, critical first."""
    result = dict.fromkeys(MOST_SEVERE_FIRST, 0)
    for finding in findings:
        if not finding.suppressed_by:
            result[finding.severity] += 1
    return result


def lines(finding: CheckFinding) -> str:
    """`12` or `12-15`."""
    region = finding.region
    if region.end_line > region.start_line:
        return f"{region.start_line}-{region.end_line}"
    return str(region.start_line)
