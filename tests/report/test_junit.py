"""JUnit XML writer: schema-valid, one case per finding or per rule, modes, goldens."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from lxml import etree
from msgspec.structs import replace

from sievert.errors import UsageError
from sievert.model.finding import ScanResult
from sievert.report.plugins import scan_writer_for
from sievert.report.scan.junit import MODE_ENV, JunitWriter
from tests.report.inventories import fixed_stamp
from tests.report.scan_results import empty_scan, odd_scan, small_scan
from tests.report.test_golden import GOLDEN, UPDATE
from tests.report.verdict_results import verdict_scan

XSD = Path(__file__).parents[1] / "fixtures" / "report" / "junit.xsd"


def _render(result: ScanResult, mode: str = "") -> str:
    out = io.StringIO()
    JunitWriter(mode=mode, stamp=fixed_stamp).write(result, out)
    return out.getvalue()


def _validate(text: str) -> ET.Element:
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    document = etree.fromstring(text.encode("utf-8"))
    schema.assertValid(document)
    return ET.fromstring(text)


def _suite(root: ET.Element, name: str) -> ET.Element:
    (suite,) = [s for s in root.iter("testsuite") if s.get("name") == name]
    return suite


@pytest.mark.parametrize("factory", [small_scan, empty_scan, odd_scan, verdict_scan])
@pytest.mark.parametrize("mode", ["findings", "rules"])
def test_output_is_schema_valid(factory: object, mode: str) -> None:
    assert callable(factory)
    _validate(_render(factory(), mode))


def test_schema_rejects_a_broken_document() -> None:
    text = _render(small_scan()).replace('tests="6"', 'tests="six"', 1)
    with pytest.raises(etree.DocumentInvalid):
        _validate(text)


def test_one_failing_case_per_active_finding() -> None:
    root = _validate(_render(small_scan()))
    suite = _suite(root, "sievert.vulnerabilities")
    cases = suite.findall("testcase")
    assert len(cases) == 6
    assert suite.get("failures") == "6" and suite.get("skipped") == "0"
    first = cases[0].find("failure")
    assert first is not None
    assert first.get("type") == "critical"
    assert "fixed in 2.36-9+deb12u7" in (first.get("message") or "")
    assert "https://nvd.nist.gov/vuln/detail/CVE-2024-0001" in (first.text or "")
    assert [s.get("name") for s in root.iter("testsuite")] == ["sievert.vulnerabilities"]


def test_suppressed_findings_are_skipped_and_policy_suite_added() -> None:
    root = _validate(_render(verdict_scan()))
    vulns = _suite(root, "sievert.vulnerabilities")
    assert (vulns.get("failures"), vulns.get("skipped")) == ("4", "2")
    skipped = [c for c in vulns.findall("testcase") if c.find("skipped") is not None]
    messages = [c.find("skipped").get("message") for c in skipped]  # type: ignore[union-attr]
    assert messages[0] == "vex:app.vex.json not_affected: vulnerable_code_not_in_execute_path"
    assert messages[1] == "exception: accepted until the ruby upgrade"
    config = _suite(root, "sievert.config")
    assert (config.get("tests"), config.get("failures"), config.get("skipped")) == ("2", "1", "1")
    secrets = _suite(root, "sievert.secrets")
    assert secrets.get("failures") == "1"
    assert "AKIA" in ET.tostring(secrets, encoding="unicode")
    policy = _suite(root, "sievert.policy")
    assert policy.get("tests") == "5"
    assert policy.get("failures") == "3"  # two stop rules and the verdict


def test_warn_rule_passes_with_a_system_out_warning() -> None:
    root = _validate(_render(verdict_scan(), "rules"))
    assert [s.get("name") for s in root.iter("testsuite")] == ["sievert.policy"]
    cases = {c.get("name"): c for c in root.iter("testcase")}
    warn = cases["unfixed-high: High findings without a fix"]
    assert warn.find("failure") is None
    assert (warn.findtext("system-out") or "").startswith("warning: 1 finding(s)")
    stop = cases["no-critical: No critical vulnerabilities"]
    assert stop.find("failure") is not None
    verdict = cases["verdict production"]
    assert "expired exception: CVE-2020-0001" in (verdict.findtext("system-out") or "")


def test_rules_mode_without_verdict_gates_each_kind() -> None:
    result = replace(small_scan(), scanners=("vuln", "config"))
    root = _validate(_render(result, "rules"))
    cases = {c.get("name"): c.find("failure") for c in root.iter("testcase")}
    assert set(cases) == {"no active vulnerabilities", "no active config"}
    assert cases["no active vulnerabilities"] is not None
    assert cases["no active config"] is None


def test_empty_scan_has_a_passing_case() -> None:
    root = _validate(_render(empty_scan()))
    assert root.get("tests") == "1" and root.get("failures") == "0"


def test_mode_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODE_ENV, "rules")
    root = _validate(_render(verdict_scan()))
    assert [s.get("name") for s in root.iter("testsuite")] == ["sievert.policy"]
    monkeypatch.setenv(MODE_ENV, "bogus")
    with pytest.raises(UsageError, match="bogus"):
        _render(verdict_scan())


def test_control_characters_are_replaced() -> None:
    result = small_scan()
    vuln = replace(result.findings[0].vulnerability, summary="bad\x01char")
    finding = replace(result.findings[0], vulnerability=vuln)
    text = _render(replace(result, findings=(finding,)))
    assert "bad\ufffdchar" in text
    _validate(text)


def test_registered() -> None:
    writer = scan_writer_for("junit")
    assert writer.name == "junit" and writer.media_type == "application/xml"


@pytest.mark.parametrize(("filename", "mode"), [("scan.junit.xml", ""), ("verdict.junit.xml", "")])
def test_matches_golden(filename: str, mode: str) -> None:
    result = small_scan() if filename.startswith("scan") else verdict_scan()
    actual = _render(result, mode)
    path = GOLDEN / filename
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")
