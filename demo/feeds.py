"""Write a small advisory mirror in the real upstream formats, for `make demo` (no network).

The layout is what `sievert db update --mirror DIR` reads: `debian/tracker.json` (Debian
security tracker JSON), `osv/PyPI/all.zip` (OSV records), `kev/known_exploited_vulnerabilities.json`
(CISA KEV), `epss/epss_scores-current.csv.gz` (FIRST EPSS) and `cvelistV5/cves.zip` (CVE JSON 5).
The advisories name real CVEs and fixed versions; EPSS numbers and CVSS vectors are illustrative.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

# (source package, CVE, status, fixed_version, urgency, nodsa_reason or None)
DEBIAN = [
    ("pam", "CVE-2024-22365", "resolved", "1.5.2-6+deb12u3", "not yet assigned", None),
    ("pam", "CVE-2024-10041", "open", "", "low", ""),
    ("openssl", "CVE-2023-5678", "resolved", "3.0.13-1~deb12u1", "not yet assigned", None),
    ("openssl", "CVE-2024-0727", "resolved", "3.0.13-1~deb12u1", "not yet assigned", None),
    ("glibc", "CVE-2023-4911", "resolved", "2.36-9+deb12u3", "not yet assigned", None),
    ("glibc", "CVE-2024-2961", "resolved", "2.36-9+deb12u6", "not yet assigned", None),
    ("glibc", "CVE-2010-4756", "open", "", "unimportant", None),
    ("curl", "CVE-2023-38545", "resolved", "7.88.1-10+deb12u4", "not yet assigned", None),
    ("curl", "CVE-2024-2398", "resolved", "7.88.1-10+deb12u6", "not yet assigned", None),
    ("libssh2", "CVE-2020-22218", "resolved", "1.10.0-3+deb12u1", "not yet assigned", None),
    ("libssh2", "CVE-2023-48795", "resolved", "0", "not yet assigned", None),
    ("zlib", "CVE-2023-45853", "open", "", "not yet assigned", "ignored"),
]
OSV = [
    (
        "PYSEC-2018-28",
        "requests",
        "2.20.0",
        ["CVE-2018-18074", "GHSA-x84v-xcm2-53pg"],
        "Insufficiently protected credentials in requests",
    ),
    (
        "PYSEC-2019-132",
        "urllib3",
        "1.24.2",
        ["CVE-2019-11324", "GHSA-mh33-7rrq-662w"],
        "Certification check bypass in urllib3",
    ),
    (
        "PYSEC-2019-217",
        "jinja2",
        "2.10.1",
        ["CVE-2019-10906", "GHSA-462w-v97r-4m45"],
        "Sandbox escape in Jinja2 str.format_map",
    ),
]
CVSS = {
    "CVE-2024-2961": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVE-2023-4911": "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
    "CVE-2018-18074": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
    "CVE-2019-11324": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N",
    "CVE-2019-10906": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:N",
}
KEV = [("CVE-2023-4911", "2023-11-21", "2023-12-12", "Unknown")]
EPSS = {
    "CVE-2024-2961": (0.89, 0.995),
    "CVE-2023-4911": (0.76, 0.99),
    "CVE-2018-18074": (0.01, 0.8),
}


def write_mirror(root: Path) -> Path:
    """Write every feed under root; returns root."""
    _write(root / "debian" / "tracker.json", json.dumps(_tracker()).encode())
    _write(root / "osv" / "PyPI" / "all.zip", _zip({f"{row[0]}.json": _osv(*row) for row in OSV}))
    kev = {
        "catalogVersion": "demo",
        "vulnerabilities": [
            {"cveID": c, "dateAdded": a, "dueDate": d, "knownRansomwareCampaignUse": r}
            for c, a, d, r in KEV
        ],
    }
    _write(root / "kev" / "known_exploited_vulnerabilities.json", json.dumps(kev).encode())
    lines = [
        "#model_version:v2025.03.14,score_date:2026-11-29T00:00:00+0000",
        "cve,epss,percentile",
    ]
    lines += [f"{cve},{s:.5f},{p:.5f}" for cve, (s, p) in sorted(EPSS.items())]
    _write(
        root / "epss" / "epss_scores-current.csv.gz",
        gzip.compress(("\n".join(lines) + "\n").encode()),
    )
    _write(
        root / "cvelistV5" / "cves.zip", _zip({_cve_path(c): _cve5(c, v) for c, v in CVSS.items()})
    )
    return root


def _tracker() -> dict[str, dict[str, object]]:
    tracker: dict[str, dict[str, object]] = {}
    for source, cve, status, fixed, urgency, nodsa in DEBIAN:
        release: dict[str, object] = {
            "status": status,
            "repositories": {"bookworm": fixed or "0"},
            "urgency": urgency,
        }
        if fixed:
            release["fixed_version"] = fixed
        if nodsa is not None:
            release["nodsa"] = "yes"
            release["nodsa_reason"] = nodsa
        tracker.setdefault(source, {})[cve] = {
            "description": f"{source}: {cve}",
            "releases": {"bookworm": release},
        }
    return tracker


def _osv(vuln_id: str, package: str, fixed: str, aliases: list[str], summary: str) -> bytes:
    record = {
        "schema_version": "1.6.0",
        "id": vuln_id,
        "modified": "2024-01-01T00:00:00Z",
        "published": "2019-01-01T00:00:00Z",
        "aliases": aliases,
        "summary": summary,
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": package},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
    }
    return json.dumps(record).encode()


def _cve_path(cve: str) -> str:
    year, number = cve.split("-")[1:]
    return f"cves/{year}/{number[:-3]}xxx/{cve}.json"


def _cve5(cve: str, vector: str) -> bytes:
    record = {
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": {
            "cveId": cve,
            "state": "PUBLISHED",
            "assignerShortName": "demo",
            "datePublished": "2024-01-01T00:00:00Z",
        },
        "containers": {
            "cna": {
                "descriptions": [{"lang": "en", "value": f"{cve} (demo record)."}],
                "metrics": [{"cvssV3_1": {"version": "3.1", "vectorString": vector}}],
                "references": [{"url": f"https://www.cve.org/CVERecord?id={cve}"}],
            }
        },
    }
    return json.dumps(record).encode()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(members.items()):
            zf.writestr(name, data)
    return buf.getvalue()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
