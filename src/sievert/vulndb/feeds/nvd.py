"""NVD CVE API 2.0 pages (optional source: `--only nvd`; API key in $NVD_API_KEY)."""

from __future__ import annotations

from pathlib import Path

from sievert.errors import FeedError
from sievert.jsonvalue import as_dict, as_list, as_str
from sievert.model.vuln import Affected, CvssScore, RangeEvent, VersionRange, Vulnerability
from sievert.versions import generic
from sievert.vulndb.feeds.base import Feed, FeedResult, FileSpec, Settings, cvss_score, load_json
from sievert.vulndb.feeds.cve5 import cpe_package, product_statement

METRICS = ("cvssMetricV2", "cvssMetricV30", "cvssMetricV31", "cvssMetricV40")
NVD_SOURCE = "nvd@nist.gov"
ANY = ("*", "-", "")

Products = dict[str, tuple[list[VersionRange], list[str]]]


def parse_nvd(path: Path, name: str = "") -> FeedResult:
    """One page of the CVE API 2.0 answer: descriptions, CVSS (NVD's and others'), CWEs."""
    document = load_json(path)
    if not isinstance(document, dict) or not isinstance(document.get("vulnerabilities"), list):
        raise FeedError(f"{path}: not an NVD CVE API 2.0 page (no `vulnerabilities` list)")
    result = FeedResult()
    for index, item in enumerate(document["vulnerabilities"]):
        cve = as_dict(as_dict(item).get("cve"))
        if not as_str(cve.get("id")):
            result.skip(f"{name or path.name}: entry {index} without an id skipped")
            continue
        where = f"{name or path.name}:{cve['id']}"
        result.vulns.append(_vulnerability(cve, where, result))
        result.affected += cpe_statements(cve, where, result)
    return result


def cpe_statements(cve: dict[str, object], where: str, out: FeedResult) -> list[Affected]:
    """The vulnerable application CPEs of a CVE's configurations, one statement per product."""
    products: Products = {}
    for config in as_list(cve.get("configurations")):
        for node in as_list(as_dict(config).get("nodes")):
            if as_dict(node).get("negate") is True:
                continue
            for item in as_list(as_dict(node).get("cpeMatch")):
                _cpe_match(as_dict(item), products, where, out)
    cve_id = as_str(cve.get("id"))
    return [product_statement(cve_id, k, "nvd", r, v) for k, (r, v) in products.items()]


def split_cpe(name: str) -> list[str]:
    """The unescaped fields of a CPE 2.3 formatted string ([] when it is not one)."""
    fields: list[str] = []
    current, escaped = "", False
    for char in name:
        if escaped or char not in ":\\":
            current, escaped = current + char, False
        elif char == "\\":
            escaped = True
        else:
            fields.append(current)
            current = ""
    fields.append(current)
    return fields if len(fields) == 13 and fields[:2] == ["cpe", "2.3"] else []


def _cpe_match(match: dict[str, object], products: Products, where: str, out: FeedResult) -> None:
    criteria = as_str(match.get("criteria"))
    fields = split_cpe(criteria)
    if match.get("vulnerable") is not True or (fields and fields[2] != "a"):
        return
    if not fields or fields[3] in ANY or fields[4] in ANY:
        out.notice(f"{where}: CPE {criteria!r} skipped: not a vendor:product name")
        return
    try:
        found = _cpe_versions(match, fields[5], fields[6])
    except ValueError as exc:
        out.notice(f"{where}: CPE {criteria!r} skipped: {exc}")
        return
    ranges, exact = products.setdefault(cpe_package(fields[3], fields[4]), ([], []))
    if isinstance(found, VersionRange):
        ranges.append(found)
    else:
        exact.append(found)


def _cpe_versions(match: dict[str, object], version: str, update: str) -> VersionRange | str:
    """A range from the versionStart/End bounds, else the CPE's own version (and update)."""
    bounds = {k: as_str(match.get(k)) for k in ("versionStartIncluding", "versionStartExcluding")}
    bounds |= {k: as_str(match.get(k)) for k in ("versionEndIncluding", "versionEndExcluding")}
    if bounds["versionStartExcluding"]:
        raise ValueError("an excluded start cannot be written as a range")
    if not any(bounds.values()):
        if version in ANY:
            raise ValueError("no version bounds")
        return _checked(version if update in ANY else f"{version}-{update}")
    events = [RangeEvent("introduced", _checked(bounds["versionStartIncluding"] or "0"))]
    if bounds["versionEndExcluding"]:
        events.append(RangeEvent("fixed", _checked(bounds["versionEndExcluding"])))
    elif bounds["versionEndIncluding"]:
        events.append(RangeEvent("last_affected", _checked(bounds["versionEndIncluding"])))
    return VersionRange("ECOSYSTEM", tuple(events))


def _checked(version: str) -> str:
    if version != "0" and not generic.SCHEME.is_valid(version):
        raise ValueError(f"version {version!r} is not a release version")
    return version


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
