"""The gate: severity and fix filters, --fail-on, argument checks, the decision."""

from __future__ import annotations

from pathlib import Path

import pytest
from msgspec.structs import replace

from sievert.errors import UsageError
from sievert.model.finding import ScanResult
from sievert.model.severity import Severity
from sievert.pipeline import Gate, GateOptions, decide, load_gate, parse_severities, parse_severity
from sievert.pipeline.gate import base_image_name, exceeds, filter_result
from tests.policy.helpers import scan
from tests.report.scan_results import empty_scan, small_scan


def _ids(result: ScanResult) -> list[tuple[str, str]]:
    return [(f.id, f.package.name) for f in result.findings]


def test_filter_by_severities_any_case() -> None:
    kept = filter_result(small_scan(), parse_severities("HIGH,critical"))
    assert [f.severity for f in kept.findings] == [Severity.CRITICAL, Severity.HIGH]
    assert kept.inventory == small_scan().inventory
    assert filter_result(small_scan(), None) == small_scan()
    assert filter_result(small_scan(), frozenset()).findings == ()
    assert parse_severities("") is None


def test_severity_filter_applies_to_config_and_secret_findings() -> None:
    kept = filter_result(scan(), {Severity.CRITICAL})
    assert [f.rule.id for f in kept.secret_findings] == ["SV-SEC-001"]
    assert kept.config_findings == ()


def test_ignore_unfixed_keeps_only_fixed_findings() -> None:
    kept = filter_result(small_scan(), None, ignore_unfixed=True)
    assert _ids(kept) == [
        ("CVE-2024-0001", "libc6"),
        ("CVE-2024-35195", "requests"),
        ("CVE-2024-0003", "json"),
    ]
    both = filter_result(small_scan(), parse_severities("medium,negligible"), ignore_unfixed=True)
    assert _ids(both) == [("CVE-2024-35195", "requests"), ("CVE-2024-0003", "json")]


def test_unknown_severity_is_a_usage_error_naming_the_option_and_valid_words() -> None:
    with pytest.raises(UsageError, match=r"--severity: .*'severe'.*critical, high, medium, low"):
        parse_severities("high,severe")
    with pytest.raises(UsageError, match=r"--fail-on: .*'worse'"):
        parse_severity("worse")
    assert parse_severity(" Medium ") is Severity.MEDIUM


@pytest.mark.parametrize("fail_on", ["critical", "high", "unknown", "CRITICAL"])
def test_exceeds_when_a_finding_at_or_above_remains(fail_on: str) -> None:
    assert exceeds(small_scan(), parse_severity(fail_on))


def test_exceeds_after_filtering_and_on_empty() -> None:
    low_only = filter_result(small_scan(), parse_severities("low,negligible,unknown"))
    assert not exceeds(low_only, Severity.MEDIUM)
    assert exceeds(low_only, Severity.LOW)
    assert not exceeds(empty_scan(), Severity.UNKNOWN)


def test_exceeds_counts_active_config_and_secret_findings_only() -> None:
    no_vulns = replace(scan(), findings=())
    assert exceeds(no_vulns, Severity.CRITICAL)  # the AWS key
    secrets_gone = replace(no_vulns, secret_findings=())
    assert exceeds(secrets_gone, Severity.HIGH)  # USER root
    suppressed = tuple(replace(f, suppressed_by="inline: ok") for f in scan().config_findings)
    assert not exceeds(replace(secrets_gone, config_findings=suppressed), Severity.LOW)


def test_decision_on_fail_on_and_no_gate() -> None:
    gate = Gate(GateOptions(fail_on=Severity.HIGH))
    decision = decide(small_scan(), gate)
    assert decision.failed
    assert decision.reasons == ("findings at or above high remain (--fail-on)",)
    assert not decide(small_scan(), Gate()).failed


def test_vex_without_a_policy_is_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--vex needs --policy"):
        load_gate(GateOptions(vex=(tmp_path / "missing.json",)))


def test_base_image_name_is_a_registry_name_or_nothing(tmp_path: Path) -> None:
    assert base_image_name("registry:ghcr.io/org/base:1") == "ghcr.io/org/base:1"
    assert base_image_name("docker:debian:12") == "debian:12"
    assert base_image_name("debian:12") == "debian:12"
    assert base_image_name(f"oci-dir:{tmp_path}:base") == ""
    archive = tmp_path / "base.tar"
    archive.write_bytes(b"")
    assert base_image_name(str(archive)) == ""
