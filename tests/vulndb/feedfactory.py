"""Small feeds written in the upstream formats and layouts, for tests."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

GHSA_ID = "GHSA-aaaa-bbbb-cccc"
CVE_1 = "CVE-2099-0001"
CVSS_31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8 critical
CVSS_ADP = "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H"  # 7.4 high


def osv_npm_records() -> dict[str, bytes]:
    """Members of osv/npm/all.zip: a good record, an invalid JSON one, an unknown ecosystem."""
    ghsa = {
        "schema_version": "1.6.0",
        "id": GHSA_ID,
        "modified": "2024-01-02T00:00:00Z",
        "published": "2024-01-01T00:00:00Z",
        "aliases": [CVE_1],
        "summary": "Prototype pollution in leftpad",
        "details": "Long text.",
        "severity": [{"type": "CVSS_V3", "score": CVSS_31}],
        "affected": [
            {
                "package": {"ecosystem": "npm", "name": "leftpad"},
                "ranges": [
                    {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.0"}]},
                    {"type": "SEMVER", "events": [{"introduced": "2.0.0"}, {"fixed": "2.0.4"}]},
                ],
            }
        ],
        "references": [{"type": "WEB", "url": "https://example.test/advisory"}],
        "database_specific": {"severity": "MODERATE", "cwe_ids": ["CWE-1321"]},
    }
    mixed = {
        "id": "GHSA-zzzz-yyyy-xxxx",
        "modified": "2024-01-02T00:00:00Z",
        "affected": [
            {"package": {"ecosystem": "Nonexistent", "name": "thing"}, "versions": ["1"]},
            {"package": {"ecosystem": "npm", "name": "@scope/Thing"}, "versions": ["1.0.0"]},
        ],
    }
    return {
        f"{GHSA_ID}.json": json.dumps(ghsa).encode(),
        "GHSA-zzzz-yyyy-xxxx.json": json.dumps(mixed).encode(),
        "BROKEN.json": b'{"id": "GHSA-broken", "affected": [',
    }


def osv_pypi_records() -> dict[str, bytes]:
    """Members of osv/PyPI/all.zip: one record whose name needs PEP 503 normalisation."""
    record = {
        "id": "PYSEC-2099-1",
        "modified": "2024-01-02T00:00:00Z",
        "aliases": ["CVE-2099-0009"],
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "Foo_Bar.baz"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.0"}]}
                ],
                "versions": ["1.0", "1.1"],
            }
        ],
    }
    return {"PYSEC-2099-1.json": json.dumps(record).encode()}


def debian_tracker() -> dict[str, object]:
    """A tracker export covering every status the importer maps."""

    def rel(status: str, **extra: str) -> dict[str, object]:
        return {"status": status, "repositories": {}, "urgency": "not yet assigned", **extra}

    return {
        "demo": {
            CVE_1: {
                "description": "Demo flaw.",
                "releases": {
                    "bookworm": rel("resolved", fixed_version="1.0-2", urgency="medium**"),
                    "bullseye": rel("resolved", fixed_version="0"),
                    "trixie": rel("open", nodsa="Minor issue", nodsa_reason="postponed"),
                    "sid": rel("open", nodsa="Minor issue", nodsa_reason=""),
                    "forky": rel("open", nodsa="Not worth it", nodsa_reason="ignored"),
                    "buster": rel("undetermined", urgency="unimportant"),
                    "stretch": rel("open", urgency="end-of-life"),
                    "jessie": rel("open", urgency="high"),
                },
            }
        },
        "broken": "not an object",
    }


def alpine_main() -> dict[str, object]:
    """An Alpine 3.23 secdb `main` file."""
    return {
        "reponame": "main",
        "distroversion": "v3.23",
        "packages": [
            {
                "pkg": {
                    "name": "musl",
                    "secfixes": {
                        "1.2.4-r1": ["CVE-2099-0003"],
                        "0": ["CVE-2099-0004"],
                        "2.0-r0": ["CVE-2099-0005 XSA-99"],
                    },
                }
            },
            {"pkg": {"name": "nofixes"}},
        ],
    }


def cve_records() -> dict[str, bytes]:
    """cvelistV5 members: a published record with CNA and CISA-ADP metrics, a rejected one."""
    published = {
        "dataType": "CVE_RECORD",
        "cveMetadata": {
            "cveId": CVE_1,
            "state": "PUBLISHED",
            "assignerShortName": "demo-cna",
            "datePublished": "2099-01-01T00:00:00Z",
            "dateUpdated": "2099-02-01T00:00:00Z",
        },
        "containers": {
            "cna": {
                "descriptions": [{"lang": "en", "value": "The CNA's description."}],
                "metrics": [{"cvssV3_1": {"vectorString": CVSS_31}}],
                "problemTypes": [{"descriptions": [{"type": "CWE", "cweId": "CWE-79"}]}],
                "references": [{"url": "https://example.test/cna"}],
            },
            "adp": [
                {
                    "providerMetadata": {"shortName": "CISA-ADP"},
                    "metrics": [{"cvssV3_1": {"vectorString": CVSS_ADP, "baseScore": 7.4}}],
                }
            ],
        },
    }
    rejected = {
        "cveMetadata": {"cveId": "CVE-2099-0002", "state": "REJECTED"},
        "containers": {"cna": {"rejectedReasons": [{"lang": "en", "value": "Duplicate."}]}},
    }
    return {
        f"cves/2099/0xxx/{CVE_1}.json": json.dumps(published).encode(),
        "cves/2099/0xxx/CVE-2099-0002.json": json.dumps(rejected).encode(),
        "cves/delta.json": b"{}",
    }


def kev_catalog() -> dict[str, object]:
    """A KEV catalog naming CVE_1."""
    return {
        "catalogVersion": "2099.01.01",
        "vulnerabilities": [
            {
                "cveID": CVE_1,
                "dateAdded": "2099-01-05",
                "dueDate": "2099-01-26",
                "knownRansomwareCampaignUse": "Known",
            },
            {"vendorProject": "no id"},
        ],
    }


def epss_csv() -> bytes:
    """FIRST's layout: a comment line, the header, rows (one malformed)."""
    text = (
        "#model_version:v2025.03.14,score_date:2099-01-01T00:00:00+0000\n"
        "cve,epss,percentile\n"
        f"{CVE_1},0.12345,0.91000\n"
        "CVE-2099-0003,0.00100,0.10000\n"
        "CVE-2099-0008,not-a-number,0.5\n"
    )
    return gzip.compress(text.encode())


