"""The layer walk's fast path (plain headers parsed in place, `_Walker.walk`) against the general
path (`TarReader.next_member` + `_Walker.add`) and against `tarfile`, on generated tars of every
header format, through every input (a file region, a stream, a decoded blob) with windows cut
at awkward places, and on damaged copies of them: the same index or the same error."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from sievert.errors import DigestMismatchError, LayerError
from sievert.model import LayerInfo
from sievert.source import decode
from sievert.source.capture import CaptureSpec, Extractor
from sievert.source.layerindex import LayerIndex
from sievert.source.tarstream import FileRegion, StreamInput, TarFormatError, TarReader
from sievert.source.tarwalk import (
    _damaged,
    _Walker,
    index_blob,
    index_tar,
    index_tar_region,
    safe_member_path,
)

LAYER = LayerInfo(0, "sha256:" + "ef" * 32, "", 0, "")


def _head(path: str, data: bytes) -> bytes:
    return data[:8] + len(data).to_bytes(4, "big")


SPEC = CaptureSpec(
    globs=("etc/*", "**/*.txt", "**/package.json"),
    version="t",
    max_file_size=300,
    extractors=(
        Extractor("any-exec", ("**",), _head, executable_only=True),
        Extractor("so", ("**/*.so*",), _head, magic=b"\x7fELF"),
        Extractor("jar", ("**/*.jar",), _head, max_size=200),
    ),
)

PARTS = st.sampled_from(
    ["etc", "usr", "lib", "a", "bin", ".", "..", "", ".wh.gone", ".wh..wh..opq", ".hidden",
     "x.txt", "package.json", "libz.so.1", "app.jar", "os-release", "\u00e9t\u00e9", "d" * 60,
     "sp ace", "tab\tx", "new\nline"]
)  # fmt: skip
NAMES = st.builds(
    lambda lead, parts, trail: lead + "/".join(parts) + trail,
    st.sampled_from(["", "", "", "/", "./"]),
    st.lists(PARTS, min_size=1, max_size=6),
    st.sampled_from(["", "", "/"]),
)
TYPES = st.sampled_from(
    [tarfile.REGTYPE, tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE, tarfile.DIRTYPE,
     tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE, b"V"]
)  # fmt: skip
DATA = st.one_of(
    st.binary(max_size=40),
    st.builds(lambda n, tail: b"\x7fELF" + tail * n, st.integers(0, 300), st.binary(max_size=3)),
    st.just(b"z" * 1500),
)


@st.composite
def members(draw: st.DrawFn) -> tuple[tarfile.TarInfo, bytes]:
    """One member: name, type, data, mode, owner (some past octal: base-256 or PAX) and link."""
    info = tarfile.TarInfo(draw(NAMES))
    info.type = draw(TYPES)
    data = draw(DATA) if info.type in tarfile.REGULAR_TYPES else b""
    info.size = len(data)
    info.mode = draw(st.sampled_from([0o644, 0o755, 0o4755, 0o600, 0o777]))
    info.uid = draw(st.sampled_from([0, 1000, 65534, 8**7, 2**40]))
    info.gid = draw(st.sampled_from([0, 50, 2**33]))
    info.uname = draw(st.sampled_from(["", "root", "\u00fcser"]))
    info.mtime = draw(st.sampled_from([0, 1_700_000_000, 8**11 + 5]))
    if info.type in (tarfile.SYMTYPE, tarfile.LNKTYPE):
        info.linkname = draw(NAMES)
    return info, data


@st.composite
def written_tars(draw: st.DrawFn) -> tuple[bytes, list[tarfile.TarInfo]]:
    """A tar of generated members in one of the three formats (members a format cannot hold
    are left out), sometimes without its end-of-archive blocks; and the members written."""
    form = draw(st.sampled_from([tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT]))
    buf = io.BytesIO()
    written = []
    with tarfile.open(fileobj=buf, mode="w", format=form, encoding="utf-8") as tar:
        for info, data in draw(st.lists(members(), max_size=12)):
            try:
                tar.addfile(info, io.BytesIO(data))
            except ValueError:  # too long, or a number too big for ustar
                continue
            written.append(info)
        end = tar.offset
    return (buf.getvalue()[:end] if draw(st.booleans()) else buf.getvalue()), written


class Tar(bytes):
    """A tar's bytes, shown short in Hypothesis' reports."""

    def __repr__(self) -> str:
        return f"<tar of {len(self)} bytes, sha256 {hashlib.sha256(self).hexdigest()[:16]}>"


def tars() -> st.SearchStrategy[bytes]:
    """The bytes of `written_tars`."""
    return written_tars().map(lambda pair: Tar(pair[0]))


def summary(index: LayerIndex) -> tuple[Any, ...]:
    """Everything an index holds, comparable."""
    return (
        list(index.entries),
        index.contents,
        [(n.message, n.where) for n in index.notices],
        index.bytes_read,
        index.extracts,
    )


def outcome(walk: Any) -> tuple[Any, ...] | str:
    """The index's summary, or the error's message."""
    try:
        return summary(walk())
    except LayerError as exc:
        return f"LayerError: {exc}"


def reference(tar: bytes, spec: CaptureSpec = SPEC) -> tuple[Any, ...] | str:
    """The general path alone: every member from `TarReader`, recorded by `_Walker.add`."""

    def walk() -> LayerIndex:
        walker = _Walker(spec, LAYER.digest)
        try:
            for member in TarReader(io.BytesIO(tar)):
                walker.add(member)
        except TarFormatError as exc:
            raise _damaged(LAYER.digest, exc) from exc
        return walker.result(LAYER.diff_id)

    return outcome(walk)


@contextmanager
def small_windows() -> Iterator[None]:
    """Windows and chunks of a few hundred bytes (odd sizes), so headers and data straddle."""
    with (
        mock.patch.object(FileRegion, "SMALL", 700),
        mock.patch.object(FileRegion, "LARGE", 2100),
        mock.patch.object(StreamInput, "CHUNK", 900),
        mock.patch.object(decode, "CHUNK", 1100),
    ):
        yield


def fused(tar: bytes, spec: CaptureSpec = SPEC) -> list[tuple[Any, ...] | str]:
    """The fast walk through each input, with default and with small windows."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "archive.bin")
        with open(path, "wb") as out:
            out.write(b"\x55" * 1024 + tar + b"\xaa" * 700)
        fd = os.open(path, os.O_RDONLY)
        try:
            for small in (False, True):
                with small_windows() if small else mock.patch.object(FileRegion, "SMALL", 4096):
                    results.append(
                        outcome(lambda: index_tar_region(fd, 1024, len(tar), spec, LAYER))
                    )
                    results.append(outcome(lambda: index_tar(io.BytesIO(tar), spec, LAYER)))
                    blob = gzip.compress(tar, 1)
                    results.append(
                        outcome(lambda b=blob: index_blob(io.BytesIO(b), spec, LAYER, ""))  # type: ignore[misc]
                    )
        finally:
            os.close(fd)
    return results


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tars())
def test_fast_walk_equals_the_general_path(tar: bytes) -> None:
    expected = reference(tar)
    assert all(got == expected for got in fused(tar))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tars(),
    st.lists(
        st.tuples(st.integers(0, 2**20), st.sampled_from([0, 0x20, 0x30, 0x37, 0x80, 0xFF, -1])),
        min_size=1,
        max_size=3,
    ),
    st.sampled_from([0, 1, 700, 1300]),
)
def test_damaged_tars_fail_or_pass_alike(
    tar: bytes, damage: list[tuple[int, int]], cut: int
) -> None:
    assume(len(tar) > 512)
    damaged = bytearray(tar)
    for at, value in damage:
        at %= len(tar)
        damaged[at] = damaged[at] ^ 1 if value < 0 else value  # -1: one bit flipped
    broken = bytes(damaged[: len(tar) - cut] if cut < 2 else damaged[:cut])
    expected = reference(broken)
    assert all(got == expected for got in fused(broken))


