"""A root file system directory as one synthetic layer."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

from sievert.source.base import SourceOptions
from sievert.source.capture import CaptureSpec, Extractor
from sievert.source.rootfs import DirSource
from tests.imagebuilder import D, F, L, rootfs
from tests.source.util import SPEC, squash


def tree(tmp: Path) -> Path:
    """A small root with an escaping symlink, a FIFO and files inside and outside globs."""
    (tmp / "host-secret.txt").write_text("outside")
    root = rootfs(
        tmp / "root",
        [
            D("etc"),
            F("etc/os-release", "ID=alpine\n"),
            F("etc/big", "x" * 200),
            L("etc/escape", "../../host-secret.txt"),
            L("etc/abs", "/etc/os-release"),
            F("usr/bin/tool", "\x7fELFbinary"),
        ],
    )
    os.mkfifo(root / "etc" / "pipe")
    (root / "usr" / "bin" / "tool").chmod(0o755)
    return root


def test_walk_records_without_following(tmp_path: Path) -> None:
    root = tree(tmp_path)
    image = DirSource().open(str(root), SourceOptions())
    assert image.metadata.source_kind == "dir"
    spec = CaptureSpec(globs=("etc/*",), version="t", max_file_size=100)
    view, notices = squash(image, spec)
    kinds = {r.path: (r.kind, r.link) for r in view.records()}
    assert kinds == {
        "etc": ("dir", ""),
        "etc/os-release": ("file", ""),
        "etc/big": ("file", ""),
        "etc/escape": ("symlink", "../../host-secret.txt"),
        "etc/abs": ("symlink", "/etc/os-release"),
        "etc/pipe": ("fifo", ""),
        "usr": ("dir", ""),
        "usr/bin": ("dir", ""),
        "usr/bin/tool": ("file", ""),
    }
    assert view.read_text("etc/os-release") == "ID=alpine\n"
    assert view.read("etc/abs") == b"ID=alpine\n"
    assert view.read("etc/escape") is None  # resolves to /host-secret.txt inside the root
    assert view.read("etc/pipe") is None
    assert [n.message for n in notices] == [
        "etc/big: 200 bytes is over the 100-byte limit for files read, skipped"
    ]
    assert view.location("etc/os-release").layer_index == 0


def test_extractors_run_on_directories(tmp_path: Path) -> None:
    root = tree(tmp_path)
    seen: list[str] = []

    def reduce(path: str, data: bytes) -> bytes | None:
        seen.append(path)
        return data[:4]

    extractor = Extractor("elf", ("usr/bin/*",), reduce, executable_only=True, magic=b"\x7fELF")
    spec = CaptureSpec(globs=(), version="t", extractors=(extractor,))
    view, _ = squash(DirSource().open(str(root), SourceOptions()), spec)
    assert seen == ["usr/bin/tool"]
    assert view.extracted("elf") == [("usr/bin/tool", b"\x7fELF")]


def test_layer_indexes_ignore_the_cache(tmp_path: Path) -> None:
    root = tree(tmp_path)

    class Cache:
        def get(self, diff_id: str, spec: CaptureSpec) -> None:
            raise AssertionError("a directory must not be looked up in the cache")

        def put(
            self, diff_id: str, spec: CaptureSpec, index: object, *, last_use: bool = False
        ) -> None:
            raise AssertionError("a directory must not be cached")

    image = DirSource().open(str(root), SourceOptions())
    assert len(list(image.layer_indexes(SPEC, Cache()))) == 1  # type: ignore[arg-type]


def test_open_layer_streams_a_tar(tmp_path: Path) -> None:
    root = tree(tmp_path)
    image = DirSource().open(str(root), SourceOptions())
    with (
        image.open_layer(image.metadata.layers[0]) as stream,
        tarfile.open(fileobj=stream, mode="r|") as tar,
    ):
        names = {m.name: m.type for m in tar}
    assert names["etc/escape"] == tarfile.SYMTYPE
    assert names["etc/pipe"] == tarfile.FIFOTYPE
    assert names["etc/os-release"] == tarfile.REGTYPE


def test_unreadable_subdirectory_is_a_notice(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every directory")
    root = tree(tmp_path)
    (root / "etc").chmod(0)
    try:
        _, notices = squash(DirSource().open(str(root), SourceOptions()))
    finally:
        (root / "etc").chmod(0o755)
    assert any("etc: directory cannot be listed" in n.message for n in notices)
