"""Inline suppressions and the YAML configuration (disable, re-rate, allow-lists)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sievert.checks.dockerfile.config import CheckConfig, load_config
from sievert.checks.dockerfile.engine import active, analyze
from sievert.checks.dockerfile.parser import parse_dockerfile
from sievert.errors import ParseError
from sievert.model.checks import CheckFinding

TEXT = """\
# sievert:ignore=SV-DF-001,SV-DF-029 runs as root on purpose
FROM debian:12
# sievert:ignore=SV-DF-018 build tool needs it
RUN sudo make install
RUN sudo make clean
RUN apt-get update \\
    # sievert:ignore=all legacy
    && apt-get install curl
"""


def run(config: CheckConfig | None = None) -> list[CheckFinding]:
    return analyze(parse_dockerfile(TEXT, "Dockerfile"), config)


def by_rule(findings: list[CheckFinding], rule_id: str) -> list[CheckFinding]:
    return [f for f in findings if f.rule.id == rule_id]


def test_inline_before_from_covers_the_stage_wide_findings() -> None:
    findings = run()
    assert by_rule(findings, "SV-DF-001")[0].suppressed_by == "inline: runs as root on purpose"
    assert by_rule(findings, "SV-DF-029")[0].suppressed_by.startswith("inline")
    assert not by_rule(findings, "SV-DF-002")  # tagged
    assert not by_rule(findings, "SV-DF-003")[0].suppressed_by


def test_inline_covers_only_the_next_instruction() -> None:
    sudo = by_rule(run(), "SV-DF-018")
    assert [(f.region.start_line, bool(f.suppressed_by)) for f in sudo] == [(4, True), (5, False)]


def test_inline_all_inside_a_continuation() -> None:
    on_apt = [f for f in run() if f.region.start_line == 6]
    assert on_apt and all(f.suppressed_by == "inline: legacy" for f in on_apt)


def test_config_disables_and_rerates() -> None:
    config = CheckConfig(
        disabled=frozenset({"SV-DF-003"}),
        severities={"SV-DF-018": "critical"},
        source=".sievert.yaml",
    )
    findings = run(config)
    assert by_rule(findings, "SV-DF-003")[0].suppressed_by == "config: .sievert.yaml"
    assert {f.severity for f in by_rule(findings, "SV-DF-018")} == {"critical"}
    assert all(f.rule.id != "SV-DF-003" for f in active(findings))


def test_load_config(tmp_path: Path) -> None:
    path = tmp_path / ".sievert.yaml"
    path.write_text(
        "disable: [SV-DF-029]\nseverity:\n  SV-DF-003: medium\n"
        "allowed_registries: [docker.io]\nallowed_images: [python]\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.disabled == frozenset({"SV-DF-029"})
    assert dict(config.severities) == {"SV-DF-003": "medium"}
    assert config.allowed_registries == ("docker.io",) and config.allowed_images == ("python",)
    assert config.source == str(path)


def test_empty_config_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("", encoding="utf-8")
    assert load_config(path).disabled == frozenset()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("disable: [SV-DF-1]\n", "is not a rule id"),
        ("severity: {SV-DF-001: huge}\n", "unknown severity"),
        ("severity: [a]\n", "'severity' must map"),
        ("colour: red\n", "unknown configuration keys: colour"),
        ("allowed_images: python\n", "'allowed_images' must be a list"),
        ("- a\n", "must be a mapping"),
        ("disable: [\n", "cannot read the configuration"),
    ],
)
def test_bad_config(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParseError, match=message):
        load_config(path)