@settings(max_examples=200, deadline=None)
@given(written_tars())
def test_entries_are_what_tarfile_wrote(written: tuple[bytes, list[tarfile.TarInfo]]) -> None:
    tar, infos = written
    index = index_tar(io.BytesIO(tar), CaptureSpec(globs=(), version="t"), LAYER)
    got = {
        e.path: (e.size, e.mode, e.uid, e.gid, e.link if e.kind == "symlink" else "")
        for e in index.entries
        if e.kind not in ("whiteout", "opaque")
    }
    expected = {}
    for info in infos:
        path = safe_member_path(info.name)
        if path and not path.rpartition("/")[2].startswith(".wh."):
            link = info.linkname if info.type == tarfile.SYMTYPE else ""
            expected[path] = (info.size, info.mode & 0o7777, info.uid, info.gid, link)
    assert got == expected


def test_a_negative_size_is_refused_not_walked_backwards() -> None:
    info = tarfile.TarInfo("etc/a")
    header = bytearray(info.tobuf(tarfile.USTAR_FORMAT))
    header[124:136] = b"-0000001000\0"  # int(..., 8) reads it: -512, back onto this header
    header[148:156] = b"        "
    header[148:155] = f"{sum(header):06o}\0".encode()
    tar = bytes(header) + bytes(1024)
    assert reference(tar) == fused(tar)[0]
    with pytest.raises(LayerError, match="negative member size -512"):
        index_tar(io.BytesIO(tar), SPEC, LAYER)


def test_a_full_parse_cache_is_emptied_not_grown() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for n in range(5000):
            info = tarfile.TarInfo(f"f{n}")
            info.uid = n
            tar.addfile(info)
    walker = _Walker(CaptureSpec(globs=(), version="t"), "x")
    walker.walk(TarReader(io.BytesIO(buf.getvalue())))
    assert len(walker.entries) == 5000
    assert 0 < len(walker._modes) <= 4096
    assert [e.uid for e in walker.entries] == list(range(5000))


