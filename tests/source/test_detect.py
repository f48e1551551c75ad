"""Target detection: prefixes force the kind, otherwise what is on disk decides."""

from __future__ import annotations

from pathlib import Path

import pytest

from sievert.errors import TargetNotFoundError
from sievert.source.base import SourceOptions
from sievert.source.detect import open_target, split_prefix
from sievert.source.plugins import SOURCES
from tests.imagebuilder import (
    F,
    Image,
    rootfs,
    write_docker_archive,
    write_oci_archive,
    write_oci_layout,
)

OPTS = SourceOptions()


def tiny() -> Image:
    """One small layer."""
    return Image([[F("etc/id", "x")]])


def test_sources_cover_every_kind() -> None:
    kinds = [s.kind for s in SOURCES]
    assert kinds == ["oci-dir", "dir", "docker-archive", "oci-archive", "registry", "docker"]
    assert len(set(kinds)) == len(kinds)


def test_auto_detection(tmp_path: Path) -> None:
    layout = write_oci_layout(tmp_path / "layout", {"t": tiny()})
    oci_tar = write_oci_archive(tmp_path / "img.oci", {"t": tiny()})
    legacy = write_docker_archive(tmp_path / "legacy.tar", tiny())
    modern = write_docker_archive(tmp_path / "modern.tar", tiny(), oci_style=True)
    plain = rootfs(tmp_path / "rootfs", [F("etc/id", "x")])
    found = {
        str(layout): "oci-dir",
        f"{layout}:t": "oci-dir",
        str(oci_tar): "oci-archive",
        f"{oci_tar}:t": "oci-archive",
        str(legacy): "docker-archive",
        f"{legacy}:test/image:latest": "docker-archive",
        str(modern): "docker-archive",
        str(plain): "dir",
    }
    for target, kind in found.items():
        assert open_target(target, OPTS).metadata.source_kind == kind, target


def test_prefixes_force_the_kind(tmp_path: Path) -> None:
    layout = write_oci_layout(tmp_path / "layout", {"t": tiny()})
    assert open_target(f"dir:{layout}", OPTS).metadata.source_kind == "dir"
    assert open_target(f"oci-dir:{layout}:t", OPTS).metadata.source_kind == "oci-dir"
    modern = write_docker_archive(tmp_path / "m.tar", tiny(), oci_style=True)
    assert open_target(f"oci-archive:{modern}", OPTS).metadata.source_kind == "oci-archive"
    assert split_prefix("registry:5000/app:1") == ("", "registry:5000/app:1")
    assert split_prefix("registry:example.com/app") == ("registry", "example.com/app")
    assert split_prefix("c:/x") == ("", "c:/x")
    assert split_prefix("docker:alpine:3.19") == ("docker", "alpine:3.19")


@pytest.mark.parametrize(
    ("target", "pattern"),
    [
        ("docker-archive:{tmp}/missing.tar", "missing.tar: no such file"),
        ("oci-archive:{tmp}/missing.tar", "missing.tar: no such file"),
        ("oci-dir:{tmp}/nowhere", "nowhere: no such directory"),
        ("dir:{tmp}/nowhere", "nowhere: no such directory"),
        ("{tmp}/missing.tar", "missing.tar: no such file or directory"),
        ("./missing-image.tar", r"\./missing-image\.tar: no such file or directory"),
        ("image.tar", r"image\.tar: no such file or directory"),
        ("{tmp}/notes.txt", "not a docker-archive .* nor an OCI archive"),
        ("Not A Reference!", "not a file or directory, nor a valid image reference"),
        ("", "no target given"),
    ],
)
def test_missing_or_unreadable_targets(tmp_path: Path, target: str, pattern: str) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(TargetNotFoundError, match=pattern):
        open_target(target.format(tmp=tmp_path), OPTS)
