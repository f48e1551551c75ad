"""GitLab container scanning report: schema-valid (15.x), stable ids, suppressions, golden."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sievert.model.finding import ScanResult
from sievert.report.plugins import scan_writer_for
from sievert.report.scan.gitlab import GitlabWriter
from tests.report.inventories import fixed_stamp
from tests.report.scan_results import empty_scan, odd_scan, small_scan
from tests.report.test_golden import GOLDEN, UPDATE
from tests.report.verdict_results import verdict_scan
from tests.schemas import gitlab_validator

SCHEMAS = Path(__file__).parents[1] / "fixtures" / "report" / "gitlab"


def _url() -> str:
    return "https://sievert.example/"


def _document(result: ScanResult) -> dict[str, Any]:
    out = io.StringIO()
    GitlabWriter(stamp=fixed_stamp, url=_url).write(result, out)
    document: dict[str, Any] = json.loads(out.getvalue())
    return document


@pytest.mark.parametrize("factory", [small_scan, empty_scan, odd_scan, verdict_scan])
def test_schema_valid(factory: Callable[[], ScanResult]) -> None:
    gitlab_validator().validate(_document(factory()))


def test_schema_catches_a_wrong_severity_and_type() -> None:
    document = _document(small_scan())
    document["vulnerabilities"][0]["severity"] = "critical"
    assert not gitlab_validator().is_valid(document)
    document = _document(small_scan())
    document["scan"]["type"] = "sast"
    assert not gitlab_validator().is_valid(document)


def test_vulnerability_fields() -> None:
    document = _document(small_scan())
    assert document["version"].startswith("15.")
    assert document["scan"]["start_time"] == "2024-05-17T12:30:45"
    first = document["vulnerabilities"][0]
    assert first["severity"] == "Critical"
    assert first["solution"] == "Upgrade libc6 to 2.36-9+deb12u7."
    assert first["location"] == {
        "dependency": {"package": {"name": "libc6"}, "version": "2.36-9+deb12u4"},
        "operating_system": "debian 12",
        "image": "registry.example/team/app:1.2",
    }
    assert [i["type"] for i in first["identifiers"]] == ["cve", "dsa"]
    assert first["identifiers"][0]["url"] == "https://nvd.nist.gov/vuln/detail/CVE-2024-0001"
    requests = document["vulnerabilities"][2]
    assert [i["type"] for i in requests["identifiers"]] == ["cve", "ghsa"]
    assert requests["identifiers"][1]["url"].startswith("https://github.com/advisories/GHSA-")
    assert requests["links"] == [{"url": "https://github.com/psf/requests/pull/6655"}]
    severities = [v["severity"] for v in document["vulnerabilities"]]
    assert severities == ["Critical", "High", "Medium", "Low", "Info", "Unknown"]


def test_ids_are_unique_and_stable() -> None:
    ids = [v["id"] for v in _document(small_scan())["vulnerabilities"]]
    assert len(set(ids)) == len(ids) == 6
    assert ids == [v["id"] for v in _document(small_scan())["vulnerabilities"]]


def test_suppressed_findings_are_omitted() -> None:
    document = _document(verdict_scan())
    names = [v["name"] for v in document["vulnerabilities"]]
    assert "CVE-2024-35195 in requests" not in names
    assert "CVE-2024-0003 in json" not in names
    assert len(names) == 4
    assert document["scan"]["messages"] == [
        {"level": "info", "value": "2 suppressed finding(s) omitted"}
    ]


def test_registered() -> None:
    assert scan_writer_for("gitlab").name == "gitlab"


def test_matches_golden() -> None:
    out = io.StringIO()
    GitlabWriter(stamp=fixed_stamp, url=_url).write(small_scan(), out)
    path = GOLDEN / "scan.gitlab.json"
    if UPDATE:
        path.write_text(out.getvalue(), encoding="utf-8")
    assert out.getvalue() == path.read_text(encoding="utf-8")
