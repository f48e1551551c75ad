"""CISA Known Exploited Vulnerabilities catalog (JSON)."""

from __future__ import annotations

from pathlib import Path

from sievert.errors import FeedError
from sievert.jsonvalue import as_dict, as_str
from sievert.model.vuln import Vulnerability
from sievert.vulndb.feeds.base import Feed, FeedResult, FileSpec, Settings, load_json

URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"


def parse_kev(path: Path, name: str = "") -> FeedResult:
    """KEV entries as Vulnerability facts: dateAdded, dueDate, known ransomware use."""
    document = load_json(path)
    if not isinstance(document, dict) or not isinstance(document.get("vulnerabilities"), list):
        raise FeedError(f"{path}: not a KEV catalog (no `vulnerabilities` list)")
    result = FeedResult(info={"catalog_version": as_str(document.get("catalogVersion"))})
    for index, item in enumerate(document["vulnerabilities"]):
        entry = as_dict(item)
        cve = as_str(entry.get("cveID"))
        if not cve.startswith("CVE-"):
            result.skip(f"{name or path.name}: entry {index} without a cveID skipped")
            continue
        result.vulns.append(
            Vulnerability(
                id=cve,
                kev_date_added=as_str(entry.get("dateAdded")),
                kev_due_date=as_str(entry.get("dueDate")),
                kev_ransomware=as_str(entry.get("knownRansomwareCampaignUse")).lower() == "known",
            )
        )
    return result


def _files(settings: Settings) -> list[FileSpec]:
    return [FileSpec(URL, "known_exploited_vulnerabilities.json")]


FEED = Feed(name="kev", folder="kev", files=_files, parse=parse_kev)
