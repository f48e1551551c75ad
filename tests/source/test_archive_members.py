"""The outer archive (docker save, oci-archive) is indexed by the layer walk's tar reader: the
members, offsets and links Python's tarfile reads, and the same refusals."""

from __future__ import annotations

import io
import re
import tarfile
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sievert.errors import ImageFormatError, TargetNotFoundError
from sievert.source.oci import TarMembers

NAMES = st.text(
    st.characters(min_codepoint=0x30, max_codepoint=0x2FF, exclude_characters="/"),
    min_size=1,
    max_size=140,
)
"""Member names, many past ustar's 100 bytes (GNU long names or PAX records then)."""


@st.composite
def archives(draw: st.DrawFn) -> bytes:
    """A tar of files (some empty, some over a block), a directory and links, in a format
    drawn from ustar, GNU and PAX."""
    buffer = io.BytesIO()
    fmt = draw(st.sampled_from([tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT]))
    names = draw(st.lists(NAMES, min_size=1, max_size=6, unique=True))
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        directory = tarfile.TarInfo("blobs-dir")
        directory.type = tarfile.DIRTYPE
        tar.addfile(directory)
        added = []
        for name in names:
            data = draw(st.binary(max_size=1500))
            info = tarfile.TarInfo(f"blobs-dir/{name}")
            info.size = len(data)
            try:
                tar.addfile(info, io.BytesIO(data))
            except ValueError:  # a name this format cannot hold
                continue
            added.append(info.name)
        link = tarfile.TarInfo("alias")
        link.type, link.linkname = tarfile.SYMTYPE, added[0] if added else "blobs-dir"
        tar.addfile(link)
    return buffer.getvalue()


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=archives())
def test_members_and_offsets_are_what_tarfile_reads(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "image.tar"
    path.write_bytes(data)
    with tarfile.open(path) as tar:
        expected = {m.name.strip("/"): m for m in tar.getmembers()}
    members = TarMembers(path)
    for name, info in expected.items():
        member = members.members[name]
        assert (member.size, member.linkname) == (info.size, info.linkname)
        if info.isreg():
            assert member.offset == info.offset_data
            with members.open(member) as stream:
                assert stream.read(member.size + 1) == data[info.offset_data :][: info.size]
    target = expected["alias"].linkname
    if target != "blobs-dir":  # a file: found through the link
        assert members.find("alias") == members.members[target]
    else:
        assert members.find("alias") is None


def tar_of(*files: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a readable tar archive (empty file)"),
        (b"\x01" * 2048, "not a readable tar archive (invalid numeric header field"),
        (b"b" + tar_of(("a", b"x"))[1:], "not a readable tar archive (header checksum mismatch"),
        (tar_of(("a", b"x" * 3000), ("b", b"y"))[:1200], "not a readable tar archive (unexpected"),
        (b"\x1f\x8b\x08" + bytes(600), "a gzip-compressed archive; decompress it first"),
    ],
)
def test_damaged_archives_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.tar"
    path.write_bytes(content)
    with pytest.raises(ImageFormatError, match=re.escape(f"bad.tar: {message}")):
        TarMembers(path)


def test_missing_archive(tmp_path: Path) -> None:
    with pytest.raises(TargetNotFoundError, match="no such file"):
        TarMembers(tmp_path / "absent.tar")


def test_link_loops_and_links_to_directories_find_nothing(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, target in (("a", "b"), ("b", "a"), ("d", "dir")):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
        directory = tarfile.TarInfo("dir")
        directory.type = tarfile.DIRTYPE
        tar.addfile(directory)
    path = tmp_path / "links.tar"
    path.write_bytes(buffer.getvalue())
    members = TarMembers(path)
    assert members.find("a") is None
    assert members.find("d") is None


@settings(max_examples=200, deadline=None)
@given(
    flips=st.lists(st.tuples(st.integers(0, 4095), st.integers(0, 255)), max_size=8),
    cut=st.integers(0, 4096),
)
def test_a_damaged_archive_is_indexed_or_refused_in_one_line(
    flips: list[tuple[int, int]], cut: int
) -> None:
    """Bytes changed or cut anywhere in an archive with a PAX member: an index, or
    ImageFormatError (never another exception)."""
    data = bytearray(tar_of(("manifest.json", b"[]"), ("p" * 120, b"x" * 700)))
    for at, value in flips:
        if at < len(data):
            data[at] = value
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzzed.tar"
        path.write_bytes(bytes(data[:cut]))
        try:
            members = TarMembers(path)
        except ImageFormatError as exc:
            assert "\n" not in str(exc)
        else:
            for member in members.members.values():
                assert member.offset >= 0 and member.size >= 0
