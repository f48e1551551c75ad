"""The real images of ../shared/images (read in place), and skopeo-converted copies of one."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sievert.source.base import SourceOptions
from sievert.source.capture import CaptureSpec
from sievert.source.layerindex import KIND_WHITEOUT
from sievert.source.oci import OciDirSource
from tests.source.util import open_and_squash, squash

pytestmark = pytest.mark.shared
GEMSPEC = "usr/share/rubygems-integration/all/specifications/webrick-1.8.1.gemspec"
SPEC = CaptureSpec(globs=("etc/os-release", "usr/lib/os-release"), version="shared-test")


@pytest.mark.parametrize(
    ("tag", "layers"), [("bookworm", 1), ("bookworm-apps", 3), ("alpine-3.23", 1)]
)
def test_tags_open_with_their_layer_counts(shared_images: Path, tag: str, layers: int) -> None:
    image = OciDirSource().open(f"{shared_images}:{tag}", SourceOptions())
    assert len(image.metadata.layers) == layers
    assert image.metadata.repo_tags == (tag,)
    assert all(layer.diff_id.startswith("sha256:") for layer in image.metadata.layers)


def test_bookworm_apps_whiteout(shared_images: Path) -> None:
    image = OciDirSource().open(f"{shared_images}:bookworm-apps", SourceOptions())
    indexes = [index for _, index in image.layer_indexes(SPEC, None)]
    assert any(e.path == GEMSPEC for e in indexes[1].entries)
    assert any(e.path == GEMSPEC and e.kind == KIND_WHITEOUT for e in indexes[2].entries)
    view, _ = squash(image, SPEC)
    assert view.record(GEMSPEC) is None
    assert view.record("usr/share/rubygems-integration/all/specifications") is not None
    assert "ID=debian" in (view.read_text("etc/os-release") or "")


@pytest.mark.slow
def test_skopeo_copies_squash_the_same(shared_images: Path, tmp_path: Path) -> None:
    skopeo = shutil.which("skopeo")
    if skopeo is None:
        pytest.skip("skopeo is not installed (apt-get install -y skopeo)")
    source = f"oci:{shared_images}:alpine-3.23"
    docker = tmp_path / "alpine.tar"
    oci = tmp_path / "alpine.oci.tar"
    for dest in (f"docker-archive:{docker}:sievert/alpine:3.23", f"oci-archive:{oci}:alpine-3.23"):
        subprocess.run([skopeo, "copy", "-q", source, dest], check=True, capture_output=True)

    def files(target: str) -> dict[str, tuple[str, int, str]]:
        view, notices = open_and_squash(target, SPEC)
        assert notices == []
        assert "ID=alpine" in (view.read_text("etc/os-release") or "")
        return {r.path: (r.kind, r.size, r.link) for r in view.records()}

    reference = files(f"oci-dir:{shared_images}:alpine-3.23")
    assert len(reference) > 500
    assert files(f"docker-archive:{docker}:sievert/alpine:3.23") == reference
    assert files(str(docker)) == reference
    assert files(f"oci-archive:{oci}") == reference
