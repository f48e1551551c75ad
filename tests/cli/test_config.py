"""`sievert config`: discovery, formats, exit codes, suppression display, SARIF schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.clitools import run_in_process
from tests.schemas import sarif_errors

BAD = """\
FROM ubuntu
# sievert:ignore=SV-DF-018 vendor script
RUN sudo apt-get update && apt-get install -y curl \\
    && curl -fsSL https://get.example.com | sh
EXPOSE 22
"""
GOOD = """\
FROM debian:12@sha256:0000000000000000000000000000000000000000000000000000000000000000
RUN useradd app
USER app
HEALTHCHECK CMD ["/app/health"]
"""


_CAPTURE: list[pytest.CaptureFixture[str]] = []


@pytest.fixture(autouse=True)
def _capture(capsys: pytest.CaptureFixture[str]) -> Any:
    _CAPTURE.append(capsys)
    yield
    _CAPTURE.pop()


def run(*args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of `sievert ARGS`, run in this process."""
    return run_in_process(_CAPTURE[-1], *args)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text(BAD, encoding="utf-8")
    (tmp_path / "api.dockerfile").write_text(GOOD, encoding="utf-8")
    (tmp_path / "Containerfile").write_text(GOOD, encoding="utf-8")
    (tmp_path / "Dockerfile.prod").write_text(GOOD, encoding="utf-8")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "Dockerfile").write_text("FROM x\nBAD\n", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "Dockerfile").write_text("BAD\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("FROM x\n", encoding="utf-8")
    return tmp_path


def test_directory_search_json(tree: Path) -> None:
    code, out, _ = run("config", str(tree), "-f", "json")
    assert code == 0
    doc = json.loads(out)
    names = sorted(Path(f).name for f in doc["files"])
    assert names == ["Containerfile", "Dockerfile", "Dockerfile.prod", "api.dockerfile"]
    rules = {f["ruleId"] for f in doc["findings"]}
    assert {"SV-DF-001", "SV-DF-002", "SV-DF-009", "SV-DF-013"} <= rules
    assert "SV-DF-018" not in rules and doc["suppressed"] == 1
    pipe = next(f for f in doc["findings"] if f["ruleId"] == "SV-DF-009")
    assert (pipe["startLine"], pipe["endLine"]) == (3, 4)
    assert pipe["file"].endswith("svc/Dockerfile")


def test_show_suppressed(tree: Path) -> None:
    _, out, _ = run("config", str(tree / "svc"), "-f", "json", "--show-suppressed")
    sudo = [f for f in json.loads(out)["findings"] if f["ruleId"] == "SV-DF-018"]
    assert sudo[0]["suppressedBy"] == "inline: vendor script"


def test_fail_on_and_severity_filter(tree: Path) -> None:
    code, _, err = run("config", str(tree), "--fail-on", "high", "-f", "json")
    assert code == 1 and "--fail-on" in err
    assert run("config", str(tree / "api.dockerfile"), "--fail-on", "low")[0] == 0
    code, out, _ = run(
        "config", str(tree), "-f", "json", "--severity", "medium", "--fail-on", "critical"
    )
    assert code == 0
    assert {f["severity"] for f in json.loads(out)["findings"]} == {"medium"}


def test_suppressed_findings_do_not_fail(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(
        "# sievert:ignore=SV-DF-018 ok\nFROM debian:12\nUSER 1\nHEALTHCHECK NONE\n"
        "# sievert:ignore=SV-DF-018\nRUN sudo true\n",
        encoding="utf-8",
    )
    assert run("config", str(path), "--fail-on", "medium")[0] == 0


def test_table(tree: Path) -> None:
    code, out, _ = run("config", str(tree / "svc" / "Dockerfile"))
    assert code == 0
    assert "svc/Dockerfile" in out and "SV-DF-009" in out and "3-4" in out
    assert "1 suppressed" in out


def test_usage_errors(tree: Path) -> None:
    assert run("config", str(tree), "-f", "xml")[0] == 2
    assert run("config", str(tree), "--fail-on", "huge")[0] == 2
    assert run("config", str(tree), "--severity", "high,bad")[0] == 2
    assert run("config")[0] == 2


def test_a_bad_line_is_a_finding_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "Dockerfile").write_text(
        "FROM debian:12 AS base\nARG IMAGE=alpine:3\nFROM $IMAGE\nRUN sudo make\n",
        encoding="utf-8",
    )
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "Dockerfile").write_text("ARG A=1\n", encoding="utf-8")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "Dockerfile").write_bytes(b"FROM a:1\nRUN echo \xff\nRUN sudo x\n")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "Dockerfile").write_text("FROM a:1\nRUN <<EOF\necho\n", encoding="utf-8")
    code, out, err = run("config", str(tmp_path), "-f", "json")
    assert (code, err) == (0, "")
    found = {
        (Path(f["file"]).parent.name, f["ruleId"], f["startLine"])
        for f in json.loads(out)["findings"]
    }
    assert {
        ("a", "SV-DF-033", 3),
        ("a", "SV-DF-018", 4),
        ("b", "SV-DF-033", 1),
        ("c", "SV-DF-033", 2),
        ("c", "SV-DF-018", 3),
        ("d", "SV-DF-033", 2),
    } <= found
    assert run("config", str(tmp_path / "b"), "--fail-on", "high")[0] == 1
    assert run("config", str(tmp_path / "missing"))[0] == 3


def test_config_file_beside_and_explicit(tree: Path, tmp_path: Path) -> None:
    (tree / "svc" / ".sievert.yaml").write_text("disable: [SV-DF-009]\n", encoding="utf-8")
    _, out, _ = run("config", str(tree / "svc"), "-f", "json")
    assert "SV-DF-009" not in {f["ruleId"] for f in json.loads(out)["findings"]}
    explicit = tmp_path / "explicit.yaml"
    explicit.write_text("severity: {SV-DF-013: critical}\n", encoding="utf-8")
    _, out, _ = run("config", str(tree / "svc"), "-f", "json", "--config", str(explicit))
    found = json.loads(out)["findings"]
    assert "SV-DF-009" in {f["ruleId"] for f in found}
    assert {f["severity"] for f in found if f["ruleId"] == "SV-DF-013"} == {"critical"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("nope: 1\n", encoding="utf-8")
    assert run("config", str(tree), "--config", str(bad))[0] == 3


def test_sarif_is_valid_and_points_at_lines(tree: Path) -> None:
    _, out, _ = run("config", str(tree), "-f", "sarif", "--show-suppressed")
    log = json.loads(out)
    assert sarif_errors(log) == []
    run_ = log["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules][:3] == ["SV-DF-001", "SV-DF-002", "SV-DF-003"]
    assert all("security-severity" in r["properties"] and r["help"]["text"] for r in rules)
    pipe = next(r for r in run_["results"] if r["ruleId"] == "SV-DF-009")
    region = pipe["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["endLine"]) == (3, 4)
    assert rules[pipe["ruleIndex"]]["id"] == "SV-DF-009"
    sudo = next(r for r in run_["results"] if r["ruleId"] == "SV-DF-018")
    assert sudo["suppressions"][0]["kind"] == "inSource"


def test_output_file(tree: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.sarif"
    assert run("config", str(tree), "-f", "sarif", "-o", str(target))[0] == 0
    assert json.loads(target.read_text(encoding="utf-8"))["version"] == "2.1.0"
