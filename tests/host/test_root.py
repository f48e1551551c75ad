"""`sievert host scan --root DIR`: root directories of Debian, Alpine and Rocky Linux with
installed kernels (only the running one matched, reboot needed when the newest is not running),
and the real Debian and Alpine images of ../shared unpacked (same findings as the image scan)."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tests.clitools import run_sievert
from tests.host.roots import KERNEL_ESCAPES, alpine_root, debian_root, rocky_root


def root_scan(db: Path, root: Path, *args: str) -> dict[str, Any]:
    """The one host of a JSON root scan (exit 0 asserted)."""
    proc = run_sievert("host", "scan", "--db", str(db), "--root", str(root), "-f", "json", *args)
    assert proc.returncode == 0, proc.stderr
    (host,) = json.loads(proc.stdout)["hosts"]
    return host  # type: ignore[no-any-return]


def kernel_ids(host: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """Kernel finding id -> (package, container escape)."""
    return {f["id"]: (f["package"], f["containerEscape"]) for f in host["findings"] if f["kernel"]}


def test_debian_running_an_old_kernel(demo_db: Path, tmp_path: Path) -> None:
    host = root_scan(demo_db, debian_root(tmp_path / "deb"), "--kernel", "6.1.0-17-amd64")
    assert host["distro"] == "debian 12"
    assert host["kernel"] == {
        "running": "6.1.0-17-amd64",
        "runningPackages": ["linux-image-6.1.0-17-amd64 6.1.69-1"],
        "newestInstalled": "6.1.0-18-amd64",
    }
    assert host["rebootRequired"] and host["rebootReasons"] == [
        "/var/run/reboot-required exists",
        "newest installed kernel 6.1.0-18-amd64 is not the running kernel 6.1.0-17-amd64",
    ]
    # the running 6.1.69-1 is open to the CVEs fixed in 6.1.76-1 (installed, not booted)
    assert kernel_ids(host) == dict.fromkeys(KERNEL_ESCAPES, ("linux-image-6.1.0-17-amd64", True))
    evidence = {
        f["id"]: (f["containerEscapeBasis"], f["containerEscapeEvidence"])
        for f in host["findings"]
        if f["kernel"]
    }
    assert evidence == KERNEL_ESCAPES
    assert "CVE-2024-2961" in {f["id"] for f in host["findings"] if f["package"] == "libc6"}
    assert any("not the running kernel" in n and "6.1.0-18-amd64" in n for n in host["notices"])


def test_debian_running_the_newest_kernel(demo_db: Path, tmp_path: Path) -> None:
    root = debian_root(tmp_path / "deb", reboot_flag=False)
    host = root_scan(demo_db, root, "--kernel", "6.1.0-18-amd64")
    assert not host["rebootRequired"] and host["rebootReasons"] == []
    assert kernel_ids(host) == {}


def test_debian_with_the_kernel_unknown_matches_every_kernel(demo_db: Path, tmp_path: Path) -> None:
    host = root_scan(demo_db, debian_root(tmp_path / "deb"))
    assert host["kernel"]["running"] == "" and host["kernel"]["newestInstalled"] == "6.1.0-18-amd64"
    assert host["rebootReasons"] == ["/var/run/reboot-required exists"]
    assert kernel_ids(host) == dict.fromkeys(KERNEL_ESCAPES, ("linux-image-6.1.0-17-amd64", True))
    assert any("running kernel unknown" in n for n in host["notices"])


def test_alpine_kernel_and_reboot(demo_db: Path, tmp_path: Path) -> None:
    host = root_scan(demo_db, alpine_root(tmp_path / "alpine"), "--kernel", "6.6.30-0-lts")
    assert host["distro"] == "alpine 3.20.1" and host["packages"] == 1  # linux-lts not running
    assert host["kernel"]["newestInstalled"] == "6.6.31-0-lts"
    assert host["rebootReasons"] == [
        "newest installed kernel 6.6.31-0-lts is not the running kernel 6.6.30-0-lts"
    ]
    same = root_scan(demo_db, alpine_root(tmp_path / "alpine2"), "--kernel", "6.6.31-0-lts")
    assert same["packages"] == 2 and same["kernel"]["runningPackages"] == ["linux-lts 6.6.31-r0"]
    assert not same["rebootRequired"]


def test_rocky_kernels_from_a_real_rpmdb(demo_db: Path, tmp_path: Path) -> None:
    root = rocky_root(tmp_path / "rocky", tmp_path / "rpmbuild")
    running = "5.14.0-362.8.1.el9_3.x86_64"
    host = root_scan(demo_db, root, "--kernel", running)
    assert host["distro"] == "rocky 9.3" and host["packages"] == 2
    assert host["kernel"] == {
        "running": running,
        "runningPackages": ["kernel-core 5.14.0-362.8.1.el9_3"],
        "newestInstalled": "5.14.0-362.13.1.el9_3.x86_64",
    }
    assert host["rebootReasons"] == [
        f"newest installed kernel 5.14.0-362.13.1.el9_3.x86_64 is not the running kernel {running}"
    ]
    # OSV Rocky Linux advisories: RLSA-2024:1249 (CVE-2024-1086, in KEV) on the running kernel
    found = {f["id"]: f for f in host["findings"]}
    assert set(found) == {"CVE-2024-1086", "RLSA-2024:0001"}
    kernel = found["CVE-2024-1086"]
    assert kernel["package"] == "kernel-core" and kernel["version"] == "5.14.0-362.8.1.el9_3"
    assert kernel["kernel"] and kernel["containerEscapeEvidence"] == ["kev"]
    assert found["RLSA-2024:0001"]["fixedVersions"] == ["5.1.8-9.el9"]
    assert not found["RLSA-2024:0001"]["kernel"]


def test_bad_roots_are_one_clear_line(demo_db: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for root, words in (
        (empty, "no package database found"),
        (tmp_path / "absent", "not a directory"),
    ):
        proc = run_sievert("host", "scan", "--db", str(demo_db), "--root", str(root))
        assert proc.returncode == 3, proc.stderr
        assert words in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    usage = run_sievert("host", "scan", "local", "--root", str(empty))
    assert usage.returncode == 2


def unpack(layout: Path, tag: str, into: Path) -> Path:
    """The single layer of a tag of an OCI layout, extracted (device files left out)."""
    index = json.loads((layout / "index.json").read_text())
    (entry,) = [
        m
        for m in index["manifests"]
        if m["annotations"]["org.opencontainers.image.ref.name"] == tag
    ]
    blob = layout / "blobs" / "sha256"
    manifest = json.loads((blob / entry["digest"].split(":")[1]).read_text())
    (layer,) = manifest["layers"]
    into.mkdir()
    with tarfile.open(blob / layer["digest"].split(":")[1]) as tar:
        members = [m for m in tar if m.isfile() or m.isdir() or m.issym() or m.islnk()]
        tar.extractall(into, members, filter="tar")
    return into


@pytest.mark.parametrize("tag", ["bookworm", "alpine-3.23"])
def test_real_image_root_matches_the_image_scan(
    tag: str, shared_images: Path, demo_db: Path, tmp_path: Path
) -> None:
    root = unpack(shared_images, tag, tmp_path / tag)
    host = root_scan(demo_db, root)
    image = run_sievert(
        "scan",
        f"oci-dir:{shared_images}:{tag}",
        "--db",
        str(demo_db),
        "--pkg-types",
        "os",
        "--no-cache",
        "-q",
        "-f",
        "json",
    )
    assert image.returncode == 0, image.stderr
    scanned = json.loads(image.stdout)
    expected = {(f["vulnerability"]["id"], f["package"]["name"]) for f in scanned["findings"]}
    assert {(f["id"], f["package"]) for f in host["findings"]} == expected
    assert host["packages"] == {"bookworm": 88, "alpine-3.23": 59}[tag]


def test_fail_on_and_table(demo_db: Path, tmp_path: Path) -> None:
    root = debian_root(tmp_path / "deb")
    args = ("host", "scan", "--db", str(demo_db), "--root", str(root), "--kernel", "6.1.0-17-amd64")
    gated = run_sievert(*args, "--fail-on", "high")
    assert gated.returncode == 1 and "at or above high" in gated.stderr
    assert run_sievert(*args, "--fail-on", "critical").returncode == 0
    table = gated.stdout
    assert "reboot required: newest installed kernel 6.1.0-18-amd64" in table
    assert "CVE-2024-1086" in table and "kernel, escape (kev)" in table
    assert "kernel, escape? (text:privilege escalation)" in table  # the description only
    assert "3 relevant to container escape (1 from the description only)" in table
