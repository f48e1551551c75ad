"""Uncompressed docker-archive layers walked in place: same index as the streamed walk, the same
refusals (damage, bombs, digests), and the digest threads stopped whatever happens."""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sievert.catalog.binary import BinaryVersionCataloger, GoBinaryCataloger, RustAuditCataloger
from sievert.errors import DigestMismatchError, LayerError
from sievert.model import LayerInfo
from sievert.source.base import SourceOptions
from sievert.source.blob import RegionDigests
from sievert.source.capture import BytesData, CaptureSpec
from sievert.source.dockerarchive import DockerArchiveSource
from sievert.source.layerindex import LayerIndex
from sievert.source.tarstream import RegionData, _byte_sum, _number, _octal
from sievert.source.tarwalk import PathFilter, index_tar, index_tar_region
from sievert.source.view import GlobMatcher, PathSet, _compile_globs, compile_globs
from tests.catalog.binary.builders import go_elf, go_inline_block, tiny_elf
from tests.imagebuilder import D, F, H, Image, L, O, Raw, W, layer_tar, sha256, write_docker_archive
from tests.source.util import SPEC, squash

LAYER = LayerInfo(0, "sha256:" + "cd" * 32, "", 0, "")


def raw(name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"", link: str = "") -> Raw:
    """A hand-made member."""
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname = kind, len(data), link
    return Raw(info, data)


def gnu_tar(members: list[tuple[str, bytes]]) -> bytes:
    """A GNU-format tar (long names as 'L' members)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def in_place(
    tmp_path: Path, tar: bytes, spec: CaptureSpec = SPEC, pad: int = 0, size: int | None = None
) -> LayerIndex:
    """Index `tar` lying at offset `pad` of a file, as a docker-archive member lies."""
    path = tmp_path / "archive.bin"
    path.write_bytes(b"\x55" * pad + tar + b"\xaa" * 1000)
    fd = os.open(path, os.O_RDONLY)
    try:
        return index_tar_region(fd, pad, len(tar) if size is None else size, spec, LAYER)
    finally:
        os.close(fd)


def streamed(tar: bytes, spec: CaptureSpec = SPEC) -> LayerIndex:
    """The same tar through the streaming walk."""
    return index_tar(io.BytesIO(tar), spec, LAYER)


VARIED = [
    D("etc"),
    F("etc/os-release", "ID=debian\n"),
    F("etc/big.txt", b"x" * 300_000),
    F("usr/bin/tool", b"\x7fELF" + b"\0" * 2000, mode=0o755),
    L("etc/alias", "os-release"),
    H("etc/hard.txt", "etc/big.txt"),
    F("a/" + "long-directory-name/" * 12 + "deep.txt", "deep"),
    F("b/\u00e9t\u00e9.txt", "unicode"),
    W("usr/old"),
    O("var/cache"),
    raw("../../escape", data=b"no"),
    raw("etc/dangling", tarfile.LNKTYPE, link="etc/nowhere"),
]


@pytest.mark.parametrize("pad", [0, 512, 4096 + 512])
def test_in_place_walk_equals_the_streamed_walk(tmp_path: Path, pad: int) -> None:
    spec = CaptureSpec(globs=("etc/*", "**/*.txt"), version="t", max_file_size=200_000)
    for tar in (
        layer_tar(VARIED),
        gnu_tar([("g/" + "n" * 150 + ".txt", b"gnu long name"), ("etc/x", b"1")]),
    ):
        assert in_place(tmp_path, tar, spec, pad) == streamed(tar, spec)


def test_extractors_reading_at_random_give_the_streamed_walk_s_summaries(tmp_path: Path) -> None:
    """Go and Rust extractors read executables in place (header, tables, one section) and the
    version classifiers read a file whole in one read; the streamed walk hands them all the
    whole file: the same summaries, notices and index; a file also captured is read once as
    before."""
    go = go_elf(go_inline_block("go1.22.1", "path\tx\nmod\tx\t(devel)\t\n"))
    rust = tiny_elf(b"", {".dep-v0": zlib.compress(b'{"packages":[{"name":"a","version":"1"}]}')})
    damaged = go_elf(go_inline_block("go1.22.1", "x"))[:-100]
    catalogers = (GoBinaryCataloger(), RustAuditCataloger(), BinaryVersionCataloger())
    spec = CaptureSpec(
        globs=("usr/bin/captured",),
        version="t",
        extractors=tuple(x for c in catalogers for x in c.extractors),
    )
    tar = layer_tar(
        [
            F("usr/bin/app", go, mode=0o755),
            F("usr/bin/rust", rust, mode=0o755),
            F("usr/bin/captured", go, mode=0o755),
            F("usr/lib/libssl.so.3", go + b"OpenSSL 3.0.11 19 Sep 2023", mode=0o755),
            F("usr/bin/damaged", damaged, mode=0o755),
            F("usr/bin/plain", tiny_elf(b"\x90" * 100_000), mode=0o755),
            F("usr/bin/script", b"#!/bin/sh\n", mode=0o755),
            F("usr/bin/tiny", b"\x7fEL", mode=0o755),
        ]
    )
    index = in_place(tmp_path, tar, spec, 512)
    assert index == streamed(tar, spec)
    assert set(index.extracts) == {
        "usr/bin/app",
        "usr/bin/rust",
        "usr/bin/captured",
        "usr/lib/libssl.so.3",
        "usr/bin/damaged",
    }


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000), st.integers(0, 3500), st.integers(-10, 4000), st.integers(0, 64))
def test_region_data_reads_as_slices_of_the_member(
    member: bytes, offset: int, size: int, pad: int
) -> None:
    """A member's bytes read in place are the slices of those bytes, never past them."""
    with tempfile.TemporaryFile() as handle:
        handle.write(b"\x55" * pad + member + b"\xaa" * 100)
        handle.flush()
        placed = RegionData(handle.fileno(), pad, len(member))
        assert placed.read_at(offset, size) == BytesData(member).read_at(offset, size)
        assert placed.read_all() == member and placed.head() == member[:64]


