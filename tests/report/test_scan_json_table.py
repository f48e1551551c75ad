"""The scan JSON (documented keys, every field) and the findings table (grouping, notices)."""

from __future__ import annotations

import io
import json
from typing import Any

from msgspec.structs import replace

from sievert.model import Notice
from sievert.model.finding import ScanResult
from sievert.report.scan.native import ScanJsonWriter
from sievert.report.scan.table import ScanTableWriter
from tests.report.scan_results import empty_scan, odd_scan, small_scan


def _doc(result: ScanResult) -> dict[str, Any]:
    out = io.StringIO()
    ScanJsonWriter(version=lambda: "9.9.9").write(result, out)
    doc: dict[str, Any] = json.loads(out.getvalue())
    return doc


def _table(result: ScanResult) -> str:
    out = io.StringIO()
    ScanTableWriter(width=200).write(result, out)
    return out.getvalue()


def test_json_top_level_keys_extend_the_inventory_document() -> None:
    doc = _doc(small_scan())
    assert list(doc) == [
        "schemaVersion", "tool", "image", "distro", "packages", "fileCount", "notices",
        "database", "summary", "findings", "matchNotices",
        "scanners", "configFindings", "secretFindings",
    ]  # fmt: skip
    assert doc["database"] == {
        "built": "2024-05-16T06:00:00Z",
        "sources": [{"name": "debian-tracker", "status": "ok"}, {"name": "osv", "status": "ok"}],
    }
    assert doc["summary"] == {
        "critical": 1, "high": 1, "medium": 1, "low": 1, "negligible": 1, "unknown": 1
    }  # fmt: skip
    assert doc["matchNotices"][0]["where"] == "pkg:deb/debian/bash"


def test_json_finding_has_every_field() -> None:
    finding = _doc(small_scan())["findings"][0]
    assert list(finding) == [
        "id", "severity", "severitySource", "fixState", "fixedVersions", "risk",
        "vulnerability", "package", "evidence", "affected",
    ]  # fmt: skip
    vuln = finding["vulnerability"]
    assert vuln["cvss"][1] == {
        "version": "4.0",
        "vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "baseScore": 9.3,
        "severity": "CRITICAL",
        "source": "cna",
    }
    assert vuln["kev"] == {
        "dateAdded": "2024-03-01", "dueDate": "2024-03-22", "knownRansomwareUse": True
    }  # fmt: skip
    assert vuln["epss"] == {"score": 0.97347, "percentile": 0.99959}
    assert vuln["exploits"][0]["id"] == "51234"
    package = finding["package"]
    assert package["location"] == "/var/lib/dpkg/status"
    assert package["introducedBy"]["createdBy"].startswith("/bin/sh -c #(nop) ADD")
    assert package["introducedBy"]["digest"] == "sha256:" + "1" * 64
    assert finding["evidence"] == {
        "source": "debian-tracker",
        "recordId": "debian-tracker:CVE-2024-0001",
        "namespace": "debian:bookworm",
        "matchedBy": "source-package",
        "matchedName": "glibc",
        "constraint": "< 2.36-9+deb12u7",
        "confidence": "high",
    }
    assert (finding["severitySource"], finding["fixState"]) == ("cvss3.1:nvd", "fixed")


def test_json_absent_values_are_null_not_missing() -> None:
    findings = _doc(small_scan())["findings"]
    temp = findings[-1]["vulnerability"]
    assert (temp["kev"], temp["epss"], temp["cvss"]) == (None, None, [])
    odd = _doc(odd_scan())["findings"]
    assert odd[1]["package"]["introducedBy"] is None
    assert _doc(empty_scan())["findings"] == []


def test_table_groups_findings_critical_first_without_colour() -> None:
    text = _table(small_scan())
    assert "\x1b[" not in text
    order = [text.index(word) for word in ("critical", " high ", "medium", " low ", "negligible")]
    assert order == sorted(order)
    assert "Findings: 6 (critical 1, high 1, medium 1, low 1, negligible 1, unknown 1)" in text
    assert "DB built: 2024-05-16T06:00:00Z" in text
    (row,) = [line for line in text.splitlines() if line.startswith("CVE-2024-0001")]
    for cell in ("libc6", "2.36-9+deb12u4", "2.36-9+deb12u7", "0.973 (99.96%)"):
        assert cell in row
    assert "yes 2024-03-01 ransomware" in row
    assert row.rstrip().endswith("0 111111111111")


def test_table_keeps_given_order_inside_a_severity() -> None:
    result = small_scan()
    twice = replace(result, findings=(result.findings[2], result.findings[0], result.findings[1]))
    lines = [line.split()[0] for line in _table(twice).splitlines() if line.startswith("CVE-")]
    assert lines == ["CVE-2024-0001", "CVE-2023-0002", "CVE-2024-35195"]


def test_table_notice_section_counts_and_truncates() -> None:
    many = tuple(Notice(f"notice {n}") for n in range(8))
    text = _table(replace(small_scan(), notices=many))
    assert "Notices (9):" in text
    assert "+4 more" in text
    empty = _table(replace(empty_scan(), inventory=replace(empty_scan().inventory, notices=())))
    assert "No vulnerabilities found." in empty
    assert "Notices" not in empty


def test_table_layer_falls_back_to_the_history_line() -> None:
    result = small_scan()
    image = result.inventory.image
    layers = tuple(replace(layer, digest="") for layer in image.layers)
    inventory = replace(result.inventory, image=replace(image, layers=layers))
    text = _table(replace(result, inventory=inventory))
    (row,) = [line for line in text.splitlines() if line.startswith("CVE-2024-35195")]
    assert row.rstrip().endswith("2 RUN /bin/sh -c pip install requests==2.…")
