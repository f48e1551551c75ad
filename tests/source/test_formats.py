"""Every on-disk format the builder writes, with gzip, zstd and uncompressed layers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from sievert.source.base import SourceOptions
from sievert.source.detect import open_target
from tests.imagebuilder import (
    D,
    F,
    H,
    Image,
    L,
    W,
    write_docker_archive,
    write_oci_archive,
    write_oci_layout,
)
from tests.source.util import listing, open_and_squash

COMPRESSIONS = ("gzip", "zstd", "none")


def sample(compression: str) -> Image:
    """Two layers: a base tree with a hardlink, then a change with a whiteout and a symlink."""
    return Image(
        [
            [
                D("etc"),
                F("etc/os-release", "ID=debian\nVERSION_ID=12\n"),
                F("etc/hostname", "box\n"),
                D("usr/share/doc"),
                F("usr/share/doc/readme.txt", "hello"),
                H("usr/share/doc/copy.txt", "usr/share/doc/readme.txt"),
            ],
            [
                W("etc/hostname"),
                F("etc/motd", "welcome"),
                L("etc/alias.txt", "/usr/share/doc/readme.txt"),
            ],
        ],
        compression=compression,
        config={"User": "app", "Cmd": ["/bin/sh"]},
        labels={"org.example": "yes"},
    )


Writer = Callable[[Path, Image], str]


def _oci_dir(tmp: Path, image: Image) -> str:
    return str(write_oci_layout(tmp / "layout", {"v1": image}))


def _oci_archive(tmp: Path, image: Image) -> str:
    return str(write_oci_archive(tmp / "image.oci.tar", {"v1": image}))


def _docker_legacy(tmp: Path, image: Image) -> str:
    return str(write_docker_archive(tmp / "image.tar", image, compressed=True))


def _docker_oci_style(tmp: Path, image: Image) -> str:
    return str(write_docker_archive(tmp / "image.tar", image, oci_style=True, compressed=True))


WRITERS: dict[str, Writer] = {
    "oci-dir": _oci_dir,
    "oci-archive": _oci_archive,
    "docker-archive-legacy": _docker_legacy,
    "docker-archive-oci": _docker_oci_style,
}
KIND = {
    "oci-dir": "oci-dir",
    "oci-archive": "oci-archive",
    "docker-archive-legacy": "docker-archive",
    "docker-archive-oci": "docker-archive",
}


@pytest.mark.parametrize("compression", COMPRESSIONS)
@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_every_format_squashes_the_same(tmp_path: Path, fmt: str, compression: str) -> None:
    target = WRITERS[fmt](tmp_path, sample(compression))
    view, notices = open_and_squash(target)
    assert notices == []
    assert listing(view) == {
        "etc": ("dir", ""),
        "etc/os-release": ("file", ""),
        "etc/motd": ("file", ""),
        "etc/alias.txt": ("symlink", "/usr/share/doc/readme.txt"),
        "usr/share/doc": ("dir", ""),
        "usr/share/doc/readme.txt": ("file", ""),
        "usr/share/doc/copy.txt": ("hardlink", "usr/share/doc/readme.txt"),
    }
    assert view.read_text("/etc/os-release") == "ID=debian\nVERSION_ID=12\n"
    assert view.read("etc/alias.txt") == b"hello"
    assert view.read("usr/share/doc/copy.txt") == b"hello"
    assert view.read("etc/hostname") is None
    assert view.location("etc/motd").layer_index == 1


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_metadata_from_every_format(tmp_path: Path, fmt: str) -> None:
    image = sample("gzip")
    built = image.built()
    target = WRITERS[fmt](tmp_path, image)
    opened = open_target(target, SourceOptions())
    meta = opened.metadata
    assert meta.source_kind == KIND[fmt]
    assert meta.reference == target
    assert [layer.diff_id for layer in meta.layers] == [
        "sha256:" + hashlib.sha256(t).hexdigest() for t in built.tars
    ]
    assert [layer.index for layer in meta.layers] == [0, 1]
    assert meta.layers[1].created_by == "/bin/sh -c #(nop) layer 1"
    assert meta.user == "app"
    assert meta.cmd == ("/bin/sh",)
    assert dict(meta.labels) == {"org.example": "yes"}
    assert str(meta.platform) == "linux/amd64"
    assert meta.config_digest.startswith("sha256:")
    expected_tags = ("v1",) if fmt.startswith("oci") else ("test/image:latest",)
    assert meta.repo_tags == expected_tags


def test_docker_archive_uncompressed_layers_digest_is_diff_id(tmp_path: Path) -> None:
    target = write_docker_archive(tmp_path / "plain.tar", sample("gzip"))
    meta = open_target(str(target), SourceOptions()).metadata
    assert all(layer.digest == layer.diff_id for layer in meta.layers)
    assert {layer.media_type for layer in meta.layers} == {
        "application/vnd.docker.image.rootfs.diff.tar"
    }
    view, _ = open_and_squash(str(target))
    assert view.read_text("etc/motd") == "welcome"


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_docker_manifests_in_an_oci_layout(tmp_path: Path, compression: str) -> None:
    layout = write_oci_layout(tmp_path / "v2s2", {"x": sample(compression)}, docker_manifests=True)
    view, _ = open_and_squash(f"oci-dir:{layout}")
    assert view.read_text("etc/motd") == "welcome"
