"""Helpers shared by the source tests: index every layer of an opened image into a FileView."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sievert.model import Notice
from sievert.source.base import OpenedImage, SourceOptions
from sievert.source.capture import CaptureSpec
from sievert.source.detect import open_target
from sievert.source.view import FileView

SPEC = CaptureSpec(globs=("etc/*", "**/*.txt", "usr/lib/os-release"), version="test")


def squash(image: OpenedImage, spec: CaptureSpec = SPEC) -> tuple[FileView, list[Notice]]:
    """Apply every layer of the image; the view and all layer notices."""
    view = FileView(image.metadata.layers)
    notices: list[Notice] = []
    for layer, index in image.layer_indexes(spec, None):
        view.apply(layer.index, index)
        notices.extend(index.notices)
    return view, notices


def open_and_squash(target: str, spec: CaptureSpec = SPEC) -> tuple[FileView, list[Notice]]:
    """open_target then squash."""
    image = open_target(target, SourceOptions())
    try:
        return squash(image, spec)
    finally:
        image.close()


def listing(view: FileView) -> dict[str, tuple[str, str]]:
    """path -> (kind, link) of the squashed view."""
    return {r.path: (r.kind, r.link) for r in view.records()}


def blob_file(layout: Path, digest: str) -> Path:
    """Path of a blob in a layout."""
    algo, _, hexpart = digest.partition(":")
    return layout / "blobs" / algo / hexpart


def read_json(path: Path) -> Any:
    """Parse a JSON file."""
    return json.loads(path.read_bytes())


def put_blob(layout: Path, data: bytes) -> str:
    """Store bytes as a blob of the layout; its digest."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    path = blob_file(layout, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return digest


def only_manifest(layout: Path) -> tuple[Path, dict[str, Any]]:
    """The blob path and parsed document of the single manifest of index.json."""
    entry = read_json(layout / "index.json")["manifests"][0]
    path = blob_file(layout, entry["digest"])
    return path, read_json(path)


def rewrite_manifest(layout: Path, doc: dict[str, Any]) -> str:
    """Store a changed manifest and point index.json's single entry at it."""
    data = json.dumps(doc).encode()
    digest = put_blob(layout, data)
    index = read_json(layout / "index.json")
    index["manifests"][0].update(digest=digest, size=len(data))
    (layout / "index.json").write_text(json.dumps(index))
    return digest


def rewrite_config(layout: Path, change: dict[str, Any]) -> None:
    """Replace keys of the single image's config (and fix up the manifest)."""
    _, manifest = only_manifest(layout)
    config = read_json(blob_file(layout, manifest["config"]["digest"]))
    config.update(change)
    data = json.dumps(config).encode()
    manifest["config"].update(digest=put_blob(layout, data), size=len(data))
    rewrite_manifest(layout, manifest)