def test_in_place_corrupt_header_and_cut_layer(tmp_path: Path) -> None:
    tar = bytearray(layer_tar([F("etc/a", "1"), F("etc/b", "2")]))
    second = tar.index(b"etc/b")
    tar[second + 148 : second + 156] = b"garbage!"
    with pytest.raises(LayerError, match=rf"layer {LAYER.digest}: corrupt or truncated tar"):
        in_place(tmp_path, bytes(tar))
    whole = layer_tar([F("etc/a", b"1" * 5000), F("etc/b", b"2" * 5000)])
    with pytest.raises(LayerError, match=r"corrupt or truncated tar.*truncated"):
        in_place(tmp_path, whole[:3000])  # the member's data runs past the region
    (tmp_path / "short.bin").write_bytes(whole[:3000])
    fd = os.open(tmp_path / "short.bin", os.O_RDONLY)
    try:  # the archive file itself ends inside the layer (a cut download)
        with pytest.raises(LayerError, match="corrupt or truncated tar"):
            index_tar_region(fd, 0, len(whole), SPEC, LAYER)
    finally:
        os.close(fd)


def test_a_layer_cut_inside_an_executable_read_in_place(tmp_path: Path) -> None:
    """An executable whose data runs past the layer (or the archive file): the extractors read
    what is there, and the walk still refuses the layer, as the streamed walk does."""
    spec = CaptureSpec(
        globs=(),
        version="t",
        extractors=(*GoBinaryCataloger().extractors, *RustAuditCataloger().extractors),
    )
    exe = go_elf(go_inline_block("go1.22.1", "path\tx\n")) + b"\x90" * 20_000
    whole = layer_tar([F("etc/a", "1"), F("usr/bin/app", exe, mode=0o755)])
    cut = whole[: whole.index(b"\x7fELF") + 3000]
    with pytest.raises(LayerError, match="corrupt or truncated tar"):
        in_place(tmp_path, cut, spec)
    with pytest.raises(LayerError, match="corrupt or truncated tar"):
        streamed(cut, spec)
    (tmp_path / "short.bin").write_bytes(cut)
    fd = os.open(tmp_path / "short.bin", os.O_RDONLY)
    try:
        with pytest.raises(LayerError, match="corrupt or truncated tar"):
            index_tar_region(fd, 0, len(whole), spec, LAYER)
    finally:
        os.close(fd)


def test_in_place_bounds(tmp_path: Path) -> None:
    tar = layer_tar([F(f"f{i}", b"z" * 4096) for i in range(5)])
    small = CaptureSpec(globs=(), version="t", max_layer_size=8192)
    with pytest.raises(LayerError, match="uncompressed size exceeds the limit of 8192 bytes"):
        in_place(tmp_path, tar, small)
    few = CaptureSpec(globs=(), version="t", max_entries=3)
    with pytest.raises(LayerError, match="more than 3 tar entries"):
        in_place(tmp_path, tar, few)
    capped = CaptureSpec(globs=("f*",), version="t", max_file_size=100)
    notices = [n.message for n in in_place(tmp_path, tar, capped).notices]
    assert notices == [
        f"f{i}: 4096 bytes is over the 100-byte limit for files read, skipped" for i in range(5)
    ]


