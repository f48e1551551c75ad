"""Golden files of the scan formats for the small scan result, byte for byte.

Regenerate with `SIEVERT_UPDATE_GOLDEN=1 pytest tests/report/test_scan_golden.py` and review.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from sievert.model.finding import ScanResult
from sievert.report.scan.cyclonedx import ScanCycloneDxJsonWriter
from sievert.report.scan.native import ScanJsonWriter
from sievert.report.scan.sarif import SarifWriter
from sievert.report.scan.table import ScanTableWriter
from tests.report.inventories import fixed_stamp
from tests.report.scan_results import small_scan
from tests.report.test_golden import GOLDEN, UPDATE


def _render(write: Callable[[ScanResult, io.StringIO], None]) -> Callable[[ScanResult], str]:
    def render(result: ScanResult) -> str:
        out = io.StringIO()
        write(result, out)
        return out.getvalue()

    return render


def _version() -> str:
    return "0.0.0-test"


def _uri() -> str:
    return "https://sievert.example/"


RENDERERS: dict[str, Callable[[ScanResult], str]] = {
    "scan.table.txt": _render(ScanTableWriter(width=160).write),
    "scan.sievert.json": _render(ScanJsonWriter(version=_version).write),
    "scan.cdx.json": _render(ScanCycloneDxJsonWriter(stamp=fixed_stamp).write),
    "scan.sarif.json": _render(SarifWriter(version=_version, information_uri=_uri).write),
}


@pytest.mark.parametrize("filename", sorted(RENDERERS))
def test_matches_golden(filename: str) -> None:
    actual = RENDERERS[filename](small_scan())
    path = GOLDEN / filename
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with SIEVERT_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("filename", sorted(RENDERERS))
def test_output_is_deterministic(filename: str) -> None:
    render = RENDERERS[filename]
    assert render(small_scan()) == render(small_scan())
