"""CVE JSON 5 records (cvelistV5 release zip) with their CNA and CISA-ADP containers."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

from sievert.errors import FeedError
from sievert.model.vuln import CvssScore, Vulnerability
from sievert.vulndb.feeds.base import (
    Feed,
    FeedResult,
    FileSpec,
    Settings,
    as_dict,
    as_list,
    as_str,
    cvss_score,
)

RELEASES_URL = "https://api.github.com/repos/CVEProject/cvelistV5/releases/latest"
ASSET_SUFFIX = "_all_CVEs_at_midnight.zip.zip"
METRIC_KEYS = ("cvssV2_0", "cvssV3_0", "cvssV3_1", "cvssV4_0")
MEMBER = re.compile(r"(^|/)CVE-\d{4}-\d+\.json$")


def parse_cve5(path: Path, name: str = "") -> FeedResult:
    """Parse a cvelistV5 zip (`cves/<year>/<n>xxx/CVE-*.json`, or the release's zip-in-a-zip)."""
    result = FeedResult()
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            inner = [n for n in names if n.endswith("cves.zip")]
            if inner and not any(MEMBER.search(n) for n in names):
                return _parse_inner(archive, inner[0], path)
            for member in names:
                if MEMBER.search(member):
                    _parse_member(archive.read(member), member, result)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise FeedError(f"{path}: corrupt zip: {exc}") from exc
    return result


def _parse_inner(archive: zipfile.ZipFile, member: str, path: Path) -> FeedResult:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "cves.zip"
        with archive.open(member) as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        return parse_cve5(target, f"{path.name}:{member}")


def _parse_member(data: bytes, where: str, out: FeedResult) -> None:
    try:
        record = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        out.notice(f"{where}: invalid JSON record skipped: {exc}")
        return
    vuln = parse_record(as_dict(record), where, out)
    if vuln is not None:
        out.vulns.append(vuln)


def parse_record(record: dict[str, object], where: str, out: FeedResult) -> Vulnerability | None:
    """One CVE record as a Vulnerability (None with a notice when it has no CVE id)."""
    meta = as_dict(record.get("cveMetadata"))
    cve_id = as_str(meta.get("cveId"))
    if not cve_id:
        out.notice(f"{where}: record without cveMetadata.cveId skipped")
        return None
    containers = as_dict(record.get("containers"))
    cna = as_dict(containers.get("cna"))
    adps = [as_dict(a) for a in as_list(containers.get("adp"))]
    rejected = as_str(meta.get("state")) == "REJECTED"
    texts = cna.get("rejectedReasons") if rejected else cna.get("descriptions")
    cna_name = as_str(meta.get("assignerShortName")) or _short_name(cna) or "cna"
    scores = _metrics(cna, cna_name, where, out)
    for adp in adps:
        scores += _metrics(adp, _adp_source(adp), where, out)
    return Vulnerability(
        id=cve_id,
        description=_english(texts),
        published=as_str(meta.get("datePublished")),
        modified=as_str(meta.get("dateUpdated")),
        cvss=tuple(scores),
        cwes=tuple(dict.fromkeys(c for cont in [cna, *adps] for c in _cwes(cont))),
        references=tuple(dict.fromkeys(u for cont in [cna, *adps] for u in _refs(cont))),
        rejected=rejected,
    )


def _short_name(container: dict[str, object]) -> str:
    return as_str(as_dict(container.get("providerMetadata")).get("shortName"))


def _adp_source(container: dict[str, object]) -> str:
    name = _short_name(container)
    return "cisa-adp" if name == "CISA-ADP" else (name.lower() or "adp")


def _english(value: object) -> str:
    entries = [as_dict(e) for e in as_list(value)]
    for entry in entries:
        if as_str(entry.get("lang")).lower().startswith("en"):
            return as_str(entry.get("value"))
    return as_str(entries[0].get("value")) if entries else ""


def _metrics(
    container: dict[str, object], source: str, where: str, out: FeedResult
) -> list[CvssScore]:
    scores = []
    for item in as_list(container.get("metrics")):
        metric = as_dict(item)
        for key in METRIC_KEYS:
            data = as_dict(metric.get(key))
            vector = as_str(data.get("vectorString"))
            if not vector:
                continue
            given = data.get("baseScore")
            score = float(given) if isinstance(given, int | float) else None
            try:
                scores.append(cvss_score(vector, source, score))
            except ValueError as exc:
                out.notice(f"{where}: {exc}")
    return scores


def _cwes(container: dict[str, object]) -> list[str]:
    found = []
    for problem in as_list(container.get("problemTypes")):
        for item in as_list(as_dict(problem).get("descriptions")):
            cwe = as_str(as_dict(item).get("cweId"))
            if cwe.upper().startswith("CWE-"):
                found.append(cwe.upper())
    return found


def _refs(container: dict[str, object]) -> list[str]:
    return [u for r in as_list(container.get("references")) if (u := as_str(as_dict(r).get("url")))]


def _files(settings: Settings) -> list[FileSpec]:
    return [FileSpec(RELEASES_URL, "cves.zip", release_asset=ASSET_SUFFIX)]


FEED = Feed(name="cve", folder="cvelistV5", files=_files, parse=parse_cve5)
