"""Hostile images through the CLI: one-line error naming the cause, exit 3, no partial output."""

from __future__ import annotations

import gzip
import json
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.clitools import run_sievert
from tests.imagebuilder import F, Image, Raw, write_docker_archive, write_oci_layout

GOOD = Image([[F("etc/os-release", "ID=alpine\nVERSION_ID=3.23.0\n"), F("etc/hosts", "x")]])


def run(target: str, out: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run_sievert("sbom", target, "-q", "--no-cache", "-f", "json", "-o", str(out), env=env)


def manifest_of(layout: Path) -> dict[str, object]:
    index = json.loads((layout / "index.json").read_text())
    return json.loads((layout / "blobs/sha256" / index["manifests"][0]["digest"][7:]).read_text())  # type: ignore[no-any-return]


def blob(layout: Path, digest: str) -> Path:
    return layout / "blobs/sha256" / digest.split(":")[1]


def layer_blob(layout: Path) -> tuple[Path, str]:
    digest = manifest_of(layout)["layers"][0]["digest"]  # type: ignore[index]
    return blob(layout, digest), digest


def wrong_digest(layout: Path) -> str:
    path, digest = layer_blob(layout)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return digest


def truncated_gzip(layout: Path) -> str:
    path, digest = layer_blob(layout)
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    return digest


def malformed_index(layout: Path) -> str:
    (layout / "index.json").write_text("{ not json")
    return "index.json"


def malformed_config(layout: Path) -> str:
    config = manifest_of(layout)["config"]["digest"]  # type: ignore[index]
    blob(layout, config).write_text("[1, 2")
    return config


CASES: dict[str, Callable[[Path], str]] = {
    "wrong blob digest": wrong_digest,
    "truncated gzip": truncated_gzip,
    "malformed index.json": malformed_index,
    "malformed config": malformed_config,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_damaged_layouts(case: str, tmp_path: Path) -> None:
    layout = write_oci_layout(tmp_path / "layout", {"t": GOOD})
    named = CASES[case](layout)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = run(f"oci-dir:{layout}:t", out_dir / "sbom.json")
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.startswith("sievert: error: ") and proc.stderr.count("\n") == 1
    assert named.split(":")[-1][:12] in proc.stderr
    assert list(out_dir.iterdir()) == []


def test_decompression_bomb_is_refused_with_the_layer_named(tmp_path: Path) -> None:
    bomb = Image([[F("var/zeros", b"\0" * (8 * 1024 * 1024))]])
    layout = write_oci_layout(tmp_path / "layout", {"t": bomb})
    _, digest = layer_blob(layout)
    out = tmp_path / "sbom.json"
    proc = run(f"oci-dir:{layout}:t", out, SIEVERT_MAX_LAYER_SIZE=str(1024 * 1024))
    assert proc.returncode == 3
    assert digest in proc.stderr and "decompression bomb" in proc.stderr
    assert not out.exists()


def test_docker_archive_member_outside_the_archive(tmp_path: Path) -> None:
    archive = write_docker_archive(tmp_path / "img.tar", GOOD)
    with tarfile.open(archive) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]
    manifest = json.loads(members["manifest.json"])
    manifest[0]["Layers"] = ["../../etc/passwd"]
    members["manifest.json"] = json.dumps(manifest).encode()
    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, __import__("io").BytesIO(data))
    out = tmp_path / "sbom.json"
    proc = run(f"docker-archive:{evil}", out)
    assert proc.returncode == 3 and "../../etc/passwd" in proc.stderr
    assert not out.exists()


def test_traversal_and_devices_are_notices_not_errors(tmp_path: Path) -> None:
    device = tarfile.TarInfo("dev/evil")
    device.type = tarfile.CHRTYPE
    escape = tarfile.TarInfo("../../outside.txt")
    image = Image([[F("etc/os-release", "ID=alpine\n"), Raw(device), Raw(escape)]])
    layout = write_oci_layout(tmp_path / "layout", {"t": image})
    out = tmp_path / "sbom.json"
    proc = run(f"oci-dir:{layout}:t", out)
    assert proc.returncode == 0, proc.stderr
    notices = [n["message"] for n in json.loads(out.read_text())["notices"]]
    assert any("escapes the root" in n and "outside.txt" in n for n in notices)
    assert not (tmp_path.parent / "outside.txt").exists()


def test_gzip_tar_given_as_docker_archive_is_a_clear_error(tmp_path: Path) -> None:
    archive = write_docker_archive(tmp_path / "img.tar", GOOD)
    gz = tmp_path / "img.tar.gz"
    gz.write_bytes(gzip.compress(archive.read_bytes()))
    proc = run(f"docker-archive:{gz}", tmp_path / "sbom.json")
    assert proc.returncode == 3 and "img.tar.gz" in proc.stderr
