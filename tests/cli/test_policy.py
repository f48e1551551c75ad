"""`sievert policy validate|eval|schema`: output and exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sievert.policy.schema import schema
from sievert.report.scan.native import ScanJsonWriter
from tests.clitools import run_in_process as invoke
from tests.policy.helpers import scan

FIXTURES = Path(__file__).resolve().parents[1] / "policy" / "fixtures"

POLICY = """\
version: 1
policies:
  - id: gate
    rules:
      - {id: critical, action: stop, description: Critical, when: {severity: critical}}
      - {id: medium, action: warn, description: Medium or worse, when: {severity: medium}}
exceptions:
  - {vulnerability: CVE-2024-0001, reason: accepted, owner: sec, expires: 2024-06-30}
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    result = tmp_path / "result.json"
    buffer = io.StringIO()
    ScanJsonWriter(version=lambda: "0").write(scan(), buffer)
    result.write_text(buffer.getvalue())
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    bad = tmp_path / "bad.yaml"
    bad.write_text(POLICY.replace("severity: critical", "severity: hgh"))
    return {"result": result, "policy": policy, "bad": bad}


def test_validate(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    code, out, _ = invoke(capsys, "policy", "validate", str(files["policy"]))
    assert code == 0 and "valid (1 policies, 2 rules)" in out
    code, _, err = invoke(capsys, "policy", "validate", str(files["bad"]))
    assert code == 3
    assert err.strip() == (
        "sievert: error: bad.yaml:5: policies[0].rules[0].when.severity: unknown severity 'hgh' "
        "(expected one of unknown, negligible, low, medium, high, critical)"
    )


def test_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = invoke(capsys, "policy", "schema")
    assert code == 0 and json.loads(out) == schema()


def test_eval_stop_and_warn_with_a_fixed_clock(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    args = ["policy", "eval", "--policy", str(files["policy"]), str(files["result"])]
    code, out, _ = invoke(capsys, *args, "--now", "2024-06-01")
    assert code == 0
    assert out.splitlines()[0] == "policy gate (default): WARN"
    assert "[WARN] medium: Medium or worse (2)" in out
    assert "1 suppressed" in out
    code, out, _ = invoke(capsys, *args, "--now", "2024-07-01")
    assert code == 1
    assert "[STOP] critical: Critical (1)" in out
    assert "    CVE-2024-0001 in libc6 2.36-9+deb12u4 (critical, fixed in 2.36-9+deb12u7)" in out
    assert "expired exception: exceptions[0] (CVE-2024-0001, owner sec, expired 2024-06-30)" in out


def test_eval_json_vex_and_show_suppressed(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    vex = str(FIXTURES / "openvex.json")
    base = ["policy", "eval", "--policy", str(files["policy"]), "--now", "2024-07-01"]
    code, out, _ = invoke(capsys, *base, "--vex", vex, "-f", "json", str(files["result"]))
    document = json.loads(out)
    assert code == 0 and document["action"] == "warn"
    sources = {s["finding"]["summary"].split()[0]: s["source"] for s in document["suppressed"]}
    assert sources == {"CVE-2024-0001": f"vex:{vex}", "CVE-2024-35195": f"vex:{vex}"}
    code, out, _ = invoke(capsys, *base, "--vex", vex, "--show-suppressed", str(files["result"]))
    assert "suppressed (2):" in out
    assert "[vex:" in out and "not_affected" in out


def test_eval_image_ref_selects_a_mapping(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path], tmp_path: Path
) -> None:
    mapped = tmp_path / "mapped.yaml"
    text = POLICY.replace("policies:\n", "policies:\n  - {id: empty, rules: []}\n")
    mapped.write_text(text + "mappings:\n  - {image: 'quay.io/*', policy: gate}\ndefault: empty\n")
    args = ["policy", "eval", "--policy", str(mapped), "--now", "2024-07-01", str(files["result"])]
    code, out, _ = invoke(capsys, *args)
    assert code == 0 and out.startswith("policy empty (default): GO")
    code, out, _ = invoke(capsys, *args, "--image-ref", "quay.io/org/app:1")
    assert code == 1 and out.startswith("policy gate (quay.io/*): STOP")


def test_eval_errors(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    args = ["policy", "eval", "--policy", str(files["policy"])]
    code, _, err = invoke(capsys, *args, "--now", "June", str(files["result"]))
    assert code == 2 and "--now 'June' is not a date" in err
    code, _, err = invoke(capsys, *args, str(files["policy"]))
    assert code == 3 and "invalid JSON" in err


def test_entry_point_end_to_end(files: dict[str, Path]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sievert", "policy", "validate", str(files["bad"])],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 3 and "bad.yaml:5:" in proc.stderr
