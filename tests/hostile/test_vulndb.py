"""The vulnerability database under hostile feeds and damage: checked on open, transactional
per source, malformed records skipped alone, and scans that say when a source is incomplete."""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest

from tests.conftest import SHARED_FEEDS
from tests.hostile.conftest import npm_sbom
from tests.hostile.runner import assert_one_line_error, run_bounded, unwritable
from tests.vulndb.conftest import FeedServer, Route
from tests.vulndb.feedfactory import debian_tracker

DATA_TABLES = ("affected", "vuln", "alias", "cvss", "kev", "epss", "exploit")
FORMATS = ("table", "json", "sarif", "cyclonedx-json", "cyclonedx-vex", "gitlab", "junit")
FORMATS += ("markdown", "html")


def rows_of(db: Path, feed: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row a feed wrote, table by table, sorted."""
    with sqlite3.connect(db) as conn:
        return {
            t: sorted(conn.execute(f"SELECT * FROM {t} WHERE feed = ?", (feed,)), key=repr)
            for t in DATA_TABLES
        }


def update(mirror: Path, db: Path, *extra: str) -> tuple[int, str]:
    proc = run_bounded("db", "update", "--mirror", str(mirror), "--db", str(db), *extra)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stderr


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


# --- damage ------------------------------------------------------------------------------


def test_missing_table_says_rebuild(small_db: Path, sbom: Path, tmp_path: Path) -> None:
    db = tmp_path / "vuln.db"
    shutil.copy(small_db, db)
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE affected")
    proc = run_bounded("scan", "--sbom", str(sbom), "--db", str(db))
    assert_one_line_error(proc, 3, str(db), "missing table affected", "`sievert db update`")


def test_garbage_database_says_rebuild(sbom: Path, tmp_path: Path) -> None:
    db = tmp_path / "vuln.db"
    db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    proc = run_bounded("scan", "--sbom", str(sbom), "--db", str(db))
    assert_one_line_error(proc, 3, str(db), "`sievert db update`")


def test_update_into_unwritable_directory(mirror: Path, tmp_path: Path) -> None:
    with unwritable(tmp_path / "ro") as directory:
        proc = run_bounded(
            "db", "update", "-q", "--mirror", str(mirror), "--db", str(directory / "vuln.db")
        )
        assert_one_line_error(proc, 3, str(directory), "cannot write the database directory")


def test_negative_timeout_is_a_usage_error(mirror: Path, tmp_path: Path) -> None:
    proc = run_bounded("db", "update", "--timeout", "-1", "--db", str(tmp_path / "v.db"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--timeout" in proc.stderr


# --- transactional sources -----------------------------------------------------------------


def test_truncated_osv_zip_keeps_the_previous_osv_rows_exactly(
    mirror: Path, tmp_path: Path
) -> None:
    copy = shutil.copytree(mirror, tmp_path / "mirror")
    db = tmp_path / "vuln.db"
    assert update(copy, db, "-q")[0] == 0
    before = rows_of(db, "osv")
    assert before["affected"]
    truncate(copy / "osv/PyPI/all.zip")
    code, err = update(copy, db, "-q")
    assert code == 3 and "osv" in err and "previous data kept for osv" in err
    assert rows_of(db, "osv") == before
    with sqlite3.connect(db) as conn:
        (status,) = conn.execute("SELECT status FROM source_status WHERE name = 'osv'").fetchone()
    assert status == "failed"


def test_scan_against_a_failed_source_says_so_in_every_format(mirror: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(mirror, tmp_path / "mirror")
    db = tmp_path / "vuln.db"
    assert update(copy, db, "-q")[0] == 0
    truncate(copy / "osv/PyPI/all.zip")
    assert update(copy, db, "-q")[0] == 3
    sbom = tmp_path / "sbom.json"
    sbom.write_text(json.dumps(npm_sbom()))
    template = tmp_path / "warnings.j2"
    template.write_text("{% for w in db_warnings %}{{ w }}\n{% endfor %}")
    for fmt in (*FORMATS, "template"):
        out = tmp_path / f"out.{fmt}"
        args = ("scan", "--sbom", str(sbom), "--db", str(db), "-f", fmt, "-o", str(out))
        proc = run_bounded(*args, "--template", str(template))
        assert proc.returncode == 0, (fmt, proc.stderr)
        text = out.read_text()
        assert "source osv failed" in text or "osv failed" in text, fmt


def test_malformed_tracker_entry_is_skipped_alone(mirror: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(mirror, tmp_path / "mirror")
    tracker = debian_tracker()
    tracker["pam"] = "x"
    (copy / "debian/tracker.json").write_text(json.dumps(tracker))
    db = tmp_path / "vuln.db"
    code, err = update(copy, db, "--only", "debian")
    assert code == 0, err
    assert "debian: 2 malformed record(s) skipped" in err and "'pam'" in err
    with sqlite3.connect(db) as conn:
        packages = {r[0] for r in conn.execute("SELECT package FROM affected WHERE feed='debian'")}
        (status,) = conn.execute("SELECT status FROM source_status WHERE name='debian'").fetchone()
    assert packages == {"demo"} and status == "partial"


def test_last_affected_null_does_not_match_every_version(tmp_path: Path) -> None:
    record = {
        "id": "GHSA-null-null-null",
        "affected": [
            {
                "package": {"ecosystem": "npm", "name": "leftpad"},
                "ranges": [
                    {"type": "SEMVER", "events": [{"introduced": "0"}, {"last_affected": None}]}
                ],
            }
        ],
    }
    (tmp_path / "mirror/osv/npm").mkdir(parents=True)
    with zipfile.ZipFile(tmp_path / "mirror/osv/npm/all.zip", "w") as archive:
        archive.writestr("GHSA-null-null-null.json", json.dumps(record))
    db = tmp_path / "vuln.db"
    code, err = update(tmp_path / "mirror", db, "--only", "osv")
    assert code == 0, err
    assert "every range is malformed" in err
    sbom = tmp_path / "sbom.json"
    sbom.write_text(json.dumps(npm_sbom(version="9.9.9")))
    proc = run_bounded("scan", "--sbom", str(sbom), "--db", str(db), "-f", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["findings"] == []


def test_truncated_osv_zip_on_a_copy_of_the_real_feeds(tmp_path: Path) -> None:
    if not SHARED_FEEDS.is_dir():
        pytest.skip("../shared/feeds not present (fresh clone): real-feed test skipped")
    copy = tmp_path / "feeds"
    shutil.copytree(SHARED_FEEDS / "osv", copy / "osv")
    db = tmp_path / "vuln.db"
    assert update(copy, db, "-q", "--only", "osv")[0] == 0
    before = rows_of(db, "osv")
    assert len(before["affected"]) > 1000
    truncate(copy / "osv/PyPI/all.zip")
    code, err = update(copy, db, "-q", "--only", "osv")
    assert code == 3 and "osv/PyPI/all.zip" in err
    assert rows_of(db, "osv") == before


def test_content_encoding_bomb_in_a_download(feed_server: FeedServer, tmp_path: Path) -> None:
    body = gzip.compress(b" " * (64 << 20), compresslevel=9)
    path = "/kev/known_exploited_vulnerabilities.json"
    feed_server.routes[path] = Route(body, headers={"Content-Encoding": "gzip"})
    args = ("db", "update", "-q", "--only", "kev", "--mirror", feed_server.url)
    proc = run_bounded(*args, "--db", str(tmp_path / "vuln.db"))
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr and "SIEVERT_MAX_ARCHIVE_RATIO" in proc.stderr
    assert not list((tmp_path / "feed-cache").rglob("*.json"))