def ustar(files: list[tuple[str, bytes, int]]) -> bytes:
    """A ustar archive of (name, data, mode) files."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data, mode in files:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def walked(walk: str, tar: bytes, spec: CaptureSpec) -> LayerIndex:
    """The index of a tar walked as a docker-archive region, a plain stream or a gzip blob."""
    if walk == "region":
        with tempfile.TemporaryFile() as out:
            out.write(tar)
            out.flush()
            return index_tar_region(out.fileno(), 0, len(tar), spec, LAYER)
    if walk == "stream":
        return index_tar(io.BytesIO(tar), spec, LAYER)
    return index_blob(io.BytesIO(gzip.compress(tar)), spec, LAYER, "")


def _size_of(path: str, data: bytes) -> bytes:
    return str(len(data)).encode()


EXTRACTING = CaptureSpec(
    globs=(),
    version="t",
    extractors=(
        Extractor("plain", ("**",), _size_of, executable_only=True, max_size=100),
        Extractor("elf", ("bin/*",), _size_of, magic=b"\x7fELF", max_size=1000),
    ),
)


@pytest.mark.parametrize("walk", ["region", "stream", "blob"])
def test_extractors_read_whole_files_under_their_limits(walk: str) -> None:
    elf = b"\x7fELF" + b"e" * 46
    files = [
        ("bin/small", elf, 0o755),  # both: the ELF one by magic, the plain one by mode
        ("bin/mid", elf + b"m" * 450, 0o755),  # 500 bytes: under the larger limit, both run
        ("bin/text", b"#!/bin/sh\n" * 5, 0o755),  # no ELF magic: the plain one only
        ("bin/big", elf + b"b" * 1950, 0o755),  # over both limits
        ("usr/tool", b"t" * 150, 0o755),  # only the plain one, over its 100 bytes
        ("usr/ok", b"o" * 60, 0o755),
        ("bin/data", elf, 0o644),  # not executable: the ELF one only
    ]
    with small_windows():
        index = walked(walk, ustar(files), EXTRACTING)
    assert index.extracts == {
        "bin/small": {"plain": b"50", "elf": b"50"},
        "bin/mid": {"plain": b"500", "elf": b"500"},
        "bin/text": {"plain": b"50"},
        "usr/ok": {"plain": b"60"},
        "bin/data": {"elf": b"50"},
    }
    assert [n.message for n in index.notices] == [
        "bin/big: 2000 bytes is over the 1000-byte limit, not analysed",
        "usr/tool: 150 bytes is over the 100-byte limit, not analysed",
    ]


CAPTURED_AND_EXTRACTED = CaptureSpec(
    globs=("etc/*", "bin/tool"),
    version="t",
    max_file_size=100,
    extractors=(
        Extractor("all", ("**",), _size_of),
        Extractor("elf", ("bin/*",), _size_of, magic=b"\x7fELF"),
    ),
)


@pytest.mark.parametrize("walk", ["region", "stream", "blob"])
def test_a_captured_file_reaches_the_extractors_whole(walk: str) -> None:
    """Capture reads a file's bytes first; the extractors (a secret scan, say) still get them
    all, not what is left after the capture's read."""
    elf = b"\x7fELF" + b"e" * 46
    files = [
        ("etc/app.conf", b"token = not-empty\n", 0o644),  # captured and extracted
        ("bin/tool", elf, 0o755),  # captured, both extractors (by magic too)
        ("etc/big.conf", b"b" * 150, 0o644),  # over the capture limit: read by the extractor
        ("usr/other", b"o" * 7, 0o644),  # extracted only
    ]
    index = walked(walk, ustar(files), CAPTURED_AND_EXTRACTED)
    assert index.contents == {"etc/app.conf": files[0][1], "bin/tool": elf}
    assert index.extracts == {
        "etc/app.conf": {"all": b"18"},
        "bin/tool": {"all": b"50", "elf": b"50"},
        "etc/big.conf": {"all": b"150"},
        "usr/other": {"all": b"7"},
    }


def test_blob_hashing_threads_end_with_the_walk() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("etc/a")
        info.size = 40_000
        tar.addfile(info, io.BytesIO(os.urandom(40_000)))
    blob = gzip.compress(buf.getvalue())
    good = "sha256:" + hashlib.sha256(blob).hexdigest()
    assert len(index_blob(io.BytesIO(blob), SPEC, LAYER, good).entries) == 1
    with pytest.raises(DigestMismatchError, match="blob: digest mismatch"):
        index_blob(io.BytesIO(blob), SPEC, LAYER, "sha256:" + "0" * 64)
    with pytest.raises(DigestMismatchError, match="blob: digest mismatch"):  # seen at its end
        index_blob(io.BytesIO(blob[: len(blob) // 2]), SPEC, LAYER, good)
    with pytest.raises(LayerError, match="corrupt or truncated"):
        index_blob(io.BytesIO(blob[: len(blob) // 2]), SPEC, LAYER, "")
    with pytest.raises(LayerError, match="decompression bomb"):
        index_blob(io.BytesIO(blob), replace(SPEC, max_layer_size=10_000), LAYER, good)
    assert not [t for t in threading.enumerate() if t.name.startswith("sievert-d")]