def exploitdb_csv() -> bytes:
    """Exploit-DB's columns, one exploit naming CVE_1 and an OSVDB id."""
    return (
        "id,file,description,date_published,author,type,platform,port,date_added,"
        "date_updated,verified,codes,tags,aliases,screenshot_url,application_url,source_url\n"
        f"51234,exploits/linux/remote/51234.py,Demo RCE,2099-01-03,someone,remote,linux,,"
        f"2099-01-03,2099-01-03,1,{CVE_1};OSVDB-1,,,,,\n"
    ).encode()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """A zip holding members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def write_mirror(root: Path) -> None:
    """Every feed under root in the mirror layout (`<folder>/<path>`)."""
    files = {
        "osv/npm/all.zip": zip_bytes(osv_npm_records()),
        "osv/PyPI/all.zip": zip_bytes(osv_pypi_records()),
        "debian/tracker.json": json.dumps(debian_tracker()).encode(),
        "alpine/v3.23/main.json": json.dumps(alpine_main()).encode(),
        "cvelistV5/cves.zip": zip_bytes(cve_records()),
        "kev/known_exploited_vulnerabilities.json": json.dumps(kev_catalog()).encode(),
        "epss/epss_scores-current.csv.gz": epss_csv(),
        "exploitdb/files_exploits.csv": exploitdb_csv(),
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
