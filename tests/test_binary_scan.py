"""End to end: an unpackaged redis-server matched through a CVE JSON 5 record's product data."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from tests.catalog.binary.builders import tiny_elf
from tests.clitools import run_sievert as run
from tests.imagebuilder import F, Image, write_oci_layout

CVE = "CVE-2099-7015"
OS_RELEASE = F("etc/os-release", 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n')


def redis_server(version: str) -> F:
    """A tiny ELF carrying the strings redis-server holds (INFO format, version + build id)."""
    payload = f"redis_version:%s\r\n\x00{version}buildkitsandbox-1700000000000000000\x00"
    return F("usr/local/bin/redis-server", tiny_elf(payload.encode()), 0o755)


def cve_record() -> bytes:
    """A CVE JSON 5 record in GitHub's CNA style: redis 7.0.0 up to (not incl.) 7.0.15."""
    cna = {
        "descriptions": [{"lang": "en", "value": "Redis demo flaw."}],
        "affected": [
            {
                "vendor": "redis",
                "product": "redis",
                "versions": [{"version": ">= 7.0.0, < 7.0.15", "status": "affected"}],
            }
        ],
        "metrics": [{"cvssV3_1": {"vectorString": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"}}],
    }
    record = {
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": {"cveId": CVE, "state": "PUBLISHED", "assignerShortName": "GitHub_M"},
        "containers": {"cna": cna},
    }
    return json.dumps(record).encode()


def write_mirror(root: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"cves/2099/7xxx/{CVE}.json", cve_record())
    target = root / "cvelistV5" / "cves.zip"
    target.parent.mkdir(parents=True)
    target.write_bytes(buffer.getvalue())
    return root


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("binscan")
    mirror = write_mirror(root / "mirror")
    db = str(root / "vuln.db")
    proc = run("db", "update", "--mirror", str(mirror), "--only", "cve", "--db", db, "-q")
    assert proc.returncode == 0, proc.stderr
    images: dict[str, Image | list[Image]] = {
        "old": Image([[OS_RELEASE], [redis_server("7.0.14")]]),
        "new": Image([[OS_RELEASE], [redis_server("7.0.15")]]),
    }
    return write_oci_layout(root / "layout", images), db


def scan(world: tuple[Path, str], tag: str) -> list[dict[str, object]]:
    layout, db = world
    target = f"oci-dir:{layout}:{tag}"
    proc = run("scan", target, "--db", db, "--no-cache", "-q", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    findings: list[dict[str, object]] = json.loads(proc.stdout)["findings"]
    return findings


def test_unpackaged_binary_in_range_has_a_low_confidence_finding(world: tuple[Path, str]) -> None:
    (finding,) = scan(world, "old")
    assert finding["vulnerability"]["id"] == CVE  # type: ignore[index]
    assert finding["package"]["name"] == "redis"  # type: ignore[index]
    assert finding["package"]["version"] == "7.0.14"  # type: ignore[index]
    evidence = finding["evidence"]
    assert evidence["confidence"] == "low"  # type: ignore[index]
    assert evidence["matchedBy"] == "binary"  # type: ignore[index]
    assert finding["fixedVersions"] == ["7.0.15"]


def test_the_same_binary_at_the_fixed_version_has_none(world: tuple[Path, str]) -> None:
    assert scan(world, "new") == []