def _digests(path: Path, start: int, size: int, expected: list[tuple[str, str]]) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        hasher = RegionDigests(fd, start, size, expected)
        worker = threading.Thread(target=hasher.run)
        worker.start()
        hasher.verify()
        worker.join()
    finally:
        os.close(fd)


def test_region_digests_cover_every_byte(tmp_path: Path) -> None:
    tar = layer_tar([F("etc/a", "1")]) + b"\0" * 4096  # trailing bytes after the end blocks
    path = tmp_path / "a.bin"
    path.write_bytes(b"head" + tar + b"tail")
    _digests(path, 4, len(tar), [(sha256(tar), "whole")])
    with pytest.raises(DigestMismatchError, match=r"part: digest mismatch: expected sha256:"):
        _digests(path, 4, len(tar), [(sha256(tar[:-512]), "part")])
    with pytest.raises(DigestMismatchError, match="cut: digest mismatch"):
        _digests(path, 4, len(tar) + 100, [(sha256(tar), "cut")])  # runs past the file's end
    with pytest.raises(DigestMismatchError, match="unsupported digest 'md5:00'"):
        _digests(path, 0, 10, [("md5:00", "odd")])


def _digest_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sievert-digest")]


def test_docker_archive_layers_in_place_match_compressed_ones(tmp_path: Path) -> None:
    image = Image(
        [
            [F("etc/os-release", "ID=alpine\n"), F("usr/a.txt", "1"), D("var/cache")],
            [W("usr/a.txt"), F("etc/motd", "hi"), O("var/cache")],
            [F("usr/b.txt", b"b" * 70_000), L("etc/alias", "motd")],
        ]
    )
    plain = write_docker_archive(tmp_path / "plain.tar", image)
    packed = write_docker_archive(tmp_path / "packed.tar", image, compressed=True)
    views = []
    for archive in (plain, packed):
        opened = DockerArchiveSource().open(str(archive), SourceOptions())
        view, notices = squash(opened)
        views.append(({r.path: (r.kind, r.layer_index) for r in view.records()}, notices))
        assert view.read_text("etc/alias") == "hi"
    assert views[0] == views[1]
    assert not _digest_threads()


def test_a_bad_later_layer_stops_the_walk_and_its_threads(tmp_path: Path) -> None:
    image = Image([[F("etc/a", "1")], [F("etc/b", "2")], [F("etc/c", "3")]])
    archive = write_docker_archive(tmp_path / "img.tar", image)
    with tarfile.open(archive) as tar:
        names = [m.name for m in tar.getmembers()]
    evil_name = next(n for n in names if n.endswith("layer.tar") and n != names[0])
    evil = tmp_path / "evil.tar"
    with tarfile.open(archive) as src, tarfile.open(evil, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member)
            body = data.read() if data else b""
            if member.name == evil_name:
                body = body.replace(b"\x00" * 10, b"\x00" * 9 + b"\x01", 1)
            dst.addfile(member, io.BytesIO(body))
    opened = DockerArchiveSource().open(str(evil), SourceOptions())
    walk: Iterator[tuple[LayerInfo, LayerIndex]] = opened.layer_indexes(SPEC, None)
    with pytest.raises((DigestMismatchError, LayerError)):
        for _ in walk:
            pass
    assert not _digest_threads()
    opened = DockerArchiveSource().open(str(archive), SourceOptions())
    walk = opened.layer_indexes(SPEC, None)
    next(walk)
    walk.close()  # a consumer that stops early: the hashing ahead is cancelled
    assert not _digest_threads()


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=512, max_size=512))
def test_byte_sum_is_the_sum(block: bytes) -> None:
    assert _byte_sum(block) == sum(block)


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.binary(min_size=8, max_size=12),
        st.builds(
            lambda n, width, tail: (f"{n:o}".rjust(width, "0").encode() + tail)[:12],
            st.integers(0, 8**11 - 1),
            st.integers(1, 11),
            st.sampled_from([b"\0", b" ", b" \0", b"\0 ", b"", b"\0\0\0"]),
        ),
    )
)
def test_fast_octal_agrees_with_the_full_parser(field: bytes) -> None:
    try:
        expected: int | str = _number(field)
    except Exception as exc:  # the same refusal either way
        expected = type(exc).__name__
    try:
        got: int | str = _octal(field)
    except Exception as exc:
        got = type(exc).__name__
    assert got == expected


