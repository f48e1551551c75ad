"""Whiteouts and opaque directories across three layers, and which layer each path comes from."""

from __future__ import annotations

from pathlib import Path

import pytest

from sievert.source.layerindex import KIND_OPAQUE, KIND_WHITEOUT, EntryTable, LayerIndex
from tests.imagebuilder import D, F, Image, O, W, write_oci_layout
from tests.source.util import only_manifest, open_and_squash

THREE = [
    [
        D("etc"),
        F("etc/keep", "k"),
        F("etc/gone", "g"),
        D("opt/app/lib"),
        F("opt/app/lib/a.txt", "a"),
        D("var/cache"),
        F("var/cache/old.txt", "old"),
        F("etc/phoenix", "first"),
    ],
    [
        W("etc/gone"),
        W("opt/app"),
        O("var/cache"),
        F("var/cache/new.txt", "new"),
        W("etc/phoenix"),
    ],
    [
        D("opt/app"),
        F("opt/app/fresh.txt", "fresh"),
        F("etc/phoenix", "reborn"),
        O("var/cache"),
        F("var/cache/newest.txt", "newest"),
    ],
]


@pytest.mark.parametrize("compression", ["gzip", "zstd", "none"])
def test_three_layers(tmp_path: Path, compression: str) -> None:
    root = write_oci_layout(tmp_path / "l", {"t": Image(THREE, compression=compression)})
    view, notices = open_and_squash(str(root))
    assert notices == []
    assert {r.path for r in view.records()} == {
        "etc",
        "etc/keep",
        "etc/phoenix",
        "opt/app",
        "opt/app/fresh.txt",
        "var/cache",
        "var/cache/newest.txt",
    }
    assert view.read("etc/gone") is None
    assert view.read("opt/app/lib/a.txt") is None
    assert view.read("var/cache/old.txt") is None
    assert view.read("var/cache/new.txt") is None
    assert view.read_text("etc/phoenix") == "reborn"
    assert view.read_text("var/cache/newest.txt") == "newest"
    _, manifest = only_manifest(root)
    digests = [layer["digest"] for layer in manifest["layers"]]
    for path, layer in [("etc/keep", 0), ("etc/phoenix", 2), ("opt/app/fresh.txt", 2)]:
        location = view.location(path)
        assert (location.path, location.layer_index, location.layer_digest) == (
            "/" + path,
            layer,
            digests[layer],
        )
        assert location.layer_diff_id.startswith("sha256:")
    assert view.location("etc/gone").layer_index == -1


@pytest.mark.parametrize("markers", [0, 3, 1500])
def test_a_table_lists_its_markers_as_its_rows_hold_them(markers: int) -> None:
    table = EntryTable()
    for n in range(2000):
        table.add(f"d{n}/f", "file", n, 0o644, 0, 0, "")
        if n < markers:
            kind = KIND_OPAQUE if n % 2 else KIND_WHITEOUT
            table.add(f"gone/\udcff{n}" if n == 1 else f"gone/{n}", kind, 0, 0, 0, 0, "")
    table.add("odd/marker", KIND_WHITEOUT, 2**70, 0, 0, 0, "")  # kept whole beside the packing
    table.add("/" + "x" * (1100 * 1024), KIND_OPAQUE, 0, 0, 0, 0, "")  # longer than a chunk
    expected = [(row[0], row[1]) for row in table.rows() if row[1] in (KIND_OPAQUE, KIND_WHITEOUT)]
    assert len(expected) == markers + 2 == table.markers
    assert list(table.marker_rows()) == expected
    again = LayerIndex.from_bytes(LayerIndex("sha256:" + "0" * 64, table).to_bytes()).entries
    assert isinstance(again, EntryTable)
    assert list(again.marker_rows()) == expected
    assert again.markers == table.markers
