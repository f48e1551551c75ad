"""Each feed parser on small feeds in the upstream formats, including broken records."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from sievert.errors import FeedError
from sievert.model.vuln import (
    AFFECTED,
    DEFERRED,
    END_OF_LIFE,
    FIXED,
    NOT_AFFECTED,
    UNDER_INVESTIGATION,
    WONT_FIX,
    RangeEvent,
)
from sievert.vulndb.feeds.alpine import parse_alpine
from sievert.vulndb.feeds.base import cvss_score, rating
from sievert.vulndb.feeds.cve5 import parse_cve5
from sievert.vulndb.feeds.debian import parse_debian
from sievert.vulndb.feeds.epss import parse_epss
from sievert.vulndb.feeds.exploitdb import parse_exploitdb
from sievert.vulndb.feeds.kev import parse_kev
from sievert.vulndb.feeds.nvd import parse_nvd
from sievert.vulndb.feeds.osv import namespace_for, parse_osv
from sievert.vulndb.plugins import FEEDS
from tests.vulndb import feedfactory as ff


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_feeds_tuple_names_every_importer() -> None:
    assert [f.name for f in FEEDS] == [
        "osv", "debian", "alpine", "cve", "nvd", "kev", "epss", "exploitdb",
    ]  # fmt: skip
    assert [f.name for f in FEEDS if not f.default] == ["nvd"]


def test_osv_ranges_aliases_severity_and_notices(tmp_path: Path) -> None:
    path = write(tmp_path, "all.zip", ff.zip_bytes(ff.osv_npm_records()))
    result = parse_osv(path, "npm/all.zip")
    ghsa = next(v for v in result.vulns if v.id == ff.GHSA_ID)
    assert ghsa.aliases == (ff.CVE_1,)
    assert ghsa.cvss[0].base_score == 9.8 and ghsa.cvss[0].severity == "critical"
    assert ghsa.cvss[0].source == "ghsa"
    assert ghsa.cwes == ("CWE-1321",)
    assert ghsa.published == "2024-01-01T00:00:00Z"
    assert ghsa.references == ("https://example.test/advisory",)
    leftpad = next(a for a in result.affected if a.package == "leftpad")
    assert leftpad.namespace == "npm" and leftpad.fix_state == FIXED
    assert leftpad.fixed_version == "1.3.0, 2.0.4"
    assert leftpad.severity == "medium"  # GHSA MODERATE
    assert leftpad.ranges[1].events == (
        RangeEvent("introduced", "2.0.0"),
        RangeEvent("fixed", "2.0.4"),
    )
    scoped = next(a for a in result.affected if a.vuln_id == "GHSA-zzzz-yyyy-xxxx")
    assert scoped.package == "@scope/Thing" and scoped.versions == ("1.0.0",)
    assert scoped.fix_state == AFFECTED
    notices = " | ".join(result.notices)
    assert "BROKEN.json: invalid JSON record skipped" in notices
    assert "unknown ecosystem 'Nonexistent' skipped" in notices
    assert len(result.affected) == 2


def test_osv_pypi_names_are_pep503(tmp_path: Path) -> None:
    path = write(tmp_path, "all.zip", ff.zip_bytes(ff.osv_pypi_records()))
    (affected,) = parse_osv(path).affected
    assert affected.namespace == "pypi" and affected.package == "foo-bar-baz"
    assert affected.versions == ("1.0", "1.1")


def test_osv_corrupt_zip_is_a_feed_error(tmp_path: Path) -> None:
    path = write(tmp_path, "all.zip", b"PK\x03\x04 this is not a zip")
    with pytest.raises(FeedError, match=r"all\.zip: corrupt zip"):
        parse_osv(path)


@pytest.mark.parametrize(
    ("ecosystem", "namespace"),
    [
        ("PyPI", "pypi"),
        ("crates.io", "crates.io"),
        ("Debian:12", "debian:bookworm"),
        ("Alpine:v3.19", "alpine:3.19"),
        ("Ubuntu:22.04:LTS", "ubuntu:jammy"),
        ("Ubuntu:Pro:18.04:LTS", "ubuntu:bionic"),
        ("Nonexistent", None),
    ],
)
def test_osv_namespaces(ecosystem: str, namespace: str | None) -> None:
    assert namespace_for(ecosystem) == namespace


def test_debian_statuses(tmp_path: Path) -> None:
    path = write(tmp_path, "tracker.json", json.dumps(ff.debian_tracker()).encode())
    result = parse_debian(path)
    by_release = {a.namespace.split(":")[1]: a for a in result.affected}
    assert by_release["bookworm"].fix_state == FIXED
    assert by_release["bookworm"].fixed_version == "1.0-2"
    assert by_release["bookworm"].severity == "medium"
    assert by_release["bullseye"].fix_state == NOT_AFFECTED
    assert by_release["trixie"].fix_state == DEFERRED
    assert (by_release["sid"].fix_state, by_release["sid"].note) == (AFFECTED, "no-dsa")
    assert by_release["forky"].fix_state == WONT_FIX
    assert by_release["buster"].fix_state == UNDER_INVESTIGATION
    assert by_release["buster"].severity == "negligible"
    assert by_release["stretch"].fix_state == END_OF_LIFE
    assert (by_release["jessie"].fix_state, by_release["jessie"].severity) == (AFFECTED, "high")
    assert all(a.package == "demo" and a.source == "debian-tracker" for a in result.affected)
    assert any("'broken'" in n for n in result.notices)


def test_debian_invalid_json_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "tracker.json", b'{"pam": {')
    with pytest.raises(FeedError, match=r"tracker\.json: invalid JSON"):
        parse_debian(path)


def test_alpine_secfixes(tmp_path: Path) -> None:
    path = write(tmp_path, "main.json", json.dumps(ff.alpine_main()).encode())
    result = parse_alpine(path, "v3.23/main.json")
    by_id = {a.vuln_id: a for a in result.affected}
    assert by_id["CVE-2099-0003"].namespace == "alpine:3.23"
    assert (by_id["CVE-2099-0003"].fix_state, by_id["CVE-2099-0003"].fixed_version) == (
        FIXED,
        "1.2.4-r1",
    )
    assert by_id["CVE-2099-0004"].fix_state == NOT_AFFECTED
    assert by_id["CVE-2099-0005"].record_id == "alpine-secdb v3.23/main"
    assert result.vulns[0].aliases == ("XSA-99",)


def test_alpine_branch_from_path_when_distroversion_missing(tmp_path: Path) -> None:
    doc = {"packages": [{"pkg": {"name": "x", "secfixes": {"1-r0": ["CVE-1"]}}}]}
    path = write(tmp_path, "main.json", json.dumps(doc).encode())
    assert parse_alpine(path, "edge/main.json").affected[0].namespace == "alpine:edge"


def test_cve5_scores_sources_and_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "cves.zip", ff.zip_bytes(ff.cve_records()))
    result = parse_cve5(path)
    by_id = {v.id: v for v in result.vulns}
    cve = by_id[ff.CVE_1]
    assert cve.description == "The CNA's description."
    assert {(s.source, s.base_score, s.severity) for s in cve.cvss} == {
        ("demo-cna", 9.8, "critical"),
        ("cisa-adp", 7.4, "high"),
    }
    assert cve.cwes == ("CWE-79",)
    assert cve.modified == "2099-02-01T00:00:00Z"
    assert by_id["CVE-2099-0002"].rejected
    assert by_id["CVE-2099-0002"].description == "Duplicate."


def test_cve5_release_zip_in_a_zip(tmp_path: Path) -> None:
    inner = ff.zip_bytes(ff.cve_records())
    path = write(tmp_path, "all.zip.zip", ff.zip_bytes({"cves.zip": inner}))
    assert {v.id for v in parse_cve5(path).vulns} == {ff.CVE_1, "CVE-2099-0002"}


def test_kev(tmp_path: Path) -> None:
    path = write(tmp_path, "kev.json", json.dumps(ff.kev_catalog()).encode())
    result = parse_kev(path)
    (vuln,) = result.vulns
    assert (vuln.kev_date_added, vuln.kev_due_date, vuln.kev_ransomware) == (
        "2099-01-05",
        "2099-01-26",
        True,
    )
    assert result.info["catalog_version"] == "2099.01.01"
    assert len(result.notices) == 1


def test_epss(tmp_path: Path) -> None:
    result = parse_epss(write(tmp_path, "e.csv.gz", ff.epss_csv()))
    scores = {cve: (score, percentile) for cve, score, percentile in result.scores}
    assert scores[ff.CVE_1] == (0.12345, 0.91)
    assert result.info["model_version"] == "v2025.03.14"
    assert "malformed row" in result.notices[0]


def test_epss_corrupt_gzip(tmp_path: Path) -> None:
    data = ff.epss_csv()
    path = write(tmp_path, "e.csv.gz", data[: len(data) // 2])
    with pytest.raises(FeedError, match="corrupt gzip"):
        parse_epss(path)


def test_epss_wrong_header(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv.gz", gzip.compress(b"a,b,c\n1,2,3\n"))
    with pytest.raises(FeedError, match="not an EPSS file"):
        parse_epss(path)


def test_exploitdb(tmp_path: Path) -> None:
    (vuln,) = parse_exploitdb(write(tmp_path, "x.csv", ff.exploitdb_csv())).vulns
    (exploit,) = vuln.exploits
    assert vuln.id == ff.CVE_1
    assert (exploit.id, exploit.title, exploit.published) == ("51234", "Demo RCE", "2099-01-03")
    assert exploit.url == "https://www.exploit-db.com/exploits/51234"


def test_nvd_page(tmp_path: Path) -> None:
    page = {
        "resultsPerPage": 1,
        "startIndex": 0,
        "totalResults": 1,
        "vulnerabilities": [
            {
                "cve": {
                    "id": ff.CVE_1,
                    "published": "2099-01-01T00:00:00.000",
                    "vulnStatus": "Analyzed",
                    "descriptions": [{"lang": "en", "value": "NVD text"}],
                    "metrics": {
                        "cvssMetricV31": [
                            {"source": "nvd@nist.gov", "cvssData": {"vectorString": CVSS}}
                        ],
                        "cvssMetricV2": [
                            {
                                "source": "x@y",
                                "cvssData": {"vectorString": "AV:N/AC:L/Au:N/C:P/I:P/A:P"},
                            }
                        ],
                    },
                    "weaknesses": [{"description": [{"lang": "en", "value": "CWE-787"}]}],
                }
            },
            {"cve": {}},
        ],
    }
    result = parse_nvd(write(tmp_path, "p.json", json.dumps(page).encode()))
    (vuln,) = result.vulns
    assert {(s.source, s.version, s.base_score, s.severity) for s in vuln.cvss} == {
        ("nvd", "3.1", 9.8, "critical"),
        ("x@y", "2.0", 7.5, "high"),
    }
    assert vuln.cwes == ("CWE-787",) and vuln.description == "NVD text"
    assert len(result.notices) == 1


CVSS = ff.CVSS_31


def test_cvss_scoring_and_rating_table() -> None:
    v4 = cvss_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "x")
    assert (v4.version, v4.base_score, v4.severity) == ("4.0", 9.3, "critical")
    assert [rating(s) for s in (0.0, 0.1, 3.9, 4.0, 6.9, 7.0, 8.9, 9.0)] == [
        "negligible", "low", "low", "medium", "medium", "high", "high", "critical",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="malformed CVSS vector"):
        cvss_score("CVSS:3.1/AV:Q", "x")


def test_osv_distro_ecosystems_map_to_the_matchers_namespaces() -> None:
    from sievert.vulndb.feeds.osv import namespace_for

    assert namespace_for("Debian:12") == "debian:bookworm"
    assert namespace_for("Ubuntu:22.04:LTS") == "ubuntu:jammy"
    assert namespace_for("Alpine:v3.23") == "alpine:3.23"
    assert namespace_for("Rocky Linux:9") == "rocky:9"
    assert namespace_for("AlmaLinux:8") == "almalinux:8"
    assert namespace_for("Red Hat:enterprise_linux:9::appstream") == "rhel:9"
    assert namespace_for("Wolfi") == "wolfi:rolling"
    assert namespace_for("Mageia:9") is None
