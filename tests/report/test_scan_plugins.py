"""The scan formats: every writer runs, and each says truly how it shows suppressed findings."""

from __future__ import annotations

import io
from pathlib import Path

import msgspec
import pytest

from sievert.errors import UsageError
from sievert.model.finding import ScanResult
from sievert.report.base import ScanWriter
from sievert.report.plugins import (
    ALWAYS,
    NO_PLACE,
    ON_REQUEST,
    SCAN_WRITERS,
    WriterEntry,
    scan_writer_for,
    scan_writer_names,
)
from sievert.report.verdict_view import vulnerability_key
from tests.report.scan_results import empty_scan, small_scan
from tests.report.verdict_results import verdict_scan

REASON = "accepted until the ruby upgrade"
"""The reason of an exception the verdict of `verdict_scan` suppressed a finding with."""


def gated_scan() -> ScanResult:
    """`verdict_scan` as the gate leaves it: the suppressed findings moved into the verdict."""
    result = verdict_scan()
    assert result.verdict is not None
    gone = {s.finding.key for s in result.verdict.suppressed}
    kept = tuple(f for f in result.findings if vulnerability_key(f) not in gone)
    assert len(kept) == len(result.findings) - 2
    return msgspec.structs.replace(result, findings=kept)


def test_scan_format_names() -> None:
    assert scan_writer_names() == (
        "table",
        "json",
        "cyclonedx-json",
        "sarif",
        "junit",
        "gitlab",
        "cyclonedx-vex",
        "markdown",
        "template",
        "html",
    )


def _writer(entry: WriterEntry, tmp_path: Path, **changes: object) -> ScanWriter:
    writer = scan_writer_for(entry.name)
    if entry.name == "template":
        template = tmp_path / "report.txt.j2"
        template.write_text(
            "report\n{% for f in findings %}{{ f.id }}\n{% endfor %}"
            "{% if verdict %}{% for s in verdict.suppressed %}{{ s.reason }}\n{% endfor %}"
            "{% endif %}"
        )
        changes["template"] = str(template)
    return msgspec.structs.replace(writer, **changes) if changes else writer  # type: ignore[type-var]


def _text(writer: ScanWriter, result: object) -> str:
    out = io.StringIO()
    writer.write(result, out)  # type: ignore[arg-type]
    return out.getvalue()


@pytest.mark.parametrize("entry", SCAN_WRITERS, ids=lambda e: e.name)
def test_every_scan_writer_writes_findings_and_an_empty_result(
    entry: WriterEntry, tmp_path: Path
) -> None:
    writer = _writer(entry, tmp_path)
    assert isinstance(writer, ScanWriter)
    assert writer.name == entry.name and writer.media_type
    assert "CVE-2024-0001" in _text(writer, small_scan())
    assert _text(writer, empty_scan())


@pytest.mark.parametrize("entry", SCAN_WRITERS, ids=lambda e: e.name)
def test_each_writer_shows_suppressed_findings_as_it_declares(
    entry: WriterEntry, tmp_path: Path
) -> None:
    plain = _text(_writer(entry, tmp_path), gated_scan())
    if entry.suppressed == ALWAYS:
        assert REASON in plain
    elif entry.suppressed == ON_REQUEST:
        assert REASON not in plain
        shown = _text(_writer(entry, tmp_path, show_suppressed=True), gated_scan())
        assert REASON in shown
    else:
        assert entry.suppressed == NO_PLACE
        assert REASON not in plain
        assert not any(f.name == "show_suppressed" for f in msgspec.structs.fields(entry.load()))  # type: ignore[arg-type]


def test_unknown_scan_format_lists_valid_names() -> None:
    with pytest.raises(UsageError) as info:
        scan_writer_for("spdx-json")
    assert "'spdx-json'" in str(info.value)
    assert all(writer.name in str(info.value) for writer in SCAN_WRITERS)
