"""Markdown summary: status word, counts, top findings, rules, suppressed count, goldens."""

from __future__ import annotations

import io
import re

import pytest
from msgspec.structs import replace

from sievert.model.finding import ScanResult
from sievert.model.policy import GO, WARN
from sievert.report.plugins import scan_writer_for
from sievert.report.scan.markdown import MarkdownWriter
from tests.report.scan_results import empty_scan, odd_scan, small_scan
from tests.report.test_golden import GOLDEN, UPDATE
from tests.report.verdict_results import verdict_scan

EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")


def _render(result: ScanResult, limit: int = 10) -> str:
    out = io.StringIO()
    MarkdownWriter(limit=limit).write(result, out)
    return out.getvalue()


def test_status_words() -> None:
    assert _render(small_scan()).startswith("**Sievert: FINDINGS**")
    assert _render(empty_scan()).startswith("**Sievert: CLEAN**")
    result = verdict_scan()
    assert result.verdict is not None
    assert _render(result).startswith("**Sievert: FAIL**")
    for action, word in ((WARN, "WARN"), (GO, "PASS")):
        verdict = replace(result.verdict, action=action)
        assert _render(replace(result, verdict=verdict)).startswith(f"**Sievert: {word}**")


@pytest.mark.parametrize("factory", [small_scan, empty_scan, odd_scan, verdict_scan])
def test_no_emoji(factory: object) -> None:
    assert callable(factory)
    assert not EMOJI.search(_render(factory()))


def test_counts_and_top_findings() -> None:
    text = _render(small_scan())
    assert "| critical | high | medium | low | negligible | unknown |" in text
    assert "| 1 | 1 | 1 | 1 | 1 | 1 |" in text
    row = (
        "| [CVE-2024-0001](https://nvd.nist.gov/vuln/detail/CVE-2024-0001) | libc6 "
        "| 2.36-9+deb12u4 | 2.36-9+deb12u7 | critical |"
    )
    assert row in text
    assert "Suppressed: 0" in text


def test_limit_says_how_many_more() -> None:
    text = _render(small_scan(), limit=2)
    assert "**Top findings** (2 of 6)" in text
    assert "…and 4 more." in text
    assert text.count("](https://") == 2


def test_verdict_rules_and_suppressed() -> None:
    text = _render(verdict_scan())
    assert "policy `production` (stop)" in text
    assert "| 1 | 1 | 0 | 1 | 0 | 1 |" in text  # requests and the gem are suppressed
    rules = [line for line in text.splitlines() if line.startswith("- `")]
    assert rules[0].startswith("- `stop` `no-critical`")
    assert rules[-1].startswith("- `warn`")
    assert "Suppressed: 3" in text  # two vulnerabilities and one inline config finding
    assert "Misconfigurations: 1" in text and "Secrets: 1" in text
    assert "Expired exceptions: 1" in text


def test_pipes_are_escaped() -> None:
    text = _render(odd_scan())
    for line in text.splitlines():
        if line.startswith("| [PYSEC"):
            assert line.count(" | ") == 4


def test_registered() -> None:
    assert scan_writer_for("markdown").media_type == "text/markdown"


@pytest.mark.parametrize("filename", ["scan.summary.md", "verdict.summary.md"])
def test_matches_golden(filename: str) -> None:
    actual = _render(small_scan() if filename.startswith("scan") else verdict_scan())
    path = GOLDEN / filename
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")
