"""A vulnerability database for the host tests: the demo feed mirror (upstream formats) with
Debian kernel advisories added to its security tracker file, their CVE JSON 5 records (CNA and
CISA-ADP CWEs and CVSS vectors) to cvelistV5, a KEV entry, and OSV `Rocky Linux:9` advisories."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from demo.feeds import write_mirror

from tests.clitools import run_sievert
from tests.host.roots import KERNEL_CVES, KERNEL_KEV, KERNEL_RECORDS, ROCKY_ADVISORIES


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`sievert db update --mirror` of the demo feeds plus the kernel advisories."""
    root = tmp_path_factory.mktemp("hostdb")
    mirror = write_mirror(root / "mirror")
    tracker_path = mirror / "debian" / "tracker.json"
    tracker = json.loads(tracker_path.read_text())
    for cve, (description, fixed) in KERNEL_CVES.items():
        release = {"status": "resolved", "repositories": {"bookworm": fixed}}
        release |= {"fixed_version": fixed, "urgency": "high"}
        tracker.setdefault("linux", {})[cve] = {
            "description": description,
            "releases": {"bookworm": release},
        }
    tracker_path.write_text(json.dumps(tracker))
    add_kernel_records(mirror)
    add_rocky_advisories(mirror)
    db = root / "vuln.db"
    proc = run_sievert("db", "update", "--mirror", str(mirror), "--db", str(db), "-q")
    assert proc.returncode == 0, proc.stderr
    return db


def cve5_record(cve: str, containers: dict[str, dict[str, str]]) -> dict[str, object]:
    """A CVE JSON 5 record with a CNA container and, when given, a CISA-ADP one."""

    def container(name: str, facts: dict[str, str]) -> dict[str, object]:
        body: dict[str, object] = {
            "providerMetadata": {"shortName": name},
            "problemTypes": [{"descriptions": [{"lang": "en", "cweId": facts["cwe"]}]}],
        }
        if facts["vector"]:
            body["metrics"] = [{"cvssV3_1": {"version": "3.1", "vectorString": facts["vector"]}}]
        return body

    cna = container("kernel", containers["cna"])
    cna["descriptions"] = [{"lang": "en", "value": KERNEL_CVES[cve][0]}]
    record: dict[str, object] = {"cna": cna}
    if "CISA-ADP" in containers:
        record["adp"] = [container("CISA-ADP", containers["CISA-ADP"])]
    return {
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": {"cveId": cve, "state": "PUBLISHED", "assignerShortName": "Linux"},
        "containers": record,
    }


def add_kernel_records(mirror: Path) -> None:
    """The kernel CVEs' records into the mirror's cvelistV5 zip, their KEV entries into KEV."""
    with zipfile.ZipFile(mirror / "cvelistV5" / "cves.zip", "a") as archive:
        for cve, containers in KERNEL_RECORDS.items():
            year, number = cve.split("-")[1:]
            name = f"cves/{year}/{number[:-3]}xxx/{cve}.json"
            archive.writestr(name, json.dumps(cve5_record(cve, containers)))
    kev_path = mirror / "kev" / "known_exploited_vulnerabilities.json"
    kev = json.loads(kev_path.read_text())
    for cve, added in KERNEL_KEV.items():
        kev["vulnerabilities"].append(
            {
                "cveID": cve,
                "dateAdded": added,
                "dueDate": added,
                "knownRansomwareCampaignUse": "Known",
            }
        )
    kev_path.write_text(json.dumps(kev))


def add_rocky_advisories(mirror: Path) -> None:
    """OSV `Rocky Linux:9` records (as osv.dev publishes them) in the mirror's OSV tree."""
    members = {}
    for advisory, package, fixed, aliases in ROCKY_ADVISORIES:
        record = {
            "schema_version": "1.6.0",
            "id": advisory,
            "modified": "2024-04-01T00:00:00Z",
            "published": "2024-03-01T00:00:00Z",
            "aliases": list(aliases),
            "summary": f"Important: {package} security update",
            "affected": [
                {
                    "package": {"ecosystem": "Rocky Linux:9", "name": package},
                    "ranges": [
                        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                    ],
                }
            ],
        }
        members[f"{advisory}.json"] = json.dumps(record)
    target = mirror / "osv" / "Rocky Linux" / "all.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
