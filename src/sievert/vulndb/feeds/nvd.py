"""NVD CVE API 2.0 pages (optional source: `--only nvd`; API key in $NVD_API_KEY)."""

from __future__ import annotations

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
    load_json,
)

METRICS = ("cvssMetricV2", "cvssMetricV30", "cvssMetricV31", "cvssMetricV40")
NVD_SOURCE = "nvd@nist.gov"


def parse_nvd(path: Path, name: str = "") -> FeedResult:
    """One page of the CVE API 2.0 answer: descriptions, CVSS (NVD's and others'), CWEs."""
    document = load_json(path)
    if not isinstance(document, dict) or not isinstance(document.get("vulnerabilities"), list):
        raise FeedError(f"{path}: not an NVD CVE API 2.0 page (no `vulnerabilities` list)")
    result = FeedResult()
    for index, item in enumerate(document["vulnerabilities"]):
        cve = as_dict(as_dict(item).get("cve"))
        if not as_str(cve.get("id")):
            result.notice(f"{name or path.name}: entry {index} without an id skipped")
            continue
        result.vulns.append(_vulnerability(cve, f"{name or path.name}:{cve['id']}", result))
    return result


def _vulnerability(cve: dict[str, object], where: str, out: FeedResult) -> Vulnerability:
    descriptions = [as_dict(d) for d in as_list(cve.get("descriptions"))]
    english = [as_str(d.get("value")) for d in descriptions if d.get("lang") == "en"]
    cwes = [
        as_str(as_dict(d).get("value"))
        for w in as_list(cve.get("weaknesses"))
        for d in as_list(as_dict(w).get("description"))
    ]
    return Vulnerability(
        id=as_str(cve.get("id")),
        description=english[0] if english else "",
        published=as_str(cve.get("published")),
        modified=as_str(cve.get("lastModified")),
        cvss=_scores(as_dict(cve.get("metrics")), where, out),
        cwes=tuple(dict.fromkeys(c for c in cwes if c.startswith("CWE-"))),
        references=tuple(as_str(as_dict(r).get("url")) for r in as_list(cve.get("references"))),
        rejected=as_str(cve.get("vulnStatus")) == "Rejected",
    )


def _scores(metrics: dict[str, object], where: str, out: FeedResult) -> tuple[CvssScore, ...]:
    scores = []
    for key in METRICS:
        for item in as_list(metrics.get(key)):
            metric = as_dict(item)
            data = as_dict(metric.get("cvssData"))
            source = as_str(metric.get("source"))
            given = data.get("baseScore")
            try:
                scores.append(
                    cvss_score(
                        as_str(data.get("vectorString")),
                        "nvd" if source == NVD_SOURCE else source or "nvd",
                        float(given) if isinstance(given, int | float) else None,
                    )
                )
            except ValueError as exc:
                out.notice(f"{where}: {exc}")
    return tuple(scores)


def _files(settings: Settings) -> list[FileSpec]:
    return [FileSpec(settings.nvd_url, "cves.json")]


FEED = Feed(name="nvd", folder="nvd", files=_files, parse=parse_nvd, default=False, paged=True)
