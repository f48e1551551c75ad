"""`sievert scan --scanners ...` end to end: outputs carry config and secret findings, redacted."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.clitools import run_sievert as run
from tests.imagebuilder import F, Image, W, write_oci_layout

FAKE_TOKEN = "glpat-" + "SievertFake" + "x9Qm2Lp7Zt"
FAKE_PASSWORD = "Sv" + "Fake9pass7Word"
IMAGE = Image(
    [
        [F("etc/passwd", "root:x:0:0::/root:/bin/sh\n"), F("app/ci.env", f"TOKEN={FAKE_TOKEN}\n")],
        [W("app/ci.env"), F("etc/app/db.conf", f"[db]\npassword = {FAKE_PASSWORD}\n")],
    ]
)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> str:
    layout = write_oci_layout(tmp_path_factory.mktemp("cli") / "layout", {"app": IMAGE})
    return f"oci-dir:{layout}:app"


def scan(target: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return run("scan", target, "--no-cache", "-q", *extra)


@pytest.mark.parametrize("fmt", ["json", "table", "sarif"])
def test_every_format_shows_findings_and_never_the_secret(target: str, fmt: str) -> None:
    proc = scan(target, "--scanners", "config,secret", "-f", fmt)
    assert proc.returncode == 0, proc.stderr
    assert FAKE_TOKEN not in proc.stdout and FAKE_TOKEN[8:] not in proc.stdout
    assert FAKE_PASSWORD not in proc.stdout
    assert "SV-SEC-020" in proc.stdout and "SV-SEC-067" in proc.stdout
    assert "SV-IMG-001" in proc.stdout


def test_json_secret_findings(target: str) -> None:
    doc = json.loads(scan(target, "--scanners", "secret,config", "-f", "json").stdout)
    assert doc["scanners"] == ["config", "secret"]
    secrets = {f["ruleId"]: f for f in doc["secretFindings"]}
    assert secrets["SV-SEC-020"]["deletedLater"] is True
    assert secrets["SV-SEC-020"]["path"] == "/app/ci.env"
    assert secrets["SV-SEC-020"]["layerIndex"] == 0
    assert secrets["SV-SEC-067"]["deletedLater"] is False
    assert secrets["SV-SEC-067"]["startLine"] == 2
    assert doc["findings"] == []


def test_sarif_locations_are_image_path_and_line(target: str) -> None:
    doc = json.loads(scan(target, "--scanners", "secret", "-f", "sarif").stdout)
    run_ = doc["runs"][0]
    rules = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert rules == ["SV-SEC-020", "SV-SEC-067"]
    loc = {r["ruleId"]: r["locations"][0]["physicalLocation"] for r in run_["results"]}
    assert loc["SV-SEC-067"]["artifactLocation"]["uri"] == "etc/app/db.conf"
    assert loc["SV-SEC-067"]["region"]["startLine"] == 2


def test_fail_on_counts_config_and_secret_findings(target: str, tmp_path: Path) -> None:
    failed = scan(target, "--scanners", "secret", "--fail-on", "critical")  # the GitLab token
    assert failed.returncode == 1
    assert "--fail-on" in failed.stderr
    config = tmp_path / "secrets.yaml"
    config.write_text("disabled_rules: [SV-SEC-020]\n")
    only_password = ("--scanners", "secret", "--secret-config", str(config))
    assert scan(target, *only_password, "--fail-on", "high").returncode == 0
    assert scan(target, *only_password, "--fail-on", "medium").returncode == 1
    assert scan(target, "--scanners", "config", "--fail-on", "medium").returncode == 1
    assert scan(target, "--scanners", "config", "--fail-on", "high").returncode == 0


def test_secret_config_and_bad_scanner(target: str, tmp_path: Path) -> None:
    config = tmp_path / "secrets.yaml"
    config.write_text("disabled_rules: [SV-SEC-020]\n")
    doc = json.loads(
        scan(target, "--scanners", "secret", "--secret-config", str(config), "-f", "json").stdout
    )
    assert [f["ruleId"] for f in doc["secretFindings"]] == ["SV-SEC-067"]
    bad = scan(target, "--scanners", "vuln,malware")
    assert bad.returncode == 2
    assert "malware" in bad.stderr


def test_a_secret_in_a_file_a_cataloger_reads_is_found(tmp_path: Path) -> None:
    """An installed package.json is read by the npm cataloger and scanned for secrets too."""
    manifest = json.dumps({"name": "left-pad", "version": "1.3.0", "token": FAKE_TOKEN})
    image = Image([[F("app/node_modules/left-pad/package.json", manifest)]])
    layout = write_oci_layout(tmp_path / "layout", {"app": image})
    doc = json.loads(scan(f"oci-dir:{layout}:app", "--scanners", "secret", "-f", "json").stdout)
    assert [(f["ruleId"], f["path"]) for f in doc["secretFindings"]] == [
        ("SV-SEC-020", "/app/node_modules/left-pad/package.json")
    ]
