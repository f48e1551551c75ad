"""OCI layout directory and archive: selection, nesting, platforms and malformed layouts."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from sievert.errors import (
    DigestMismatchError,
    ImageFormatError,
    PlatformNotFoundError,
    TargetNotFoundError,
)
from sievert.model import Platform
from sievert.source.base import SourceOptions
from sievert.source.oci import OciArchiveSource, OciDirSource, blob_path, split_layout_target
from tests.imagebuilder import OCI_INDEX, F, Image, write_oci_archive, write_oci_layout
from tests.source.util import (
    blob_file,
    only_manifest,
    open_and_squash,
    put_blob,
    read_json,
    rewrite_config,
    rewrite_manifest,
    squash,
)

OPTS = SourceOptions()


def tiny(text: str, arch: str = "amd64", variant: str = "") -> Image:
    """One layer holding etc/id with `text`."""
    return Image([[F("etc/id", text)]], architecture=arch, variant=variant)


def layout(tmp: Path, **tags: Image | list[Image]) -> Path:
    """A layout with the given tags."""
    return write_oci_layout(tmp / "layout", dict(tags))


def test_select_by_tag_and_single_image(tmp_path: Path) -> None:
    root = layout(tmp_path, one=tiny("1"), two=tiny("2"))
    image = OciDirSource().open(f"{root}:two", OPTS)
    assert squash(image)[0].read_text("etc/id") == "2"
    assert image.metadata.repo_tags == ("two",)
    single = layout(tmp_path / "s", only=tiny("x"))
    assert squash(OciDirSource().open(str(single), OPTS))[0].read_text("etc/id") == "x"


def test_several_images_without_tag_lists_tags(tmp_path: Path) -> None:
    root = layout(tmp_path, one=tiny("1"), two=tiny("2"))
    with pytest.raises(TargetNotFoundError, match=r"holds 2 images.*tags: one, two"):
        OciDirSource().open(str(root), OPTS)
    with pytest.raises(TargetNotFoundError, match=r"no image tagged 'three'; tags: one, two"):
        OciDirSource().open(f"{root}:three", OPTS)


def test_select_by_digest(tmp_path: Path) -> None:
    root = layout(tmp_path, one=tiny("1"), two=tiny("2"))
    digest = read_json(root / "index.json")["manifests"][1]["digest"]
    image = OciDirSource().open(f"{root}@{digest}", OPTS)
    assert image.metadata.manifest_digest == digest
    assert squash(image)[0].read_text("etc/id") == "2"
    with pytest.raises(TargetNotFoundError, match="no manifest sha256:0000"):
        OciDirSource().open(f"{root}@sha256:{'0' * 64}", OPTS)


def test_digest_with_traversal_is_refused(tmp_path: Path) -> None:
    root = layout(tmp_path, one=tiny("1"))
    with pytest.raises(ImageFormatError, match=r"invalid blob digest 'sha256:\.\./\.\./etc'"):
        blob_path("sha256:../../etc", str(root))
    with pytest.raises(TargetNotFoundError, match="no image tagged"):
        OciDirSource().open(f"{root}@sha256:../../etc/passwd", OPTS)
    index = read_json(root / "index.json")
    index["manifests"][0]["digest"] = "sha256:../../../../etc/passwd"
    (root / "index.json").write_text(json.dumps(index))
    with pytest.raises(ImageFormatError, match="invalid digest"):
        OciDirSource().open(str(root), OPTS)


def test_blob_symlink_leaving_the_layout_is_refused(tmp_path: Path) -> None:
    root = layout(tmp_path, one=tiny("1"))
    _, manifest = only_manifest(root)
    config = blob_file(root, manifest["config"]["digest"])
    outside = tmp_path / "outside.json"
    outside.write_bytes(config.read_bytes())
    config.unlink()
    config.symlink_to(outside)
    with pytest.raises(ImageFormatError, match="points outside the layout"):
        OciDirSource().open(str(root), OPTS)


def test_split_layout_target(tmp_path: Path) -> None:
    root = layout(tmp_path, one=tiny("1"))
    assert split_layout_target(f"{root}:one") == (str(root), "one")
    assert split_layout_target(f"{root}@sha256:ab") == (str(root), "sha256:ab")
    assert split_layout_target(str(root)) == (str(root), "")
    odd = tmp_path / "a:b"
    odd.mkdir()
    assert split_layout_target(f"{odd}:tag") == (str(odd), "tag")


def test_multi_platform_index(tmp_path: Path) -> None:
    images = [tiny("amd"), tiny("arm", "arm64", "v8")]
    root = layout(tmp_path, multi=images)
    arm = SourceOptions(platform=Platform("linux", "arm64"))
    assert squash(OciDirSource().open(f"{root}:multi", arm))[0].read_text("etc/id") == "arm"
    amd = OciDirSource().open(f"{root}:multi", OPTS)
    assert squash(amd)[0].read_text("etc/id") == "amd"
    assert str(amd.metadata.platform) == "linux/amd64"
    s390 = SourceOptions(platform=Platform("linux", "s390x"))
    with pytest.raises(
        PlatformNotFoundError,
        match=r"no image for platform linux/s390x; available: linux/amd64, linux/arm64/v8",
    ):
        OciDirSource().open(f"{root}:multi", s390)


def test_nested_index_and_untagged_platform_index(tmp_path: Path) -> None:
    root = layout(tmp_path, multi=[tiny("amd"), tiny("arm", "arm64")])
    top = read_json(root / "index.json")["manifests"][0]
    nested = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [top]}).encode()
    digest = put_blob(root, nested)
    entry = {"mediaType": OCI_INDEX, "digest": digest, "size": len(nested)}
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [entry]}))
    arm = SourceOptions(platform=Platform("linux", "arm64"))
    assert squash(OciDirSource().open(str(root), arm))[0].read_text("etc/id") == "arm"
    inner = read_json(blob_file(root, top["digest"]))
    (root / "index.json").write_text(json.dumps(inner))  # platforms listed at the top, no tags
    assert squash(OciDirSource().open(str(root), arm))[0].read_text("etc/id") == "arm"


def test_index_nesting_is_bounded(tmp_path: Path) -> None:
    root = layout(tmp_path, one=tiny("1"))
    entry = read_json(root / "index.json")["manifests"][0]
    for _ in range(6):
        doc = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [entry]}
        doc["manifests"][0] = {**entry, "platform": {"os": "linux", "architecture": "amd64"}}
        data = json.dumps(doc).encode()
        entry = {"mediaType": OCI_INDEX, "digest": put_blob(root, data), "size": len(data)}
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [entry]}))
    with pytest.raises(ImageFormatError, match="nested more than 4 deep"):
        OciDirSource().open(str(root), OPTS)


@pytest.mark.parametrize(
    ("name", "content", "pattern"),
    [
        ("index.json", b"{not json", r"index\.json: malformed JSON"),
        ("index.json", b"[]", r"index\.json: expected a JSON object"),
        ("index.json", b'{"manifests": 3}', r"index\.json: index without a manifests list"),
        ("oci-layout", b"{}", "oci-layout without imageLayoutVersion"),
    ],
)
def test_malformed_layout_documents(
    tmp_path: Path, name: str, content: bytes, pattern: str
) -> None:
    root = layout(tmp_path, one=tiny("1"))
    (root / name).write_bytes(content)
    with pytest.raises(ImageFormatError, match=pattern):
        OciDirSource().open(str(root), OPTS)


def test_missing_layout_files(tmp_path: Path) -> None:
    root = layout(tmp_path, one=tiny("1"))
    (root / "index.json").unlink()
    with pytest.raises(ImageFormatError, match=r"index\.json is missing"):
        OciDirSource().open(str(root), OPTS)
    with pytest.raises(TargetNotFoundError, match="no such directory"):
        OciDirSource().open(str(tmp_path / "nowhere"), OPTS)


def test_malformed_manifest_and_config(tmp_path: Path) -> None:
    root = layout(tmp_path, one=tiny("1"))
    _, manifest = only_manifest(root)
    rewrite_manifest(root, {"schemaVersion": 2, "config": manifest["config"]})
    with pytest.raises(ImageFormatError, match="manifest without config and layers"):
        OciDirSource().open(str(root), OPTS)
    root2 = layout(tmp_path / "b", one=tiny("1"))
    _, manifest = only_manifest(root2)
    bad = b"{oops"
    manifest["config"].update(digest=put_blob(root2, bad), size=len(bad))
    rewrite_manifest(root2, manifest)
    with pytest.raises(ImageFormatError, match="image config: malformed JSON"):
        OciDirSource().open(str(root2), OPTS)


def test_layer_count_disagreeing_with_diff_ids(tmp_path: Path) -> None:
    root = layout(tmp_path, one=Image([[F("a", "1")], [F("b", "2")]]))
    rewrite_config(root, {"rootfs": {"type": "layers", "diff_ids": ["sha256:" + "1" * 64]}})
    with pytest.raises(ImageFormatError, match="config lists 1 diff_ids for 2 layers"):
        OciDirSource().open(str(root), OPTS)


def test_wrong_manifest_digest(tmp_path: Path) -> None:
    root = layout(tmp_path, one=tiny("1"))
    path, manifest = only_manifest(root)
    manifest["annotations"] = {"x": "y"}
    data = json.dumps(manifest).encode()
    index = read_json(root / "index.json")
    index["manifests"][0]["size"] = len(data)
    (root / "index.json").write_text(json.dumps(index))
    path.write_bytes(data)
    with pytest.raises(DigestMismatchError, match=r"manifest: digest mismatch: expected sha256:"):
        OciDirSource().open(str(root), OPTS)


def test_missing_and_resized_blobs(tmp_path: Path) -> None:
    root = layout(tmp_path, one=tiny("1"))
    _, manifest = only_manifest(root)
    layer = manifest["layers"][0]["digest"]
    blob = blob_file(root, layer)
    data = blob.read_bytes()
    blob.write_bytes(data + b"x")
    image = OciDirSource().open(str(root), OPTS)
    with pytest.raises(
        DigestMismatchError,
        match=rf"layer {layer}.* is {len(data) + 1} bytes, its descriptor says {len(data)}",
    ):
        squash(image)
    blob.unlink()
    with pytest.raises(ImageFormatError, match=rf"layer {layer} blob {layer} is missing"):
        squash(image)
    blob_file(root, manifest["config"]["digest"]).unlink()
    with pytest.raises(ImageFormatError, match=r"config blob sha256:\w+ is missing"):
        OciDirSource().open(str(root), OPTS)


def test_wrong_layer_blob_digest(tmp_path: Path) -> None:
    root = layout(tmp_path, one=Image([[F("etc/id", "AAAA")]], compression="none"))
    _, manifest = only_manifest(root)
    layer = manifest["layers"][0]["digest"]
    blob = blob_file(root, layer)
    blob.write_bytes(blob.read_bytes().replace(b"AAAA", b"BBBB"))
    with pytest.raises(DigestMismatchError, match=rf"layer {layer}: blob: digest mismatch"):
        open_and_squash(str(root))


def test_wrong_diff_id(tmp_path: Path) -> None:
    root = layout(tmp_path, one=tiny("1"))
    _, manifest = only_manifest(root)
    layer = manifest["layers"][0]["digest"]
    rewrite_config(root, {"rootfs": {"type": "layers", "diff_ids": ["sha256:" + "2" * 64]}})
    with pytest.raises(
        DigestMismatchError,
        match=rf"layer {layer}: uncompressed content \(diff_id\): digest mismatch: "
        rf"expected sha256:{'2' * 64}",
    ):
        open_and_squash(str(root))


def test_oci_archive_selection_and_random_access(tmp_path: Path) -> None:
    archive = write_oci_archive(tmp_path / "img.tar", {"a": tiny("A"), "b": tiny("B")})
    image = OciArchiveSource().open(f"{archive}:b", OPTS)
    assert image.metadata.source_kind == "oci-archive"
    assert squash(image)[0].read_text("etc/id") == "B"
    assert OciArchiveSource().claims(f"{archive}:b")
    assert not OciDirSource().claims(str(archive))


def test_oci_archive_member_missing_and_gzipped(tmp_path: Path) -> None:
    src = write_oci_layout(tmp_path / "l", {"a": tiny("A")})
    _, manifest = only_manifest(src)
    skipped = blob_path(manifest["layers"][0]["digest"], "")
    archive = tmp_path / "partial.tar"
    with tarfile.open(archive, "w") as tar:
        for item in sorted(src.rglob("*")):
            name = str(item.relative_to(src))
            if name != skipped:
                tar.add(item, arcname=name, recursive=False)
    image = OciArchiveSource().open(str(archive), OPTS)
    with pytest.raises(ImageFormatError, match=r"layer sha256:\w+ blob sha256:\w+ is missing"):
        squash(image)
    gz = tmp_path / "img.tar.gz"
    with tarfile.open(gz, "w:gz") as tar:
        tar.add(src / "index.json", arcname="index.json")
    with pytest.raises(ImageFormatError, match="gzip-compressed archive; decompress it first"):
        OciArchiveSource().open(str(gz), OPTS)
