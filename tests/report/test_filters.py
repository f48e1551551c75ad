"""Filters, sorting and the --fail-on gate over a ScanResult."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sievert.errors import UsageError
from sievert.model.finding import ScanResult
from sievert.report.filters import exceeds, filter_findings, parse_severity, sort_findings
from tests.report.scan_results import empty_scan, small_scan


def _ids(result: ScanResult) -> list[tuple[str, str]]:
    return [(f.id, f.package.name) for f in result.findings]


def test_filter_by_severities_any_case() -> None:
    kept = filter_findings(small_scan(), severities=["HIGH", "critical"])
    assert [f.severity for f in kept.findings] == ["critical", "high"]
    assert kept.inventory == small_scan().inventory
    assert filter_findings(small_scan(), severities=None) == small_scan()
    assert filter_findings(small_scan(), severities=[]).findings == ()


def test_ignore_unfixed_keeps_only_fixed_findings() -> None:
    kept = filter_findings(small_scan(), ignore_unfixed=True)
    assert _ids(kept) == [
        ("CVE-2024-0001", "libc6"),
        ("CVE-2024-35195", "requests"),
        ("CVE-2024-0003", "json"),
    ]
    both = filter_findings(small_scan(), severities=["medium", "negligible"], ignore_unfixed=True)
    assert _ids(both) == [("CVE-2024-35195", "requests"), ("CVE-2024-0003", "json")]


def test_unknown_severity_is_a_usage_error_listing_valid_words() -> None:
    with pytest.raises(UsageError, match=r"'severe'.*critical, high, medium, low"):
        filter_findings(small_scan(), severities=["severe"])
    assert parse_severity(" Medium ") == "medium"


def test_sort_by_severity_then_risk() -> None:
    result = small_scan()
    shuffled = replace(result, findings=tuple(reversed(result.findings)))
    ordered = sort_findings(shuffled, "severity")
    assert [f.severity for f in ordered.findings] == [
        "critical", "high", "medium", "low", "negligible", "unknown"
    ]  # fmt: skip
    same = replace(result.findings[1], risk=99.0)
    ties = replace(result, findings=(result.findings[1], same))
    assert [f.risk for f in sort_findings(ties).findings] == [99.0, 15.6]


def test_sort_by_risk_and_by_epss() -> None:
    by_risk = sort_findings(small_scan(), "risk")
    assert [f.risk for f in by_risk.findings] == [100.0, 15.6, 11.4, 1.0, 0.7, 0.1]
    by_epss = sort_findings(small_scan(), "epss")
    assert [f.id for f in by_epss.findings][:3] == [
        "CVE-2024-0001", "CVE-2023-0002", "CVE-2024-35195"
    ]  # fmt: skip
    # without EPSS: after every scored finding, by severity
    assert [f.severity for f in by_epss.findings][3:] == ["low", "negligible", "unknown"]


def test_sort_is_stable_across_input_orders() -> None:
    result = small_scan()
    reverse = replace(result, findings=tuple(reversed(result.findings)))
    for key in ("severity", "risk", "epss"):
        assert sort_findings(result, key) == sort_findings(reverse, key)
    with pytest.raises(UsageError, match="valid keys: severity, risk, epss"):
        sort_findings(result, "name")


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [("critical", True), ("high", True), ("unknown", True), ("CRITICAL", True)],
)
def test_exceeds_when_a_finding_at_or_above_remains(fail_on: str, expected: bool) -> None:
    assert exceeds(small_scan(), fail_on) is expected


def test_exceeds_after_filtering_and_on_empty() -> None:
    low_only = filter_findings(small_scan(), severities=["low", "negligible", "unknown"])
    assert not exceeds(low_only, "medium")
    assert exceeds(low_only, "low")
    assert not exceeds(empty_scan(), "unknown")
    with pytest.raises(UsageError):
        exceeds(small_scan(), "severe")
