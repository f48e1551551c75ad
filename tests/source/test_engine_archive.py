"""The engine source's one-pass reading of a `docker save` stream, and its endpoint lookup."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from sievert.errors import DigestMismatchError, RegistryError, UsageError
from sievert.model import LayerInfo
from sievert.source.capture import CaptureSpec
from sievert.source.engine import (
    LAYER_MEDIA_TYPE,
    ArchiveIndexer,
    engine_endpoint,
    engine_metadata,
    looks_like_layer,
)
from tests.imagebuilder import F, Image, W, layer_tar, sha256, write_docker_archive

SPEC = CaptureSpec(globs=("etc/*",), version="t")


def image() -> Image:
    """Three layers; the third hides a file of the first."""
    return Image(
        layers=[
            [F("etc/one", "1"), F("etc/gone", "x")],
            [F("etc/two", "2")],
            [F("etc/three", "3"), W("etc/gone")],
        ]
    )


def layers_of(img: Image) -> tuple[LayerInfo, ...]:
    """LayerInfo as the engine source builds them (digest = diff_id)."""
    return tuple(
        LayerInfo(i, sha256(t), sha256(t), len(t), LAYER_MEDIA_TYPE)
        for i, t in enumerate(img.built().tars)
    )


@pytest.mark.parametrize("oci_style", [False, True], ids=["legacy-names", "digest-names"])
def test_all_layers_found_by_content(tmp_path: Path, oci_style: bool) -> None:
    img = image()
    archive = write_docker_archive(tmp_path / "a.tar", img, oci_style=oci_style)
    layers = layers_of(img)
    indexer = ArchiveIndexer("docker:test", layers, SPEC)
    with archive.open("rb") as stream:
        found = dict(indexer.indexes(stream, {x.diff_id for x in layers}))
    assert set(found) == {x.diff_id for x in layers}
    assert found[layers[0].diff_id].contents == {"etc/one": b"1", "etc/gone": b"x"}
    assert found[layers[2].diff_id].diff_id == layers[2].diff_id
    assert set(indexer.members) == {x.diff_id for x in layers}


def test_only_wanted_layers_are_indexed_and_reading_stops_early(tmp_path: Path) -> None:
    img = image()
    archive = write_docker_archive(tmp_path / "a.tar", img, oci_style=True)
    layers = layers_of(img)
    indexer = ArchiveIndexer("docker:test", layers, SPEC)
    with archive.open("rb") as stream:
        found = list(indexer.indexes(stream, {layers[0].diff_id}))
        position = stream.tell()
    assert [d for d, _ in found] == [layers[0].diff_id]
    assert position < archive.stat().st_size, "the stream was read past the last wanted layer"


def archive_with(members: dict[str, bytes]) -> io.BytesIO:
    """A tar of named members."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


def test_compressed_layer_members_are_identified_by_their_diff_id() -> None:
    tar = layer_tar([F("etc/z", "zz")])
    layer = LayerInfo(0, sha256(tar), sha256(tar), len(tar), LAYER_MEDIA_TYPE)
    blob = gzip.compress(tar)
    stream = archive_with(
        {"blobs/sha256/" + hashlib.sha256(blob).hexdigest(): blob, "manifest.json": b"[]"}
    )
    found = dict(ArchiveIndexer("docker:t", (layer,), SPEC).indexes(stream, {layer.diff_id}))
    assert found[layer.diff_id].contents == {"etc/z": b"zz"}


def test_member_named_for_a_layer_with_other_content_is_a_digest_mismatch() -> None:
    tar = layer_tar([F("etc/z", "zz")])
    layer = LayerInfo(0, sha256(tar), sha256(tar), len(tar), LAYER_MEDIA_TYPE)
    forged = layer_tar([F("etc/z", "forged")])
    stream = archive_with({f"{layer.diff_id[7:]}.tar": forged})
    with pytest.raises(DigestMismatchError, match=r"docker:t: layer sha256:.*digest mismatch"):
        list(ArchiveIndexer("docker:t", (layer,), SPEC).indexes(stream, {layer.diff_id}))


def test_looks_like_layer() -> None:
    assert looks_like_layer(layer_tar([F("a", "b")])[:512])
    assert looks_like_layer(bytes(512))
    assert looks_like_layer(b"\x1f\x8b\x08\x00")
    assert looks_like_layer(b"\x28\xb5\x2f\xfd\x00")
    assert not looks_like_layer(b'{"architecture": "amd64"}' + b" " * 600)
    assert not looks_like_layer(b"1.0")


def test_metadata_maps_history_to_layers() -> None:
    inspect = {
        "Id": "sha256:" + "c" * 64,
        "RepoTags": ["localhost/x:1"],
        "RepoDigests": ["localhost/x@sha256:" + "d" * 64],
        "Os": "linux",
        "Architecture": "arm64",
        "Variant": "v8",
        "Created": "2026-01-01T00:00:00Z",
        "Config": {"User": "1000", "Env": ["A=1"], "Cmd": ["sh"], "Labels": {"k": "v"}},
        "RootFS": {"Layers": ["sha256:" + "1" * 64, "sha256:" + "2" * 64]},
    }
    history = [
        {"CreatedBy": "CMD sh", "Size": 0, "Created": 1767225600},
        {"CreatedBy": "RUN add", "Size": 20, "Created": 1767225600},
        {"CreatedBy": "ENV A=1", "Size": 0},
        {"CreatedBy": "ADD base", "Size": 10, "Created": 1767225600},
    ]
    meta = engine_metadata("x:1", inspect, history)
    assert [x.created_by for x in meta.layers] == ["ADD base", "RUN add"]
    assert [x.size for x in meta.layers] == [10, 20]
    assert meta.layers[0].created == "2026-01-01T00:00:00Z"
    assert meta.history == (
        ("ADD base", False),
        ("ENV A=1", True),
        ("RUN add", False),
        ("CMD sh", True),
    )
    assert meta.platform.variant == "v8" and meta.user == "1000" and meta.labels == (("k", "v"),)
    assert meta.config_digest == "sha256:" + "c" * 64 and meta.source_kind == "docker"


def test_endpoint_from_docker_host(tmp_path: Path) -> None:
    where, _, base = engine_endpoint({"DOCKER_HOST": f"unix://{tmp_path}/d.sock"})
    assert where == f"unix://{tmp_path}/d.sock" and base == "http://engine"
    where, _, base = engine_endpoint({"DOCKER_HOST": "tcp://127.0.0.1:2375"})
    assert base == "http://127.0.0.1:2375"
    with pytest.raises(UsageError, match="ssh://"):
        engine_endpoint({"DOCKER_HOST": "ssh://host"})


def test_no_engine_socket_is_a_clear_error(tmp_path: Path) -> None:
    if Path("/var/run/docker.sock").exists() or Path("/run/podman/podman.sock").exists():
        pytest.skip("this machine has a system engine socket")
    with pytest.raises(RegistryError, match=r"no container engine socket found.*DOCKER_HOST"):
        engine_endpoint({"XDG_RUNTIME_DIR": str(tmp_path)})
