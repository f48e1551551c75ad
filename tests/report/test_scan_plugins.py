"""The scan format registry."""

from __future__ import annotations

import io

import pytest

from sievert.errors import UsageError
from sievert.report.base import ScanWriter
from sievert.report.plugins import SCAN_WRITERS, scan_writer_for, scan_writer_names
from tests.report.scan_results import small_scan


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


@pytest.mark.parametrize("name", ["table", "json", "cyclonedx-json", "sarif"])
def test_each_scan_writer_writes_findings(name: str) -> None:
    writer = scan_writer_for(name)
    assert isinstance(writer, ScanWriter)
    assert writer.media_type
    out = io.StringIO()
    writer.write(small_scan(), out)
    assert "CVE-2024-0001" in out.getvalue()


def test_unknown_scan_format_lists_valid_names() -> None:
    with pytest.raises(UsageError) as info:
        scan_writer_for("spdx-json")
    assert "'spdx-json'" in str(info.value)
    assert all(writer.name in str(info.value) for writer in SCAN_WRITERS)
