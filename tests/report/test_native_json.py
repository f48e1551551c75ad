"""Sievert's own JSON: documented key order, every model field, lossless odd inputs."""

from __future__ import annotations

import io
import json
from typing import Any

from sievert.model import Inventory
from sievert.report.sbom.native import JsonWriter
from tests.report.inventories import odd_inventory, small_inventory


def _doc(inventory: Inventory) -> dict[str, Any]:
    out = io.StringIO()
    JsonWriter(version=lambda: "9.9.9").write(inventory, out)
    assert out.getvalue().endswith("}\n")
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def test_top_level_keys_in_documented_order() -> None:
    doc = _doc(small_inventory())
    assert list(doc) == [
        "schemaVersion", "tool", "image", "distro", "packages", "fileCount", "notices"
    ]  # fmt: skip
    assert doc["schemaVersion"] == "1"
    assert doc["tool"] == {"name": "sievert", "version": "9.9.9"}
    assert doc["fileCount"] == 4321


def test_image_section() -> None:
    image = _doc(small_inventory())["image"]
    assert image["platform"] == {"os": "linux", "architecture": "amd64", "variant": ""}
    assert image["size"] == 29_150_234 + 12_004_117 + 512_000
    assert [layer["index"] for layer in image["layers"]] == [0, 1, 2]
    assert list(image["layers"][0]) == [
        "index", "digest", "diffId", "size", "mediaType", "createdBy", "created", "comment"
    ]  # fmt: skip
    assert image["config"]["cmd"] == ["python3", "-m", "app"]
    assert image["config"]["labels"] == {"org.opencontainers.image.title": "app"}


def test_every_package_field_is_written() -> None:
    doc = _doc(small_inventory())
    names = [p["name"] for p in doc["packages"]]
    assert names == ["bash", "libc6", "ruby3.1", "json", "requests"]  # type, name order
    libc = doc["packages"][1]
    assert libc["sourceName"] == "glibc"
    assert libc["licenses"] == ["LGPL-2.1", "GPL-2.0+"]
    assert libc["files"][0] == "/lib/x86_64-linux-gnu/libc.so.6"
    assert libc["layer"] == {
        "index": 0, "digest": "sha256:" + "1" * 64, "diffId": "sha256:" + "a" * 64
    }  # fmt: skip
    assert libc["locations"][0]["layerDiffId"] == "sha256:" + "a" * 64
    assert libc["metadata"][0]["key"] == "maintainer"
    assert doc["packages"][3]["owner"].startswith("pkg:deb/debian/ruby3.1@")
    assert doc["distro"]["release"] == "bookworm"
    assert doc["notices"][0]["level"] == "warning"


def test_odd_inventory() -> None:
    inventory = odd_inventory()
    doc = _doc(inventory)
    assert doc["distro"] is None
    assert len(doc["packages"]) == len(set(inventory.packages))
    ghost = next(p for p in doc["packages"] if p["name"] == "ghost-layer")
    assert ghost["layer"] == {"index": 7, "digest": "", "diffId": ""}
    weird = next(p for p in doc["packages"] if p["name"] == 'weird<>&"')
    assert weird["metadata"][1:] == [{"key": "k", "value": "v1"}, {"key": "k", "value": "v2"}]
    assert weird["epoch"] is None
    assert any(p["name"] == "日本語パッケージ" and p["purl"] == "" for p in doc["packages"])
