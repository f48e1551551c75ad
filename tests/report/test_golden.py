"""Golden files: each format's output for the small inventory, byte for byte.

Regenerate with `SIEVERT_UPDATE_GOLDEN=1 pytest tests/report/test_golden.py` and review the diff.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from sievert.model import Inventory
from sievert.report.sbom.cyclonedx import CycloneDxJsonWriter
from sievert.report.sbom.native import JsonWriter
from sievert.report.sbom.spdx import SpdxJsonWriter
from sievert.report.sbom.table import TableWriter, write_layers
from tests.report.inventories import fixed_stamp, small_inventory

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "report"
UPDATE = os.environ.get("SIEVERT_UPDATE_GOLDEN") == "1"


def _writer(write: Callable[[Inventory, io.StringIO], None]) -> Callable[[Inventory], str]:
    def render(inventory: Inventory) -> str:
        out = io.StringIO()
        write(inventory, out)
        return out.getvalue()

    return render


RENDERERS: dict[str, Callable[[Inventory], str]] = {
    "small.table.txt": _writer(TableWriter(width=140).write),
    "small.layers.txt": _writer(lambda inv, out: write_layers(inv, out, width=140)),
    "small.sievert.json": _writer(JsonWriter(version=lambda: "0.0.0-test").write),
    "small.cdx.json": _writer(CycloneDxJsonWriter(stamp=fixed_stamp).write),
    "small.spdx.json": _writer(SpdxJsonWriter(stamp=fixed_stamp).write),
}


@pytest.mark.parametrize("filename", sorted(RENDERERS))
def test_matches_golden(filename: str) -> None:
    actual = RENDERERS[filename](small_inventory())
    path = GOLDEN / filename
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with SIEVERT_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("filename", sorted(RENDERERS))
def test_output_is_deterministic(filename: str) -> None:
    render = RENDERERS[filename]
    assert render(small_inventory()) == render(small_inventory())
