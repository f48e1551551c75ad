"""CycloneDX 1.6 scan BOM: strict schema validation offline, ratings, affects and properties."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from sievert.model.finding import ScanResult
from sievert.report.scan.cyclonedx import ScanCycloneDxJsonWriter
from tests.report.inventories import fixed_stamp
from tests.report.scan_results import empty_scan, odd_scan, small_scan


def _text(result: ScanResult) -> str:
    out = io.StringIO()
    ScanCycloneDxJsonWriter(stamp=fixed_stamp).write(result, out)
    return out.getvalue()


def _vulns(result: ScanResult) -> dict[str, dict[str, Any]]:
    bom = json.loads(_text(result))
    return {v["id"]: v for v in bom.get("vulnerabilities", [])}


def _props(entry: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["name"], p["value"]) for p in entry.get("properties", [])]


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("build", [small_scan, odd_scan, empty_scan])
def test_validates_against_cyclonedx_1_6_strict(build: Any) -> None:
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(_text(build()), all_errors=True)
    assert errors is None or list(errors) == []


@pytest.mark.usefixtures("no_network")
def test_validator_rejects_an_unknown_rating_method() -> None:
    bom = json.loads(_text(small_scan()))
    bom["vulnerabilities"][0]["ratings"][0]["method"] = "CVSSv9"
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(bom)) is not None


def test_inventory_part_is_the_inventory_bom() -> None:
    bom = json.loads(_text(small_scan()))
    assert bom["specVersion"] == "1.6"
    assert [c["name"] for c in bom["components"]][:2] == ["debian", "bash"]
    assert "vulnerabilities" not in json.loads(_text(empty_scan()))


def test_every_cvss_score_and_the_vendor_rating() -> None:
    glibc = _vulns(small_scan())["CVE-2024-0001"]
    methods = [(r["method"], r.get("score"), r["source"]["name"]) for r in glibc["ratings"]]
    assert methods == [("CVSSv31", 9.8, "nvd"), ("CVSSv4", 9.3, "cna")]
    assert glibc["ratings"][0]["vector"].startswith("CVSS:3.1/")
    bash = _vulns(small_scan())["CVE-2023-0002"]
    assert [(r["method"], r["severity"]) for r in bash["ratings"]] == [
        ("CVSSv2", "high"),
        ("other", "high"),
    ]
    assert bash["ratings"][1]["source"] == {"name": "debian-tracker"}


def test_text_links_dates_and_weaknesses() -> None:
    glibc = _vulns(small_scan())["CVE-2024-0001"]
    assert glibc["source"] == {
        "name": "NVD",
        "url": "https://nvd.nist.gov/vuln/detail/CVE-2024-0001",
    }
    assert glibc["cwes"] == [787]
    assert glibc["published"] == "2024-01-30T14:15:08Z"
    assert glibc["updated"] == "2024-02-10T00:00:00Z"
    assert glibc["references"][0]["id"] == "DSA-5600-1"
    assert glibc["advisories"] == [
        {"url": "https://www.openwall.com/lists/oss-security/2024/01/30/6"}
    ]
    assert glibc["description"].startswith("A heap-based buffer overflow")
    assert "analysis" not in glibc


def test_affects_point_at_component_refs_with_version_status() -> None:
    bom = json.loads(_text(small_scan()))
    refs = {c["bom-ref"] for c in bom["components"]}
    ruby = _vulns(small_scan())["CVE-2024-0003"]
    assert len(ruby["affects"]) == 2
    assert all(a["ref"] in refs for a in ruby["affects"])
    gem = ruby["affects"][1]
    assert gem["ref"] == "pkg:gem/json@2.6.1"
    assert gem["versions"] == [
        {"version": "2.6.1", "status": "affected"},
        {"version": "2.6.2", "status": "unaffected"},
        {"version": "2.7.0", "status": "unaffected"},
    ]


def test_epss_kev_and_risk_properties() -> None:
    props = _props(_vulns(small_scan())["CVE-2024-0001"])
    assert ("sievert:epss:score", "0.97347") in props
    assert ("sievert:epss:percentile", "0.99959") in props
    assert ("sievert:kev:dateAdded", "2024-03-01") in props
    assert ("sievert:kev:dueDate", "2024-03-22") in props
    assert ("sievert:kev:knownRansomwareUse", "true") in props
    assert ("sievert:risk", "100.0") in props
    assert ("sievert:exploit", "https://www.exploit-db.com/exploits/51234") in props


def test_odd_findings() -> None:
    vulns = _vulns(odd_scan())
    weird = vulns["PYSEC-2024-1"]
    assert weird["source"]["name"] == "OSV"
    assert "published" not in weird
    assert "cwes" not in weird
    assert weird["affects"][1]["ref"] == "image"  # not in the inventory: the image itself
    assert [r["severity"] for r in weird["ratings"]][:2] == ["none", "unknown"]
    assert "ratings" not in vulns["TEMP-0000001-ABCDEF"]
