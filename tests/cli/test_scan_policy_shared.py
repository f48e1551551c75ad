"""A pipeline-like gate: scan a real image with a policy and a VEX file; verdict, exit code and
the suppressed list are what a CI job would act on."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.clitools import run_sievert
from tests.conftest import SHARED_IMAGES

POLICY = """\
version: 1
policies:
  - id: production
    rules:
      - id: kev
        action: stop
        description: Known exploited vulnerabilities
        when: {kev: true}
      - id: own-fixable-critical
        action: stop
        description: Critical findings with a fix, in the image's own layers
        when: {severity: critical, fix_available: true, layer_origin: own}
      - id: high
        action: warn
        description: High vulnerabilities
        when: {severity: high}
exceptions:
  - vulnerability: CVE-2021-44906
    package: minimist
    reason: build-time only dependency
    owner: app-team
    ticket: SEC-42
    expires: 2099-12-31
  - vulnerability: CVE-2020-8203
    reason: this exception has expired
    owner: app-team
    expires: 2020-01-01
"""
VEX = {
    "@context": "https://openvex.dev/ns/v0.2.0",
    "@id": "https://example.com/vex/apps-1",
    "author": "App Security",
    "timestamp": "2026-11-01T00:00:00Z",
    "version": 1,
    "statements": [
        {
            "vulnerability": {"name": "CVE-2024-24790"},
            "products": [{"@id": "pkg:golang/stdlib@1.17.2"}],
            "status": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path",
            "impact_statement": "esbuild never parses IPv4-mapped addresses",
        }
    ],
}


@pytest.fixture
def gate_files(tmp_path: Path, real_db: Path) -> tuple[Path, Path, Path]:
    if not SHARED_IMAGES.is_dir():
        pytest.skip("../shared/images not present (fresh clone): real-image test skipped")
    policy, vex = tmp_path / "policy.yaml", tmp_path / "app.vex.json"
    policy.write_text(POLICY)
    vex.write_text(json.dumps(VEX))
    return real_db, policy, vex


def ci_scan(db: Path, policy: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    target = f"oci-dir:{SHARED_IMAGES}:bookworm-apps"
    base = f"oci-dir:{SHARED_IMAGES}:bookworm"
    args = ["scan", target, "--db", str(db), "--no-cache", "-q", "--policy", str(policy)]
    return run_sievert(*args, "--base", base, "-f", "json", *extra, timeout=600)


def test_exceptions_and_vex_turn_a_stop_into_a_warn(gate_files: tuple[Path, Path, Path]) -> None:
    db, policy, vex = gate_files
    proc = ci_scan(db, policy, "--vex", str(vex))
    assert proc.returncode == 0, proc.stderr
    verdict = json.loads(proc.stdout)["verdict"]
    assert verdict["action"] == "warn"
    assert "policy production: warn (high)" in proc.stderr
    suppressed = {
        (s["finding"]["key"].split("|")[0], s["source"].split(":")[0])
        for s in verdict["suppressed"]
    }
    assert suppressed == {("CVE-2021-44906", "exception"), ("CVE-2024-24790", "vex")}
    assert any("CVE-2020-8203" in e for e in verdict["expiredExceptions"])
    findings = {f["vulnerability"]["id"] for f in json.loads(proc.stdout)["findings"]}
    assert "CVE-2021-44906" not in findings and "CVE-2024-24790" not in findings
    assert "CVE-2020-8203" in findings  # its exception expired: reported again


def test_without_the_vex_the_gate_stops(gate_files: tuple[Path, Path, Path]) -> None:
    db, policy, _ = gate_files
    proc = ci_scan(db, policy)
    assert proc.returncode == 1
    verdict = json.loads(proc.stdout)["verdict"]
    assert verdict["action"] == "stop"
    triggered = {r["ruleId"]: r for r in verdict["triggered"]}
    stop = triggered["own-fixable-critical"]
    assert any("CVE-2024-24790" in f["key"] for f in stop["findings"])
    assert (
        verdict["baseLayers"] == 1
    )  # bookworm's single layer; the apps layers are the image's own
    assert "own-fixable-critical" in proc.stderr
