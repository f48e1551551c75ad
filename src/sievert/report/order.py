"""The order findings are reported in (`--sort`): total, so reports stay stable."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sievert.errors import UsageError

if TYPE_CHECKING:  # `scan --help` reads SORT_KEYS without loading the result model
    from sievert.model.finding import Finding, ScanResult

SORT_KEYS = ("severity", "risk", "epss")
"""The valid values of `--sort`."""


def _tie_break(finding: Finding) -> tuple[str, str, str, str, str]:
    from sievert.report.scan.common import package_path

    package = finding.package
    return (finding.id, package.name, package.version, package.purl, package_path(package))


def _epss(finding: Finding) -> float:
    score = finding.vulnerability.epss_score
    return -1.0 if score is None else score


_SORTS: dict[str, Callable[[Finding], tuple[object, ...]]] = {
    "severity": lambda f: (-f.severity.rank, -f.risk, *_tie_break(f)),
    "risk": lambda f: (-f.risk, -f.severity.rank, *_tie_break(f)),
    "epss": lambda f: (-_epss(f), -f.severity.rank, -f.risk, *_tie_break(f)),
}


def check_sort_key(by: str) -> str:
    """`by` when it is a sort key; UsageError listing the valid keys otherwise."""
    if by not in _SORTS:
        raise UsageError(f"unknown sort key {by!r}; valid keys: {', '.join(SORT_KEYS)}")
    return by


def sort_findings(result: ScanResult, by: str = "severity") -> ScanResult:
    """The result with findings ordered by severity (then risk), risk, or EPSS, highest first."""
    from msgspec.structs import replace  # `scan --help` loads this module, not msgspec

    key = _SORTS[check_sort_key(by)]
    return replace(result, findings=tuple(sorted(result.findings, key=key)))
