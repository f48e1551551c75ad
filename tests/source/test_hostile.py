"""Hostile layers: traversal, escapes, special files, bombs, truncation, corrupt headers."""

from __future__ import annotations

import gzip
import io
import tarfile
import threading
import tracemalloc
import zlib
from pathlib import Path

import pytest
import zstandard
from msgspec.structs import replace

from sievert.errors import DigestMismatchError, LayerError
from sievert.model import LayerInfo
from sievert.source.blob import decompressed
from sievert.source.capture import CaptureSpec
from sievert.source.layerindex import LayerIndex
from sievert.source.oci import verified_layer
from sievert.source.tarwalk import index_blob, index_tar
from sievert.source.view import FileView
from tests.imagebuilder import D, F, H, Image, L, Raw, layer_tar, sha256, write_oci_layout
from tests.source.util import SPEC, blob_file, only_manifest, open_and_squash

LAYER = LayerInfo(0, "sha256:" + "ab" * 32, "", 0, "")


def raw(name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"", link: str = "") -> Raw:
    """A hand-made member."""
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname = kind, len(data), link
    return Raw(info, data)


WALKS = pytest.mark.parametrize("walk", ["stream", "decoder"])
"""Both ways a layer blob is walked: streamed through `verified_layer` (registries, engines)
and decompressed on a worker thread (`index_blob`: layouts and archives)."""


def index(
    blob: bytes, spec: CaptureSpec = SPEC, diff_id: str = "", walk: str = "stream"
) -> LayerIndex:
    """Index one layer blob (any compression) as a source would hand it to the walk."""
    if walk == "decoder":
        return index_blob(io.BytesIO(blob), spec, replace(LAYER, diff_id=diff_id), "")
    with verified_layer(io.BytesIO(blob), LAYER.digest, "", diff_id) as stream:  # type: ignore[arg-type]
        return index_tar(stream, spec, LAYER)


@WALKS
def test_path_traversal_and_absolute_paths(walk: str) -> None:
    result = index(
        layer_tar(
            [
                raw("../../etc/passwd", data=b"root:x"),
                raw("/etc/shadow", data=b"abs"),
                raw("./etc/../etc/group", data=b"g"),
                raw("etc/../../../escape.txt", data=b"e"),
            ]
        ),
        walk=walk,
    )
    paths = {e.path for e in result.entries}
    assert paths == {"etc/shadow", "etc/group"}
    messages = [n.message for n in result.notices]
    assert messages == [
        "member path escapes the root, skipped: '../../etc/passwd'",
        "member path escapes the root, skipped: 'etc/../../../escape.txt'",
    ]
    assert all(n.where == LAYER.digest for n in result.notices)
    assert result.contents["etc/shadow"] == b"abs"


@WALKS
def test_symlink_escapes_stay_in_the_root(walk: str) -> None:
    result = index(
        layer_tar(
            [
                D("etc"),
                F("host.txt", "image-file"),
                L("etc/os-release", "../../../../host.txt"),
                L("etc/abs", "/../../host.txt"),
                L("etc/loop", "loop2"),
                L("etc/loop2", "loop"),
            ]
        ),
        walk=walk,
    )
    view = FileView([LAYER])
    view.apply(0, result)
    assert view.resolve("/etc/os-release") == "host.txt"
    assert view.read("/etc/os-release") == b"image-file"
    assert view.read("etc/abs") == b"image-file"
    assert view.resolve("etc/loop") is None
    assert view.read("etc/loop") is None


@WALKS
def test_device_files_are_recorded_never_read(walk: str) -> None:
    result = index(
        layer_tar(
            [
                raw("etc/dev-char", tarfile.CHRTYPE),
                raw("etc/dev-block", tarfile.BLKTYPE),
                raw("etc/fifo", tarfile.FIFOTYPE),
            ]
        ),
        walk=walk,
    )
    kinds = {e.path: e.kind for e in result.entries}
    assert kinds == {"etc/dev-char": "char", "etc/dev-block": "block", "etc/fifo": "fifo"}
    assert result.contents == {}


@WALKS
def test_hardlinks_to_missing_or_escaping_targets(walk: str) -> None:
    result = index(
        layer_tar(
            [
                F("etc/real", "data"),
                H("etc/good", "etc/real"),
                raw("etc/dangling", tarfile.LNKTYPE, link="etc/nowhere"),
                raw("etc/out", tarfile.LNKTYPE, link="../../etc/shadow"),
            ]
        ),
        walk=walk,
    )
    assert result.contents["etc/good"] == b"data"
    assert "etc/dangling" not in result.contents
    assert [n.message for n in result.notices] == [
        "hardlink to a missing target: 'etc/dangling' -> 'etc/nowhere'",
        "hardlink escapes the root: 'etc/out' -> '../../etc/shadow'",
    ]


