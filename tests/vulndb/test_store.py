"""The store's lookups on a database built from a small directory mirror."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import sievert.vulndb as vulndb
from sievert.errors import DatabaseError
from sievert.model.vuln import FIXED, RangeEvent
from sievert.vulndb.store import SCHEMA_VERSION, VulnDB
from sievert.vulndb.update import update
from tests.vulndb import feedfactory as ff


@pytest.fixture
def db(mirror_dir: Path, tmp_path: Path) -> Iterator[VulnDB]:
    report = update(tmp_path / "vuln.db", mirror=str(mirror_dir))
    assert report.written and report.failed == []
    with vulndb.open(tmp_path / "vuln.db") as opened:
        yield opened


def test_affected_returns_statements_with_ranges(db: VulnDB) -> None:
    (leftpad,) = db.affected("npm", "leftpad")
    assert leftpad.vuln_id == ff.GHSA_ID and leftpad.fix_state == FIXED
    assert leftpad.ranges[0].events == (RangeEvent("introduced", "0"), RangeEvent("fixed", "1.3.0"))
    assert db.affected("npm", "nothing-here") == []


def test_get_merges_every_source(db: VulnDB) -> None:
    vuln = db.get(ff.CVE_1)
    assert vuln is not None
    assert vuln.aliases == (ff.GHSA_ID,)
    assert vuln.description == "The CNA's description."  # the CVE record wins over OSV/Debian
    assert vuln.summary == "Prototype pollution in leftpad"
    assert {s.source for s in vuln.cvss} == {"demo-cna", "cisa-adp", "ghsa"}
    assert (vuln.kev_date_added, vuln.kev_ransomware) == ("2099-01-05", True)
    assert (vuln.epss_score, vuln.epss_percentile) == (0.12345, 0.91)
    assert [e.id for e in vuln.exploits] == ["51234"]
    assert set(vuln.cwes) == {"CWE-79", "CWE-1321"}


def test_aliases_resolve_both_ways(db: VulnDB) -> None:
    ghsa = db.get(ff.GHSA_ID)
    assert ghsa is not None and ghsa.aliases == (ff.CVE_1,)
    assert ghsa.description == "Long text."  # its own record first
    assert ghsa.kev_date_added == "2099-01-05"  # KEV reached through the CVE alias
    assert db.aliases(ff.CVE_1) == [ff.GHSA_ID]


def test_get_unknown_and_rejected(db: VulnDB) -> None:
    assert db.get("CVE-1900-0001") is None
    rejected = db.get("CVE-2099-0002")
    assert rejected is not None and rejected.rejected


def test_get_id_known_only_from_statements(db: VulnDB) -> None:
    vuln = db.get("CVE-2099-0004")  # Alpine "0" entry: no other feed knows it
    assert vuln is not None and vuln.id == "CVE-2099-0004"


def test_search_by_ecosystem_distro_and_version(db: VulnDB) -> None:
    assert [a.vuln_id for a in db.search("Foo_Bar.baz", ecosystem="PyPI")] == ["PYSEC-2099-1"]
    assert db.search("foo-bar-baz")[0].namespace == "pypi"
    assert len(db.search("demo", distro="debian")) == 8
    assert [a.namespace for a in db.search("demo", distro="debian:bookworm")] == ["debian:bookworm"]
    assert [a.vuln_id for a in db.search("leftpad", "1.2.9", ecosystem="npm")] == [ff.GHSA_ID]
    assert db.search("leftpad", "1.3.0", ecosystem="npm") == []
    assert [a.vuln_id for a in db.search("leftpad", "2.0.3", ecosystem="npm")] == [ff.GHSA_ID]
    assert db.search("demo", "1.0-2", distro="debian:bookworm") == []
    assert len(db.search("demo", "1.0-1", distro="debian:bookworm")) == 1
    assert db.search("demo", "1.0-1", distro="debian:bullseye") == []  # not-affected
    assert [a.vuln_id for a in db.search("musl", "1.2.4-r0", distro="alpine")] == [
        "CVE-2099-0003",
        "CVE-2099-0005",
    ]


def test_status_has_meta_and_sources(db: VulnDB) -> None:
    status = db.status()
    assert status.schema_version == SCHEMA_VERSION and status.built_at
    by_name = {s.name: s for s in status.sources}
    assert by_name["osv"].affected == 3 and by_name["osv"].notices == 2
    assert by_name["epss"].detail["model_version"] == "v2025.03.14"
    assert status.size > 0


def test_missing_and_foreign_databases(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match=r"no vulnerability database at .*run `sievert db"):
        vulndb.open(tmp_path / "none.db")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite" * 100)
    with pytest.raises(DatabaseError, match="not a Sievert vulnerability database"):
        vulndb.open(junk)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.close()
    with pytest.raises(DatabaseError, match=r"other\.db"):
        vulndb.open(other)


def test_default_path_follows_sievert_db_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, mirror_dir: Path
) -> None:
    monkeypatch.setenv("SIEVERT_DB_DIR", str(tmp_path / "data"))
    update(mirror=str(mirror_dir), only="kev")
    with vulndb.open() as opened:
        assert opened.path == tmp_path / "data" / "vuln.db"
