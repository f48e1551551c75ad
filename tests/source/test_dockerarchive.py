"""docker save archives: both layouts, image selection, digests and damaged archives."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from sievert.errors import DigestMismatchError, ImageFormatError, TargetNotFoundError
from sievert.source.base import SourceOptions
from sievert.source.dockerarchive import DockerArchiveSource, normalize_tag, split_archive_target
from tests.imagebuilder import (
    F,
    Image,
    layer_tar,
    write_docker_archive,
    write_docker_archive_images,
)
from tests.source.util import squash

OPTS = SourceOptions()
SRC = DockerArchiveSource()


def tiny(text: str) -> Image:
    """One layer holding etc/id."""
    return Image([[F("etc/id", text)]])


def rewrite(archive: Path, change: dict[str, bytes | None]) -> Path:
    """A copy of the archive with members replaced (None drops one)."""
    out = archive.with_name("changed-" + archive.name)
    with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
        for member in src.getmembers():
            if member.name in change:
                data = change[member.name]
                if data is None:
                    continue
                member.size = len(data)
                dst.addfile(member, io.BytesIO(data))
            else:
                dst.addfile(member, src.extractfile(member))
    return out


def manifest_of(archive: Path) -> list[dict[str, object]]:
    """The parsed manifest.json."""
    with tarfile.open(archive) as tar:
        handle = tar.extractfile("manifest.json")
        assert handle is not None
        return json.loads(handle.read())  # type: ignore[no-any-return]


@pytest.mark.parametrize("oci_style", [False, True])
def test_select_by_tag_and_index(tmp_path: Path, oci_style: bool) -> None:
    images = {"repo/a:1": tiny("A"), "b:latest": tiny("B"), "docker.io/library/c:2": tiny("C")}
    archive = write_docker_archive_images(tmp_path / "multi.tar", images, oci_style)
    assert squash(SRC.open(f"{archive}:repo/a:1", OPTS))[0].read_text("etc/id") == "A"
    assert squash(SRC.open(f"{archive}:b", OPTS))[0].read_text("etc/id") == "B"
    assert squash(SRC.open(f"{archive}:c:2", OPTS))[0].read_text("etc/id") == "C"
    image = SRC.open(f"{archive}@1", OPTS)
    assert image.metadata.repo_tags == ("b:latest",)
    with pytest.raises(TargetNotFoundError, match=r"holds 3 images; pick one .*tags: repo/a:1"):
        SRC.open(str(archive), OPTS)
    with pytest.raises(
        TargetNotFoundError, match=r"no image tagged 'x:1'; tags: repo/a:1, b:latest"
    ):
        SRC.open(f"{archive}:x:1", OPTS)
    with pytest.raises(TargetNotFoundError, match="has 3 images, no image @7"):
        SRC.open(f"{archive}@7", OPTS)


def test_target_syntax(tmp_path: Path) -> None:
    archive = write_docker_archive(tmp_path / "one.tar", tiny("x"))
    assert split_archive_target(f"{archive}:r/x:1") == (str(archive), "r/x:1", None)
    assert split_archive_target(f"{archive}@2") == (str(archive), "", 2)
    assert split_archive_target(str(archive)) == (str(archive), "", None)
    assert normalize_tag("docker.io/library/debian") == "debian:latest"
    assert normalize_tag("localhost:5000/app") == "localhost:5000/app:latest"
    with pytest.raises(TargetNotFoundError, match="'@' must be followed by an image number"):
        split_archive_target(f"{archive}@x")
    with pytest.raises(TargetNotFoundError, match="no such file"):
        SRC.open(str(tmp_path / "none.tar"), OPTS)


def test_wrong_diff_id_names_the_layer(tmp_path: Path) -> None:
    archive = write_docker_archive(tmp_path / "img.tar", tiny("good"))
    layer = manifest_of(archive)[0]["Layers"][0]  # type: ignore[index]
    evil = rewrite(archive, {str(layer): layer_tar([F("etc/id", "evil")])})
    image = SRC.open(str(evil), OPTS)
    diff_id = image.metadata.layers[0].diff_id
    with pytest.raises(
        DigestMismatchError,
        match=rf"layer {diff_id}: uncompressed content \(diff_id\): digest mismatch",
    ):
        squash(image)


def test_oci_style_wrong_blob_digest(tmp_path: Path) -> None:
    archive = write_docker_archive(tmp_path / "img.tar", tiny("good"), oci_style=True)
    layer = str(manifest_of(archive)[0]["Layers"][0])  # type: ignore[index]
    evil = rewrite(archive, {layer: layer_tar([F("etc/id", "evil")])})
    digest = "sha256:" + layer.rsplit("/", 1)[1]
    with pytest.raises(DigestMismatchError, match=rf"layer {digest}: blob: digest mismatch"):
        squash(SRC.open(str(evil), OPTS))


def test_config_named_by_a_digest_must_match(tmp_path: Path) -> None:
    archive = write_docker_archive(tmp_path / "img.tar", tiny("x"))
    config = str(manifest_of(archive)[0]["Config"])
    with tarfile.open(archive) as tar:
        handle = tar.extractfile(config)
        assert handle is not None
        doc = json.loads(handle.read())
    doc["config"]["User"] = "root"
    evil = rewrite(archive, {config: json.dumps(doc).encode()})
    with pytest.raises(DigestMismatchError, match=r"image config '\w+\.json' hashes to sha256:"):
        SRC.open(str(evil), OPTS)


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        ({"manifest.json": b"{"}, r"manifest\.json: malformed JSON"),
        ({"manifest.json": b"[]"}, r"manifest\.json: expected a non-empty list"),
        ({"manifest.json": b'[{"Config": 1}]'}, "image entry without Config and Layers"),
        ({"manifest.json": None}, r"manifest 'manifest\.json' is not in the archive"),
    ],
)
def test_malformed_manifest_json(
    tmp_path: Path, change: dict[str, bytes | None], pattern: str
) -> None:
    archive = rewrite(write_docker_archive(tmp_path / "img.tar", tiny("x")), change)
    with pytest.raises(ImageFormatError, match=pattern):
        SRC.open(str(archive), OPTS)


def test_missing_layer_and_count_mismatch(tmp_path: Path) -> None:
    archive = write_docker_archive(tmp_path / "img.tar", Image([[F("a", "1")], [F("b", "2")]]))
    doc = manifest_of(archive)
    layers = list(doc[0]["Layers"])  # type: ignore[call-overload]
    missing = rewrite(archive, {layers[1]: None})
    with pytest.raises(ImageFormatError, match=rf"names layer '{layers[1]}', not in the archive"):
        SRC.open(str(missing), OPTS)
    doc[0]["Layers"] = layers[:1]
    short = rewrite(archive, {"manifest.json": json.dumps(doc).encode()})
    with pytest.raises(ImageFormatError, match="image config lists 2 diff_ids for 1 layers"):
        SRC.open(str(short), OPTS)


def test_symlinked_layer_member(tmp_path: Path) -> None:
    """docker save links a repeated layer to the first copy: follow it inside the archive."""
    archive = write_docker_archive(tmp_path / "img.tar", tiny("linked"))
    layer = str(manifest_of(archive)[0]["Layers"][0])
    doc = manifest_of(archive)
    doc[0]["Layers"] = ["alias/layer.tar"]
    linked = rewrite(archive, {"manifest.json": json.dumps(doc).encode()})
    with tarfile.open(linked, "a") as tar:
        info = tarfile.TarInfo("alias/layer.tar")
        info.type, info.linkname = tarfile.SYMTYPE, f"../{layer}"
        tar.addfile(info)
    assert squash(SRC.open(str(linked), OPTS))[0].read_text("etc/id") == "linked"


def test_gzip_layers_and_truncated_archive(tmp_path: Path) -> None:
    archive = write_docker_archive(tmp_path / "gz.tar", tiny("zipped"), compressed=True)
    image = SRC.open(str(archive), OPTS)
    assert image.metadata.layers[0].media_type.endswith("tar.gzip")
    assert squash(image)[0].read_text("etc/id") == "zipped"
    cut = tmp_path / "cut.tar"
    cut.write_bytes(archive.read_bytes()[:700])
    with pytest.raises(
        ImageFormatError, match=r"cut\.tar: not a readable tar archive \(unexpected end"
    ):
        SRC.open(str(cut), OPTS)
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"\x01" * 2048)
    with pytest.raises(ImageFormatError, match=r"junk\.tar: not a readable tar archive"):
        SRC.open(str(junk), OPTS)
