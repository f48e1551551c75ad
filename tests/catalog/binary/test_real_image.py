"""The binary catalogers on the real `bookworm-apps` image, read in place from ../shared."""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path
from typing import BinaryIO, cast

import pytest

from sievert.catalog.base import CatalogContext, CatalogResult
from sievert.catalog.binary.golang import GoBinaryCataloger
from sievert.catalog.binary.java import JavaArchiveCataloger
from sievert.catalog.binary.rust import RustAuditCataloger
from sievert.catalog.binary.versions import BinaryVersionCataloger
from sievert.model import LayerInfo
from sievert.source.capture import CaptureSpec
from sievert.source.layerindex import LayerIndex
from sievert.source.tarwalk import index_tar
from sievert.source.view import FileView

pytestmark = [pytest.mark.shared, pytest.mark.slow]

CATALOGERS = (
    JavaArchiveCataloger(),
    GoBinaryCataloger(),
    RustAuditCataloger(),
    BinaryVersionCataloger(),
)
JACKSON = {
    "pkg:maven/com.fasterxml.jackson.core/jackson-annotations@2.14.0",
    "pkg:maven/com.fasterxml.jackson.core/jackson-core@2.14.1",
    "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.14.0",
}
ESBUILD = {
    # syft: go-module 3, trivy: gobinary 3 (the main module, golang.org/x/sys and stdlib)
    "pkg:golang/github.com/evanw/esbuild@%28devel%29",
    "pkg:golang/golang.org/x/sys@v0.0.0-20210908233432-aa78b53d3365",
    "pkg:golang/stdlib@1.17.2",
}


def _layers(layout: Path) -> list[LayerInfo]:
    index = json.loads((layout / "index.json").read_text())
    (descriptor,) = [
        m
        for m in index["manifests"]
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "bookworm-apps"
    ]
    blobs = layout / "blobs" / "sha256"
    manifest = json.loads((blobs / descriptor["digest"].split(":")[1]).read_text())
    config = json.loads((blobs / manifest["config"]["digest"].split(":")[1]).read_text())
    diff_ids = config["rootfs"]["diff_ids"]
    return [
        LayerInfo(i, layer["digest"], diff_ids[i], layer["size"], layer["mediaType"])
        for i, layer in enumerate(manifest["layers"])
    ]


@functools.cache
def _indexes(layout: Path) -> tuple[tuple[LayerInfo, LayerIndex], ...]:
    extractors = tuple(x for c in CATALOGERS for x in c.extractors)
    spec = CaptureSpec(globs=(), version="t", extractors=extractors)
    out = []
    for layer in _layers(layout):
        path = layout / "blobs" / "sha256" / layer.digest.split(":")[1]
        with gzip.open(path, "rb") as stream:
            out.append((layer, index_tar(cast(BinaryIO, stream), spec, layer)))
    return tuple(out)


def _results(layout: Path) -> dict[str, CatalogResult]:
    indexes = _indexes(layout)
    assert any(index.extracts for _, index in indexes)
    view = FileView([layer for layer, _ in indexes])
    for layer, index in indexes:
        view.apply(layer.index, index)
    return {c.name: c.catalog(view, CatalogContext()) for c in CATALOGERS}


def test_jackson_jars(shared_images: Path) -> None:
    result = _results(shared_images)["java-archive"]
    assert {p.purl for p in result.packages} == JACKSON
    assert result.notices == ()
    for package in result.packages:
        assert package.meta("source") == "pom.properties"
        assert package.locations[0].path.startswith("/usr/share/java/jackson-")
        assert package.locations[0].layer_index == 1


def test_esbuild_go_modules(shared_images: Path) -> None:
    result = _results(shared_images)["go-module-binary"]
    assert {p.purl for p in result.packages} == ESBUILD
    for package in result.packages:
        # npm hardlinks the binary into esbuild/bin: both paths are reported, like trivy does
        assert [loc.path for loc in package.locations] == [
            "/app/node_modules/esbuild-linux-64/bin/esbuild",
            "/app/node_modules/esbuild/bin/esbuild",
        ]
        assert package.locations[0].layer_index == 2


def test_no_rust_and_low_confidence_programs(shared_images: Path) -> None:
    results = _results(shared_images)
    assert results["rust-cargo-auditable"].packages == ()
    found = {(p.name, p.locations[0].path) for p in results["binary-version"].packages}
    assert ("curl", "/usr/bin/curl") in found
    assert ("openssl", "/usr/bin/openssl") in found
    assert all(p.meta("confidence") == "low" for p in results["binary-version"].packages)
