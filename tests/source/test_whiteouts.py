"""Whiteouts and opaque directories across three layers, and which layer each path comes from."""

from __future__ import annotations

from pathlib import Path

import pytest

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
