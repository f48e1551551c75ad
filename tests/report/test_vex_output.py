"""CycloneDX VEX writer: analysis from the verdict's suppressions, strict 1.6 validation."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from msgspec.structs import replace

from sievert.model.finding import ScanResult
from sievert.model.policy import FindingRef, Suppression
from sievert.report.plugins import scan_writer_for
from sievert.report.scan.vex import CycloneDxVexWriter, analysis, justification
from tests.report.inventories import fixed_stamp
from tests.report.scan_results import empty_scan, odd_scan, small_scan
from tests.report.test_golden import GOLDEN, UPDATE
from tests.report.verdict_results import verdict_scan


def _text(result: ScanResult) -> str:
    out = io.StringIO()
    CycloneDxVexWriter(stamp=fixed_stamp).write(result, out)
    return out.getvalue()


def _vulns(result: ScanResult) -> list[dict[str, Any]]:
    document: dict[str, Any] = json.loads(_text(result))
    return list(document.get("vulnerabilities", []))


@pytest.mark.parametrize("factory", [small_scan, empty_scan, odd_scan, verdict_scan])
def test_strictly_valid_cyclonedx_1_6(factory: Callable[[], ScanResult]) -> None:
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(_text(factory()), all_errors=True)
    assert errors is None


def test_validator_rejects_an_unknown_state() -> None:
    text = _text(verdict_scan()).replace('"not_affected"', '"not_really"', 1)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is not None


def test_without_verdict_no_analysis() -> None:
    assert all("analysis" not in v for v in _vulns(small_scan()))


def test_analysis_from_suppressions() -> None:
    entries = {(v["id"], v["bom-ref"]): v for v in _vulns(verdict_scan())}
    requests = entries[("CVE-2024-35195", "vuln:CVE-2024-35195")]
    assert requests["analysis"] == {
        "state": "not_affected",
        "justification": "code_not_reachable",
        "detail": "vex:app.vex.json: vulnerable_code_not_in_execute_path",
    }
    glibc = entries[("CVE-2024-0001", "vuln:CVE-2024-0001")]
    assert glibc["analysis"] == {"state": "in_triage"}


def test_mixed_id_is_split_by_analysis() -> None:
    ruby = [v for v in _vulns(verdict_scan()) if v["id"] == "CVE-2024-0003"]
    assert [v["bom-ref"] for v in ruby] == ["vuln:CVE-2024-0003", "vuln:CVE-2024-0003:2"]
    active, accepted = ruby
    assert active["analysis"] == {"state": "in_triage"}
    assert accepted["analysis"]["state"] == "exploitable"
    assert accepted["analysis"]["response"] == ["will_not_fix"]
    assert accepted["analysis"]["detail"] == (
        "exception, owner team-app, ticket APP-12, expires 2099-01-01: "
        "accepted until the ruby upgrade"
    )
    assert len(active["affects"]) == 1 and len(accepted["affects"]) == 1
    assert active["affects"][0]["ref"] != accepted["affects"][0]["ref"]


def test_fixed_statement_is_resolved() -> None:
    ref = FindingRef("vulnerability", "x")
    found = analysis(Suppression(ref, "vex:a.json", "patched", status="fixed"), True)
    assert found is not None and found["state"] == "resolved"


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("component_not_present", "code_not_present"),
        ("vulnerable_code_cannot_be_controlled_by_adversary", "requires_environment"),
        ("inline_mitigations_already_exist: WAF", "protected_by_mitigating_control"),
        ("protected_at_runtime", "protected_at_runtime"),
        ("because we say so", ""),
    ],
)
def test_justification_mapping(reason: str, expected: str) -> None:
    assert justification(reason) == expected


def test_unknown_justification_is_left_out_and_still_valid() -> None:
    result = verdict_scan()
    assert result.verdict is not None
    vex = replace(result.verdict.suppressed[0], reason="nobody calls it")
    verdict = replace(result.verdict, suppressed=(vex, *result.verdict.suppressed[1:]))
    text = _text(replace(result, verdict=verdict))
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    requests = [v for v in json.loads(text)["vulnerabilities"] if v["id"] == "CVE-2024-35195"]
    assert "justification" not in requests[0]["analysis"]


def test_registered() -> None:
    assert scan_writer_for("cyclonedx-vex").name == "cyclonedx-vex"


def test_matches_golden() -> None:
    actual = _text(verdict_scan())
    path = GOLDEN / "verdict.vex.cdx.json"
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")
