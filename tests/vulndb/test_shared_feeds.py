"""Integration: `sievert db update --mirror <shared feeds>` and the known records in it."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import sievert.cli.db_commands  # noqa: F401
import sievert.vulndb as vulndb
from sievert.cli.main import cli
from sievert.model.vuln import AFFECTED, FIXED, NOT_AFFECTED

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def shared_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import SHARED_FEEDS

    if not SHARED_FEEDS.is_dir():
        pytest.skip("../shared/feeds not present (fresh clone): real-feed test skipped")
    db = tmp_path_factory.mktemp("shared") / "vuln.db"
    result = CliRunner().invoke(
        cli, ["db", "update", "-q", "--mirror", str(SHARED_FEEDS), "--db", str(db)]
    )
    assert result.exit_code == 0, result.stderr
    return db


def kev_entry(feeds: Path, cve: str) -> dict[str, str]:
    catalog = json.loads((feeds / "kev" / "known_exploited_vulnerabilities.json").read_text())
    return next(v for v in catalog["vulnerabilities"] if v["cveID"] == cve)


def epss_row(feeds: Path, cve: str) -> list[str]:
    with gzip.open(feeds / "epss" / "epss_scores-current.csv.gz", "rt") as text:
        return next(row for row in csv.reader(text) if row[0] == cve)


def test_lodash_ghsa_and_alias(shared_db: Path, shared_feeds: Path) -> None:
    with vulndb.open(shared_db) as db:
        ghsa = db.get("GHSA-p6mc-m468-83gw")
        assert ghsa is not None and "CVE-2020-8203" in ghsa.aliases
        assert db.get("CVE-2020-8203").aliases == ("GHSA-p6mc-m468-83gw",)  # type: ignore[union-attr]
        lodash = [a for a in db.affected("npm", "lodash") if a.vuln_id == "GHSA-p6mc-m468-83gw"]
        assert lodash and lodash[0].ranges
        hits = db.search("lodash", "4.17.15", ecosystem="npm")
        assert "GHSA-p6mc-m468-83gw" in {a.vuln_id for a in hits}


def test_debian_pam_and_libssh2(shared_db: Path, shared_feeds: Path) -> None:
    with vulndb.open(shared_db) as db:
        pam = {a.vuln_id: a for a in db.affected("debian:bookworm", "pam")}
        assert (pam["CVE-2024-22365"].fix_state, pam["CVE-2024-22365"].fixed_version) == (
            FIXED,
            "1.5.2-6+deb12u3",
        )
        assert (pam["CVE-2024-10041"].fix_state, pam["CVE-2024-10041"].note) == (
            AFFECTED,
            "no-dsa",
        )
        ssh = {a.vuln_id: a for a in db.affected("debian:bookworm", "libssh2")}
        assert ssh["CVE-2023-48795"].fix_state == NOT_AFFECTED


def test_kev_and_epss_values(shared_db: Path, shared_feeds: Path) -> None:
    cve = "CVE-2025-48384"  # the first entry of the KEV file (Git link following)
    kev, epss = kev_entry(shared_feeds, cve), epss_row(shared_feeds, cve)
    with vulndb.open(shared_db) as db:
        vuln = db.get(cve)
    assert vuln is not None
    assert (vuln.kev_date_added, vuln.kev_due_date) == (kev["dateAdded"], kev["dueDate"])
    assert vuln.kev_ransomware == (kev["knownRansomwareCampaignUse"] == "Known")
    assert (vuln.epss_score, vuln.epss_percentile) == (float(epss[1]), float(epss[2]))


def test_every_source_imported(shared_db: Path, shared_feeds: Path) -> None:
    with vulndb.open(shared_db) as db:
        status = {s.name: s for s in db.status().sources}
    assert {n: s.status for n, s in status.items()} == {
        "osv": "ok", "debian": "ok", "alpine": "ok", "cve": "ok", "kev": "ok", "epss": "ok",
        "exploitdb": "skipped",
    }  # fmt: skip
    assert status["kev"].records == 1404 and status["epss"].records == 360142
    assert status["cve"].records == 1311
