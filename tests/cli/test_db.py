"""`sievert db ...` through click's CliRunner: output, exit codes 0 / 2 / 3."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

import sievert.cli.db_commands  # noqa: F401  (attaches `db` to the group)
from sievert.cli.main import cli
from tests.vulndb.conftest import FeedServer, Route


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_update_status_export_import(mirror_dir: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "vuln.db")
    code, _, err = invoke("db", "update", "--mirror", str(mirror_dir), "--db", db)
    assert code == 0, err
    assert "osv" in err and "epss" in err  # the summary table on stderr
    code, out, _ = invoke("db", "status", "--db", db)
    assert code == 0 and "schema: 2" in out and "exploitdb" in out
    code, out, _ = invoke("db", "status", "--db", db, "-f", "json")
    assert code == 0
    assert {s["name"] for s in json.loads(out)["sources"]} >= {"osv", "kev", "epss"}
    archive = str(tmp_path / "db.zst")
    code, out, _ = invoke("db", "export", archive, "--db", db)
    assert code == 0 and "sha256" in out
    code, out, _ = invoke("db", "import", archive, "--db", str(tmp_path / "copy.db"))
    assert code == 0 and (tmp_path / "copy.db").read_bytes() == (tmp_path / "vuln.db").read_bytes()


def test_quiet_update_prints_nothing(mirror_dir: Path, tmp_path: Path) -> None:
    args = ("db", "update", "-q", "--mirror", str(mirror_dir), "--db", str(tmp_path / "v.db"))
    code, out, err = invoke(*args)
    assert (code, out, err) == (0, "", "")


def test_failed_source_exits_3_and_keeps_the_rest(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.routes["/kev/known_exploited_vulnerabilities.json"] = Route(b"", status=500)
    db = str(tmp_path / "vuln.db")
    code, _, err = invoke("db", "update", "-q", "--mirror", feed_server.url, "--db", db)
    assert code == 3
    assert "source(s) failed: kev" in err and "HTTP 500" in err
    code, out, _ = invoke("db", "status", "--db", db)
    assert code == 0 and "failed" in out


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    code, _, err = invoke("db", "update", "--only", "nope", "--db", str(tmp_path / "v.db"))
    assert code == 2 and "unknown source(s) nope" in err
    code, _, _ = invoke("db", "update", "--bogus-flag")
    assert code == 2


def test_missing_db_and_tampered_import_exit_3(mirror_dir: Path, tmp_path: Path) -> None:
    code, _, err = invoke("db", "status", "--db", str(tmp_path / "none.db"))
    assert code == 3 and "no vulnerability database at" in err and "sievert db update" in err
    db = str(tmp_path / "vuln.db")
    invoke("db", "update", "-q", "--mirror", str(mirror_dir), "--only", "kev", "--db", db)
    archive = tmp_path / "db.zst"
    invoke("db", "export", str(archive), "--db", db)
    data = bytearray(archive.read_bytes())
    data[-40] ^= 0x55
    archive.write_bytes(bytes(data))
    code, _, err = invoke("db", "import", str(archive), "--db", str(tmp_path / "new.db"))
    assert code == 3 and "db.zst" in err
    assert not (tmp_path / "new.db").exists()