@WALKS
def test_decompression_bomb_is_refused(walk: str) -> None:
    tar = layer_tar([F("zeros.bin", b"\0" * (8 * 1024 * 1024))])
    bomb = gzip.compress(tar, compresslevel=9)
    assert len(bomb) < 64 * 1024
    small = CaptureSpec(globs=(), version="t", max_layer_size=1024 * 1024)
    with pytest.raises(
        LayerError,
        match=rf"layer {LAYER.digest}: uncompressed size exceeds the limit of 1048576 bytes",
    ):
        index(bomb, small, walk=walk)


@WALKS
def test_huge_captured_member_becomes_a_notice(walk: str) -> None:
    spec = CaptureSpec(globs=("etc/*",), version="t", max_file_size=100)
    result = index(
        layer_tar([F("etc/big", b"x" * 101), F("etc/small", b"y" * 100)]), spec, walk=walk
    )
    assert result.contents == {"etc/small": b"y" * 100}
    assert [n.message for n in result.notices] == [
        "etc/big: 101 bytes is over the 100-byte limit for files read, skipped"
    ]
    assert {e.path for e in result.entries} == {"etc/big", "etc/small"}


@WALKS
def test_truncated_gzip(walk: str) -> None:
    tar = layer_tar([F(f"etc/f{i}", bytes(range(256)) * 64) for i in range(20)])
    whole = gzip.compress(tar)
    with pytest.raises(
        LayerError, match=rf"layer {LAYER.digest}: corrupt or truncated compressed data"
    ):
        index(whole[: len(whole) // 2], walk=walk)


@WALKS
def test_truncated_zstd(walk: str) -> None:
    """zstd's bounded stream reader ends quietly at a cut frame: the digests catch it."""
    tar = layer_tar([F(f"etc/f{i}", bytes(range(256)) * 64) for i in range(20)])
    whole = zstandard.ZstdCompressor().compress(tar)
    with pytest.raises(
        DigestMismatchError,
        match=rf"layer {LAYER.digest}: uncompressed content \(diff_id\): digest mismatch",
    ):
        index(whole[: len(whole) // 2], diff_id=sha256(tar), walk=walk)


@WALKS
@pytest.mark.parametrize("how", ["gzip", "zstd"])
def test_bomb_is_stopped_before_it_is_in_memory(how: str, walk: str) -> None:
    """The bound must apply while decompressing, not after a whole input chunk has expanded."""
    zeros = b"\0" * (256 * 1024 * 1024)
    if how == "gzip":
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # a gzip container
        bomb = packer.compress(zeros) + packer.flush()
    else:
        bomb = zstandard.ZstdCompressor(level=19).compress(zeros)
    del zeros
    small = CaptureSpec(globs=(), version="t", max_layer_size=1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(LayerError, match="uncompressed size exceeds the limit"):
            if walk == "decoder":
                index(bomb, small, walk=walk)
            else:
                decompressed(io.BytesIO(bomb), "bomb", 1024 * 1024).read(4 * 1024 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024, f"{peak} bytes held while refusing a bomb"


@WALKS
def test_corrupt_deflate_data_is_a_layer_error(walk: str) -> None:
    """ISA-L's own error (not an OSError) on damaged deflate data names the layer."""
    tar = layer_tar([F(f"etc/f{i}", bytes(range(256)) * 64) for i in range(20)])
    damaged = bytearray(gzip.compress(tar))
    damaged[100:400] = bytes(b ^ 0x55 for b in damaged[100:400])
    with pytest.raises(
        LayerError, match=rf"layer {LAYER.digest}: corrupt or truncated compressed data"
    ):
        index(bytes(damaged), walk=walk)


@pytest.mark.parametrize("how", ["gzip", "zstd", "plain", "gzip members"])
def test_decoder_reads_every_compression_like_the_stream(how: str) -> None:
    tar = layer_tar([F(f"etc/f{i}", bytes(range(i, 256)) * (i * 50)) for i in range(40)])
    blob = {
        "gzip": lambda: gzip.compress(tar),
        "zstd": lambda: zstandard.ZstdCompressor().compress(tar),
        "plain": lambda: tar,
        "gzip members": lambda: gzip.compress(tar[:70000]) + gzip.compress(tar[70000:]),
    }[how]()
    streamed = index(blob, diff_id=sha256(tar))
    decoded = index(blob, diff_id=sha256(tar), walk="decoder")
    assert decoded == replace(streamed, diff_id=sha256(tar))
    assert decoded.contents and list(decoded.entries) == list(streamed.entries)


def test_decoder_checks_the_blob_digest_before_the_diff_id() -> None:
    tar = layer_tar([F("etc/a", "1" * 5000)])
    blob = gzip.compress(tar)
    layer = replace(LAYER, digest=sha256(blob), diff_id=sha256(tar))
    assert index_blob(io.BytesIO(blob), SPEC, layer, sha256(blob)).contents == {
        "etc/a": b"1" * 5000
    }
    with pytest.raises(DigestMismatchError, match=rf"layer {sha256(blob)}: blob: digest mismatch"):
        index_blob(io.BytesIO(blob + b"\0"), SPEC, layer, sha256(blob))
    with pytest.raises(DigestMismatchError, match=r"uncompressed content \(diff_id\)"):
        index_blob(io.BytesIO(blob), SPEC, replace(layer, diff_id=sha256(b"")), sha256(blob))


def test_decoder_thread_stops_when_the_walk_fails() -> None:
    before = {t for t in threading.enumerate() if t.name == "sievert-decode"}
    tar = bytearray(layer_tar([F(f"etc/f{i}", b"x" * 100_000) for i in range(200)]))
    tar[512 + 100_352 + 148 : 512 + 100_352 + 156] = b"garbage!"  # the 2nd header's checksum
    with pytest.raises(LayerError, match="corrupt or truncated tar"):
        index(gzip.compress(bytes(tar), compresslevel=1), walk="decoder")
    after = {t for t in threading.enumerate() if t.name == "sievert-decode"}
    assert after == before


def test_truncated_zstd_blob_in_a_layout(tmp_path: Path) -> None:
    root = write_oci_layout(tmp_path / "z", {"z": Image([[F("etc/a", "1" * 5000)]], "zstd")})
    _, manifest = only_manifest(root)
    digest = manifest["layers"][0]["digest"]
    blob = blob_file(root, digest)
    blob.write_bytes(blob.read_bytes()[:-8])
    with pytest.raises(DigestMismatchError, match=rf"layer {digest} blob {digest} is \d+ bytes"):
        open_and_squash(str(root))


@WALKS
def test_corrupt_tar_header(walk: str) -> None:
    tar = bytearray(layer_tar([F("etc/a", "1"), F("etc/b", "2")]))
    second = tar.index(b"etc/b")
    tar[second + 148 : second + 156] = b"garbage!"  # the header checksum field
    with pytest.raises(LayerError, match=rf"layer {LAYER.digest}: corrupt or truncated tar"):
        index(bytes(tar), walk=walk)
    with pytest.raises(LayerError, match=rf"layer {LAYER.digest}: corrupt or truncated tar"):
        index(b"\x07" * 1024, walk=walk)


@WALKS
def test_too_many_entries(walk: str) -> None:
    spec = CaptureSpec(globs=(), version="t", max_entries=3)
    with pytest.raises(LayerError, match="more than 3 tar entries"):
        index(layer_tar([F(f"f{i}") for i in range(5)]), spec, walk=walk)


@WALKS
def test_trailing_bytes_are_hashed_for_the_diff_id(walk: str) -> None:
    """The digest is checked at EOF even though tar stops at its end-of-archive blocks."""
    tar = layer_tar([F("etc/a", "1")]) + b"\0" * 4096
    assert index(tar, diff_id=sha256(tar), walk=walk).entries
    with pytest.raises(Exception, match="diff_id"):
        index(tar, diff_id=sha256(tar[:-512]), walk=walk)


def test_hostile_layer_through_a_real_layout(tmp_path: Path) -> None:
    hostile = Image([[raw("../../etc/passwd", data=b"x"), F("etc/os-release", "ID=x\n")]])
    root = write_oci_layout(tmp_path / "evil", {"e": hostile})
    view, notices = open_and_squash(str(root))
    _, manifest = only_manifest(root)
    assert [(n.message, n.where) for n in notices] == [
        (
            "member path escapes the root, skipped: '../../etc/passwd'",
            manifest["layers"][0]["digest"],
        )
    ]
    assert {r.path for r in view.records()} == {"etc/os-release"}
