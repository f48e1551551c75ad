"""VEX in each format: which findings a document's statements suppress."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sievert.errors import ParseError
from sievert.policy import apply_policy, load_vex
from sievert.policy.vex import parse_vex
from tests.policy.helpers import NOW, one_rule, scan, subjects

FIXTURES = Path(__file__).parent / "fixtures"
ALL = "{severity: unknown}"


def _suppressed(*names: str) -> dict[str, tuple[str, str, str]]:
    docs = [load_vex(FIXTURES / name) for name in names]
    result = apply_policy(scan(), one_rule(ALL), docs, NOW)
    assert result.verdict is not None
    kept = {f"{f.id}/{f.package.name}" for f in result.findings}
    gone = {}
    for item in result.verdict.suppressed:
        words = item.finding.summary.split()
        key = f"{words[0]}/{words[2]}"
        assert key not in kept
        gone[key] = (item.source.rsplit("/", 1)[-1], item.status, item.reason)
    assert subjects(result.verdict) == sorted(kept)
    return gone


def test_openvex() -> None:
    assert load_vex(FIXTURES / "openvex.json").format == "openvex"
    assert _suppressed("openvex.json") == {
        "CVE-2024-0001/libc6": (
            "openvex.json",
            "not_affected",
            "vulnerable_code_not_in_execute_path: syslog is never called with user input",
        ),
        # matched through the GHSA alias and a purl without version
        "CVE-2024-35195/requests": ("openvex.json", "fixed", "fixed"),
        # bash: the later under_investigation statement wins; json: another version
    }


def test_cyclonedx_vex() -> None:
    assert load_vex(FIXTURES / "cyclonedx-vex.json").format == "cyclonedx"
    assert _suppressed("cyclonedx-vex.json") == {
        "CVE-2024-0003/json": (
            "cyclonedx-vex.json",
            "not_affected",
            "code_not_reachable: JSON.parse is only called on trusted input",
        ),
        # by the reference id, through a BOM-Link to a nested component
        "CVE-2023-0002/bash": ("cyclonedx-vex.json", "fixed", "patched in our rebuild"),
    }


def test_csaf_vex() -> None:
    assert load_vex(FIXTURES / "csaf-vex.json").format == "csaf"
    assert _suppressed("csaf-vex.json") == {
        "CVE-2023-0002/bash": (
            "csaf-vex.json",
            "not_affected",
            "vulnerable_code_not_in_execute_path: bash is not invoked at run time",
        ),
        "TEMP-0000001-ABCDEF/bash": ("csaf-vex.json", "fixed", "fixed"),
    }


def test_later_documents_decide() -> None:
    gone = _suppressed("cyclonedx-vex.json", "openvex.json")
    # openvex says under_investigation for bash's CVE-2023-0002: it is no longer suppressed
    assert set(gone) == {"CVE-2024-0003/json", "CVE-2024-0001/libc6", "CVE-2024-35195/requests"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "a VEX document is a JSON object"),
        ({"hello": 1}, "not an OpenVEX, CycloneDX or CSAF document"),
        (
            {"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"status": "x"}]},
            "malformed VEX document",
        ),
        (
            {
                "@context": "https://openvex.dev/ns/v0.2.0",
                "statements": [{"vulnerability": "CVE-1", "products": [], "status": "maybe"}],
            },
            "unknown status 'maybe'",
        ),
    ],
)
def test_bad_documents(data: object, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_vex(data, "vex.json")


def test_unreadable_json(tmp_path: Path) -> None:
    path = tmp_path / "v.json"
    path.write_text("{\n  nope")
    with pytest.raises(ParseError, match=r"v\.json:2: invalid JSON"):
        load_vex(path)


def test_openvex_legacy_string_forms() -> None:
    data = {
        "@context": "https://openvex.dev/ns",
        "statements": [
            {
                "vulnerability": "CVE-2024-0001",
                "products": ["pkg:oci/app"],
                "subcomponents": ["pkg:deb/debian/libc6"],
                "status": "not_affected",
                "justification": "inline_mitigations_already_exist",
            }
        ],
    }
    doc = parse_vex(json.loads(json.dumps(data)), "legacy.json")
    (finding,) = [f for f in scan().findings if f.package.name == "libc6"]
    statement = doc.decide(finding)
    assert statement is not None and statement.status == "not_affected"
