"""SARIF 2.1.0: validated offline against the official schema, shaped for GitHub code scanning."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from sievert.model.finding import ScanResult
from sievert.report.scan.sarif import SarifWriter
from tests.report.scan_results import empty_scan, odd_scan, small_scan
from tests.schemas import sarif_errors


def _log(result: ScanResult) -> dict[str, Any]:
    out = io.StringIO()
    SarifWriter(version=lambda: "1.2.3", information_uri=lambda: "https://x.example/").write(
        result, out
    )
    log: dict[str, Any] = json.loads(out.getvalue())
    return log


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("build", [small_scan, odd_scan, empty_scan])
def test_validates_against_the_sarif_2_1_0_schema(build: Any) -> None:
    assert sarif_errors(_log(build())) == []


@pytest.mark.usefixtures("no_network")
def test_schema_rejects_a_bad_level_and_a_missing_message() -> None:
    log = _log(small_scan())
    log["runs"][0]["results"][0]["level"] = "fatal"
    del log["runs"][0]["results"][1]["message"]
    assert len(sarif_errors(log)) == 2


def test_one_run_with_the_sievert_driver() -> None:
    log = _log(small_scan())
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["informationUri"]) == (
        "sievert",
        "1.2.3",
        "https://x.example/",
    )


def test_one_rule_per_vulnerability_id_and_rule_indexes() -> None:
    run = _log(small_scan())["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(rule_ids) == len(set(rule_ids)) == 5
    assert len(run["results"]) == 6
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]


def test_rule_security_severity_tags_and_help() -> None:
    rules = {r["id"]: r for r in _log(small_scan())["runs"][0]["tool"]["driver"]["rules"]}
    glibc = rules["CVE-2024-0001"]
    assert glibc["properties"]["security-severity"] == "9.3"  # CVSS 4.0 preferred over 3.1
    assert {"security", "vulnerability", "critical"} <= set(glibc["properties"]["tags"])
    assert glibc["shortDescription"]["text"].startswith("CVE-2024-0001: glibc")
    assert "2.36-9+deb12u7" in glibc["help"]["text"]
    assert "https://nvd.nist.gov/vuln/detail/CVE-2024-0001" in glibc["help"]["markdown"]
    assert (
        "| critical | libc6 | deb | 2.36-9+deb12u4 | 2.36-9+deb12u7 |"
        in (glibc["help"]["markdown"])
    )
    assert "security-severity" not in rules["TEMP-0000001-ABCDEF"]["properties"]
    assert rules["CVE-2024-0003"]["properties"]["security-severity"] == "2.0"
    float(rules["CVE-2024-35195"]["properties"]["security-severity"])


def test_levels_follow_severity() -> None:
    results = _log(small_scan())["runs"][0]["results"]
    levels = [(r["ruleId"], r["properties"]["severity"], r["level"]) for r in results]
    assert [level for _, _, level in levels] == [
        "error",
        "error",
        "warning",
        "note",
        "note",
        "note",
    ]


def test_locations_are_relative_file_paths_and_fingerprints_unique() -> None:
    results = _log(small_scan())["runs"][0]["results"]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert uris[0] == "var/lib/dpkg/status"
    assert uris[2] == "usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info"
    assert not any(uri.startswith("/") for uri in uris)
    prints = [r["partialFingerprints"]["sievertFinding/v1"] for r in results]
    assert len(set(prints)) == len(prints)
    assert "introduced in layer 0 111111111111" in results[0]["message"]["text"].lower()


def test_odd_paths_are_percent_encoded_and_fall_back_to_the_image() -> None:
    results = _log(odd_scan())["runs"][0]["results"]
    uri = results[2]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "odd%3A%C3%BCn%C3%AF"
    rule = _log(odd_scan())["runs"][0]["tool"]["driver"]["rules"][0]
    assert len(rule["shortDescription"]["text"]) == 200
