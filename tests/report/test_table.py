"""The package table and the layers view."""

from __future__ import annotations

import io

from msgspec.structs import replace

from sievert.model import Package
from sievert.report.sbom.table import TableWriter, names_label, truncate, write_layers
from tests.report.inventories import odd_inventory, small_inventory


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_output_has_no_colour_or_trailing_spaces() -> None:
    out = io.StringIO()
    TableWriter().write(small_inventory(), out)
    text = out.getvalue()
    assert "\x1b[" not in text
    assert all(line == line.rstrip() for line in text.splitlines())
    assert "Distro:   Debian GNU/Linux 12 (bookworm)" in text
    assert "Layers:   3" in text


def test_terminal_output_is_coloured() -> None:
    out = _Terminal()
    TableWriter(width=120).write(small_inventory(), out)
    assert "\x1b[" in out.getvalue()


def test_rows_carry_layer_and_location() -> None:
    out = io.StringIO()
    TableWriter().write(small_inventory(), out)
    (row,) = [line for line in out.getvalue().splitlines() if line.startswith("requests")]
    assert "2 333333333333" in row
    assert "/usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info" in row


def test_empty_inventory_and_odd_inventory() -> None:
    out = io.StringIO()
    TableWriter().write(replace(small_inventory(), packages=(), notices=()), out)
    assert out.getvalue().rstrip().endswith("No packages found.")
    out = io.StringIO()
    TableWriter().write(odd_inventory(), out)
    text = out.getvalue()
    assert "日本語パッケージ" in text
    assert "Distro:   unknown" in text
    assert "error: ünïcode notice" in text
    assert "7" in next(line for line in text.splitlines() if line.startswith("ghost-layer"))


def test_layers_view_counts_and_truncates() -> None:
    out = io.StringIO()
    write_layers(odd_inventory(), out, width=200)
    lines = out.getvalue().splitlines()
    row0 = next(line for line in lines if line.startswith("0 "))
    assert " 50 " in row0
    assert "+45 more" in row0
    assert "lib000, lib003, lib006, lib009, lib012" in row0
    assert any(line.endswith("packages in no known layer") for line in lines)


def test_helpers() -> None:
    packages = [Package(name, "1", "npm", "", "npm") for name in ("a", "b", "a", "c")]
    assert names_label(packages, 2) == "a, b, +1 more"
    assert names_label(packages, 5) == "a, b, c"
    assert truncate("RUN  a\n b", 20) == "RUN a b"
    assert truncate("x" * 30, 10) == "x" * 9 + "…"
