"""Secret and image checks through the real layer walk (pipeline.scan without the database)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from sievert.catalog.capture import WalkExtras, capture_spec
from sievert.model.finding import ScanResult
from sievert.pipeline import InventoryOptions, ScanOptions, scan
from sievert.source.capture import CaptureSpec
from sievert.source.layerindex import LayerIndex
from tests.imagebuilder import D, F, Image, W, write_oci_layout

FAKE_TOKEN = "ghp_" + "SievertFakeToken" + "Q7x2Lm9Vb4Nc7Rt1Yp3W"
PASSWD = (
    "root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n"
)
SHADOW = "root:*:19000:0:99999:7:::\ntoor::19000:0:99999:7:::\napp:!:19000:0:99999:7:::\n"
IMAGE = Image(
    [
        [
            F("etc/passwd", PASSWD),
            F("etc/shadow", SHADOW, mode=0o640),
            F("usr/bin/passwd", b"\x7fELF\0", mode=0o4755),
            F("app/.env", f"GITHUB_TOKEN={FAKE_TOKEN}\n"),
            F("var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease", "Origin: Debian\n"),
            F("var/lib/apt/lists/lock", ""),
        ],
        [
            W("app/.env"),
            F("usr/local/bin/helper", b"\x7fELF\0", mode=0o6755),
            D("srv/shared", mode=0o777),
            D("srv/drop", mode=0o1777),
            F("tmp/scratch", "x", mode=0o666),
        ],
    ],
    config={"ExposedPorts": {"22/tcp": {}, "8080/tcp": {}}},
)


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    layout = write_oci_layout(tmp_path_factory.mktemp("img") / "layout", {"app": IMAGE})
    options = ScanOptions(
        inventory=InventoryOptions(use_cache=False), scanners=("config", "secret")
    )
    return scan(f"oci-dir:{layout}:app", options)


def _messages(result: ScanResult, rule_id: str) -> list[str]:
    return [f.message for f in result.config_findings if f.rule.id == rule_id]


def test_deleted_secret_is_reported_with_its_layer(result: ScanResult) -> None:
    (finding,) = result.secret_findings
    assert finding.rule.id == "SV-SEC-014"
    assert finding.region.path == "/app/.env"
    assert finding.region.layer_index == 0
    assert finding.region.start_line == 1
    assert finding.deleted_later
    assert FAKE_TOKEN not in finding.redacted
    assert finding.redacted.startswith("GITHUB_TOKEN=ghp_****")


def test_setuid_added_by_second_layer_only(result: ScanResult) -> None:
    found = [f for f in result.config_findings if f.rule.id == "SV-IMG-011"]
    assert [(f.region.path, f.region.layer_index) for f in found] == [("/usr/local/bin/helper", 1)]
    assert "setuid and setgid" in found[0].message


def test_root_user_ports_and_world_writable(result: ScanResult) -> None:
    assert _messages(result, "SV-IMG-001") == ["The image runs as root (no USER is set)."]
    assert _messages(result, "SV-IMG-002") == ["Port 22/tcp is exposed."]
    paths = [f.region.path for f in result.config_findings if f.rule.id == "SV-IMG-012"]
    assert paths == ["/srv/shared"]  # sticky /srv/drop and /tmp/scratch are fine


def test_apt_lists_and_accounts(result: ScanResult) -> None:
    (cache,) = _messages(result, "SV-IMG-013")
    assert cache.startswith("apt package lists: 1 files")
    assert _messages(result, "SV-IMG-014") == [
        "Account 'toor' has an empty password in /etc/shadow."
    ]
    assert _messages(result, "SV-IMG-015") == ["Account 'toor' has UID 0."]
    assert result.scanners == ("config", "secret")
    assert result.findings == ()


def test_secret_scanner_changes_the_cache_key() -> None:
    from sievert.catalog.plugins import CATALOGERS
    from sievert.checks.secrets import SecretScanner

    scanner = SecretScanner()
    plain = capture_spec(CATALOGERS)
    with_secrets: CaptureSpec = capture_spec(
        CATALOGERS, WalkExtras(extractors=(scanner.extractor(),), versions=(scanner.version,))
    )
    assert plain.version != with_secrets.version
    assert plain.version == capture_spec(CATALOGERS).version


def test_cached_rescan_gives_the_same_findings(tmp_path: Path) -> None:
    layout = write_oci_layout(tmp_path / "layout", {"app": IMAGE})
    options = ScanOptions(
        inventory=InventoryOptions(cache_dir=tmp_path / "cache"), scanners=("secret",)
    )
    first = scan(f"oci-dir:{layout}:app", options)
    second = scan(f"oci-dir:{layout}:app", options)
    assert first.secret_findings == second.secret_findings
    assert len(first.secret_findings) == 1
    with closing(sqlite3.connect(tmp_path / "cache" / "layers.sqlite")) as db:
        blobs = [row[0] for row in db.execute("SELECT data FROM layers")]
    summaries = [
        summary
        for blob in blobs
        for by_name in LayerIndex.from_bytes(blob).extracts.values()
        for name, summary in by_name.items()
        if name == "secrets"
    ]
    assert len(summaries) == 1
    assert b"GITHUB_TOKEN=ghp_****" in summaries[0]
    indexes = [LayerIndex.from_bytes(blob) for blob in blobs]
    stored = [d for i in indexes for d in i.contents.values()] + summaries
    assert not any(FAKE_TOKEN.encode() in data for data in stored)