SEGMENTS = st.sampled_from(
    ["a", "etc", "node_modules", "package.json", "os-release", "x.json", "specifications",
     "w.gemspec", "", "**", "*", "a?c", "abc", "*.json", "lib*.so*", "libssl.so.3", "lib*",
     "*c", "a*c", "*?*", "?", "c", "bin/busybox", "x\ny", "\n"]
)  # fmt: skip
GLOB_SEGMENTS = SEGMENTS | st.sampled_from(
    ["**/package.json", "**/bin/curl", "**/a", "**/", "**/*.json", "**/*c", "**/*\n"]
)


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(st.lists(GLOB_SEGMENTS, min_size=1, max_size=4).map("/".join), max_size=5),
    st.lists(st.lists(SEGMENTS, min_size=1, max_size=5).map("/".join), min_size=1, max_size=4),
)
def test_glob_matcher_agrees_with_the_combined_regex(patterns: list[str], paths: list[str]) -> None:
    """One matcher (compiling its groups as paths reach them) answers every path as the one
    regex of all the globs does, `**/literal` globs included and newlines in paths too."""
    matcher, regex = GlobMatcher(patterns), compile_globs(patterns)
    for path in paths:
        assert matcher.match(path) == bool(regex.match(path)), path
        assert matcher.match(path, path.rpartition("/")[2]) == bool(regex.match(path)), path


@settings(max_examples=800, deadline=None)
@given(
    st.lists(st.lists(GLOB_SEGMENTS, min_size=1, max_size=4).map("/".join), max_size=5),
    st.lists(st.lists(SEGMENTS, min_size=1, max_size=5).map("/".join), max_size=6),
)
@example(["specifications/*.gemspec"], ["a/w.gemspec", "specifications/w.gemspec"])
@example(["specifications/*.gemspec"], ["specifications/w.gemspec", "a/w.gemspec"])
@example(["a/**/package.json"], ["b/package.json", "a/c/package.json"])
def test_glob_matcher_matches_any_path_of_a_set_as_one_by_one(
    patterns: list[str], paths: list[str]
) -> None:
    """`match_any` (each group tested on the paths it can match) answers as testing every path."""
    expected = any(GlobMatcher(patterns).match(path) for path in paths)
    assert GlobMatcher(patterns).match_any(PathSet(paths)) == expected


def test_glob_matcher_compiles_only_the_groups_a_path_reaches() -> None:
    """Building a matcher compiles nothing, `**/literal` and `**/*literal` globs never need a
    regex, and a group's regex is compiled when a path first reaches it (once)."""
    patterns = [
        "**/package.json",
        "**/bin/busybox",
        "**/*.jar",
        "**/lib*.so*",
        "usr/share/doc/*/copyright",
    ]

    def compiles() -> int:
        calls = _compile_globs.cache_info()
        return calls.hits + calls.misses

    before = compiles()
    matcher = GlobMatcher(patterns)
    assert matcher.match("usr/lib/node_modules/x/package.json")
    assert matcher.match("bin/busybox") and not matcher.match("bin\nx/bin/busybox")
    assert not matcher.match("etc/passwd")
    assert matcher.match("opt/app/lib/x.jar") and not matcher.match("opt\napp/lib/x.jar")
    assert compiles() == before
    assert matcher.match("usr/lib/libz.so.1")  # the basename globs, then their whole globs
    assert matcher.match("usr/lib/libssl.so.3")
    assert compiles() == before + 2
    assert matcher.match("usr/share/doc/zlib/copyright")
    assert compiles() == before + 3


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=30), max_size=200), st.none() | st.integers(0, 10**7))
def test_path_filter_never_forgets_a_path(paths: list[str], max_members: int | None) -> None:
    """Sized for a layer's size or not, a filter holds every path added (no false 'missing
    hardlink target'), within 8 KiB to 2 MiB."""
    seen = PathFilter(max_members)
    for path in paths:
        seen.add(path)
    assert all(seen.may_hold(path) for path in paths)
    assert 8 * 1024 <= len(seen.bits) <= 2 * 1024 * 1024
    if max_members is not None and max_members <= 1000:
        assert len(seen.bits) <= 8 * 1024
