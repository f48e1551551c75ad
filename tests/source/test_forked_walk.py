"""A docker-save archive's uncompressed layers walked by two processes: the same indexes, notices
and errors as one process, in layer order, and the child always reaped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sievert.errors import LayerError
from sievert.model import LayerInfo
from sievert.source.base import SourceOptions
from sievert.source.capture import CaptureSpec
from sievert.source.dockerarchive import DockerArchiveSource
from sievert.source.parallel import child_share
from tests.imagebuilder import D, F, Image, L, O, W, write_docker_archive
from tests.source.util import SPEC, squash

IMAGE = Image(
    [
        [F("etc/os-release", "ID=debian\n"), F("usr/a.txt", "1"), D("var/cache"), F("x/1", "1")],
        [W("usr/a.txt"), F("etc/motd", "hi"), O("var/cache"), F("big.bin", b"z" * 300_000)],
        [F("usr/b.txt", b"b" * 70_000), L("etc/alias", "motd")],
        [F("var/cache/new", "n"), F("etc/../../escape", "e"), F("usr/c.txt", "c")],
    ]
)


def _children() -> list[int]:
    found = []
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/children") as handle:
            found += [int(pid) for pid in handle.read().split()]
    return found


def _walk(archive: Path, processes: int, spec: CaptureSpec = SPEC) -> tuple[object, ...]:
    opened = DockerArchiveSource().open(str(archive), SourceOptions())
    opened.prepare(processes)
    try:
        view, notices = squash(opened, spec)
    finally:
        opened.close()
    records = sorted((r.path, r.kind, r.layer_index, r.size, r.link) for r in view.records())
    return records, [(n.message, n.where) for n in notices], view.read_text("etc/alias")


def test_two_processes_give_what_one_gives(tmp_path: Path) -> None:
    archive = write_docker_archive(tmp_path / "img.tar", IMAGE)
    before = _children()
    assert _walk(archive, 2) == _walk(archive, 1)
    assert _children() == before


def test_an_error_in_the_child_is_raised_in_layer_order(tmp_path: Path) -> None:
    spec = CaptureSpec(globs=("etc/*",), version="t", max_entries=3)
    archive = write_docker_archive(tmp_path / "img.tar", IMAGE)
    before = _children()
    errors = []
    for processes in (1, 2):
        with pytest.raises(LayerError, match="more than 3 tar entries") as caught:
            _walk(archive, processes, spec)
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    assert _children() == before


def test_a_consumer_that_stops_early_leaves_no_child(tmp_path: Path) -> None:
    archive = write_docker_archive(tmp_path / "img.tar", IMAGE)
    before = _children()
    opened = DockerArchiveSource().open(str(archive), SourceOptions())
    opened.prepare(2)
    walk = opened.layer_indexes(SPEC, None)
    next(walk)
    walk.close()
    opened.close()
    assert _children() == before


def test_child_share_balances_bytes_and_leaves_the_first_layer_here() -> None:
    layers = [LayerInfo(i, f"sha256:{i}", "", 0, "") for i in range(4)]
    sizes = {0: 100, 1: 60, 2: 30, 3: 20}
    assert child_share(layers, sizes) == {1, 2, 3}  # 100 here, 110 there
    assert child_share(layers, {0: 10, 1: 60, 2: 30, 3: 20}) == {1}  # the first layer stays
    assert child_share(layers[:1], sizes) == set()
