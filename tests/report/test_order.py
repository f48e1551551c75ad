"""The order findings are reported in (`--sort`)."""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from sievert.errors import UsageError
from sievert.report.order import sort_findings
from tests.report.scan_results import small_scan


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
