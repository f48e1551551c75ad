"""Unpackaged programs found by version strings: synthetic files and this machine's binaries."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sievert.catalog.binary.versions import (
    CURL_RX,
    BinaryVersionCataloger,
    _curl,
    reduce_versions,
    reduce_versions_at,
)
from tests.catalog.binary.builders import (
    Counting,
    go_elf,
    go_inline_block,
    scan_dir,
    tiny_elf,
    write_tree,
)

SYNTHETIC = [
    ("usr/local/bin/python3.12", b"\x003.12.1\x00strict\x00Python %s\n\x00", "python", "3.12.1"),
    ("usr/lib/libpython3.9.so.1.0", b"\x003.8.0\x00\x003.9.18\x00Python %s\n", "python", "3.9.18"),
    ("opt/node/bin/node", b"\x00node.js/v18.19.0\x00", "node", "18.19.0"),
    (
        "usr/local/bin/redis-server",
        b"redis_version:%s\r\n\x007.2.4buildkitsandbox-1700000000000000000\x00",
        "redis",
        "7.2.4",
    ),
    ("usr/sbin/nginx", b"\x00nginx/1.25.3\x00Server: ", "nginx", "1.25.3"),
    ("usr/local/lib/libcrypto.so.1.1", b"\x00OpenSSL 1.1.1w  11 Sep 2023\x00", "openssl", "1.1.1w"),
    ("bin/busybox", b"\x00BusyBox v1.36.1 (2023-11-07 18:53:09 UTC)\x00", "busybox", "1.36.1"),
    ("usr/local/lib/libcurl.so.4", b"\x00libcurl/8.5.0\x00zlib/%s", "curl", "8.5.0"),
    (
        "opt/java/openjdk/bin/java",
        b"\x00openjdk\x00java\x0017\x0017.0.9+9-Debian-1deb12u1\x00",
        "openjdk",
        "17.0.9+9",
    ),
    (
        "usr/lib/jvm/jre/bin/java",
        b"\x00openjdk\x00java\x001.8\x001.8.0_392-b08\x00",
        "openjdk",
        "1.8.0_392-b08",
    ),
]
PURLS = {
    "python": "pkg:generic/python@3.12.1",
    "openjdk": "pkg:generic/oracle/openjdk@17.0.9%2B9",
}


@pytest.mark.parametrize(("path", "payload", "name", "version"), SYNTHETIC)
def test_synthetic_programs(
    tmp_path: Path, path: str, payload: bytes, name: str, version: str
) -> None:
    tree = write_tree(tmp_path, {path: (tiny_elf(payload), 0o755)})
    result, _ = scan_dir(tree, [BinaryVersionCataloger()])
    (package,) = result.packages
    assert (package.name, package.version, package.type) == (name, version, "binary")
    assert package.cataloger == "binary-version"
    assert package.meta("confidence") == "low"
    assert package.locations[0].path == "/" + path
    if package.version == "3.12.1" or (package.name == "openjdk" and version == "17.0.9+9"):
        assert package.purl == PURLS[name]


@pytest.mark.parametrize(("path", "payload", "name", "version"), SYNTHETIC)
def test_a_file_left_in_place_is_read_once_whole(
    path: str, payload: bytes, name: str, version: str
) -> None:
    """In an uncompressed layer the classifiers get the file in one read, and the answer of a
    whole-file read."""
    data = tiny_elf(payload + b"\x90" * 50_000)
    placed = Counting(data)
    assert reduce_versions_at(path, placed) == reduce_versions(path, data)
    assert placed.reads == [len(data)]
    assert f'"class":"{name}","version":"{version}"'.encode() in reduce_versions(path, data)


def test_go_tool_version_from_its_build_info() -> None:
    exe = go_elf(go_inline_block("go1.21.6", "path\tcmd/go\nbuild\tGOOS=linux\n"))
    assert reduce_versions("usr/local/go/bin/go", exe) == (
        b'{"matches":[{"class":"go","version":"1.21.6"}]}'
    )
    other = go_elf(go_inline_block("go1.21.6", "path\texample.com/go\n"))
    assert reduce_versions("usr/local/bin/go", other) is None


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("usr/local/bin/redis-server", b"\x007.2.4-1700000000000000000\x00"),  # no redis marker
        ("usr/bin/python3", b"\x003.11.2\x00"),  # no 'Python %s'
        ("usr/bin/curl", b"curl-7.1.2"),
        ("usr/bin/unrelated", b"\x00nginx/1.2.3\x00"),  # name not targeted
    ],
)
def test_no_false_positives(path: str, payload: bytes) -> None:
    assert reduce_versions(path, tiny_elf(payload)) is None


def test_only_elf_files_are_read(tmp_path: Path) -> None:
    tree = write_tree(tmp_path, {"usr/sbin/nginx": (b"#!/bin/sh\n\x00nginx/1.25.3\x00", 0o755)})
    result, _ = scan_dir(tree, [BinaryVersionCataloger()])
    assert result.packages == ()


REAL = [
    ("/usr/bin/python3", "usr/local/bin/python3.11", "python"),
    ("/usr/bin/openssl", "usr/local/bin/openssl", "openssl"),
    ("/usr/bin/curl", "usr/local/bin/curl", "curl"),
    ("/usr/bin/busybox", "bin/busybox", "busybox"),
    ("/usr/bin/redis-server", "usr/local/bin/redis-server", "redis"),
    ("/usr/bin/node", "usr/local/bin/node", "node"),
    ("/usr/sbin/nginx", "usr/sbin/nginx", "nginx"),
    ("/usr/lib/go/bin/go", "usr/local/go/bin/go", "go"),
]


@pytest.mark.parametrize(("host", "path", "name"), REAL)
def test_real_binaries_on_this_machine(host: str, path: str, name: str) -> None:
    real = os.path.realpath(host)
    if not os.path.isfile(real):
        pytest.skip(f"{host} is not installed here")
    with open(real, "rb") as handle:
        data = handle.read()
    if name == "python":
        path = f"usr/local/bin/{os.path.basename(real)}"
    summary = reduce_versions(path, data)
    assert summary is not None and f'"class":"{name}"'.encode() in summary


_CURL_PIECES = [
    b"\x00",
    b"CLIENT ",
    b"lib",
    b"curl",
    b"curl/",
    b"curl ",
    b"7.88.1",
    b"8.22",
    b".0",
    b"-DEV",
    b"\r",
    b" ",
    b"(",
    b"x",
    b"9",
    b".",
]


@given(st.lists(st.sampled_from(_CURL_PIECES), max_size=30))
def test_curl_finder_agrees_with_the_whole_pattern(pieces: list[bytes]) -> None:
    data = b"".join(pieces)
    match = CURL_RX.search(data)
    assert _curl("usr/bin/curl", data) == (match.group("v").decode() if match else "")


def test_curl_version_at_the_very_start_needs_its_head() -> None:
    assert _curl("usr/bin/curl", b"curl/7.88.1\x00 ... \x00") == ""
    assert _curl("usr/bin/curl", b"\x00curl/7.88.1\x00") == "7.88.1"
