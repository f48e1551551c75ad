"""Pure functions over a ScanResult for the CLI: keep some findings, order them, gate on them.

`--severity`, `--ignore-unfixed`, `--sort` and `--fail-on SEVERITY` are built from these.
Sorting is total (ties broken by id, package and location) so reports stay stable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from sievert.errors import UsageError
from sievert.model.finding import Finding, ScanResult
from sievert.model.vuln import FIXED, SEVERITIES
from sievert.report.scan.common import package_path, severity_rank

SORT_KEYS = ("severity", "risk", "epss")
"""The valid values of `--sort`."""


def parse_severity(text: str) -> str:
    """A severity word in any case; UsageError listing the valid words otherwise."""
    word = text.strip().lower()
    if word not in SEVERITIES:
        valid = ", ".join(reversed(SEVERITIES))
        raise UsageError(f"unknown severity {text!r}; valid severities: {valid}")
    return word


def filter_findings(
    result: ScanResult,
    *,
    severities: Iterable[str] | None = None,
    ignore_unfixed: bool = False,
) -> ScanResult:
    """The result with only the findings of the given severities (all when None) and,
    with `ignore_unfixed`, only those whose fix state is 'fixed'."""
    wanted = None if severities is None else {parse_severity(s) for s in severities}
    kept = tuple(
        f
        for f in result.findings
        if (wanted is None or f.severity in wanted)
        and not (ignore_unfixed and f.fix_state != FIXED)
    )
    return replace(result, findings=kept)


def _tie_break(finding: Finding) -> tuple[str, str, str, str, str]:
    package = finding.package
    return (finding.id, package.name, package.version, package.purl, package_path(package))


def _epss(finding: Finding) -> float:
    score = finding.vulnerability.epss_score
    return -1.0 if score is None else score


_SORTS: dict[str, Callable[[Finding], tuple[object, ...]]] = {
    "severity": lambda f: (-severity_rank(f.severity), -f.risk, *_tie_break(f)),
    "risk": lambda f: (-f.risk, -severity_rank(f.severity), *_tie_break(f)),
    "epss": lambda f: (-_epss(f), -severity_rank(f.severity), -f.risk, *_tie_break(f)),
}


def sort_findings(result: ScanResult, by: str = "severity") -> ScanResult:
    """The result with findings ordered by severity (then risk), risk, or EPSS, highest first."""
    key = _SORTS.get(by)
    if key is None:
        raise UsageError(f"unknown sort key {by!r}; valid keys: {', '.join(SORT_KEYS)}")
    return replace(result, findings=tuple(sorted(result.findings, key=key)))


def exceeds(result: ScanResult, fail_on: str) -> bool:
    """True when a finding at or above the `fail_on` severity remains (the `--fail-on` gate)."""
    threshold = severity_rank(parse_severity(fail_on))
    return any(severity_rank(f.severity) >= threshold for f in result.findings)
