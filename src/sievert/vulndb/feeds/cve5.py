"""CVE JSON 5 records (cvelistV5 release zip) with their CNA and CISA-ADP containers."""

from __future__ import annotations

import json
import re
import tempfile
import zipfile
import zlib
from pathlib import Path

from sievert.errors import FeedError, LimitError
from sievert.jsonvalue import as_dict, as_list, as_str
from sievert.limits import jsonload
from sievert.limits.archive import ZipReader
from sievert.model.vuln import (
    AFFECTED,
    FIXED,
    Affected,
    CvssScore,
    RangeEvent,
    VersionRange,
    Vulnerability,
)
from sievert.versions import generic
from sievert.vulndb.feeds.base import Feed, FeedResult, FileSpec, Settings, cvss_score

RELEASES_URL = "https://api.github.com/repos/CVEProject/cvelistV5/releases/latest"
ASSET_SUFFIX = "_all_CVEs_at_midnight.zip.zip"
METRIC_KEYS = ("cvssV2_0", "cvssV3_0", "cvssV3_1", "cvssV4_0")
MEMBER = re.compile(r"(^|/)CVE-\d{4}-\d+\.json$")
CPE_NAMESPACE = "cpe"
"""Namespace of statements about upstream products, keyed `<vendor>:<product>`."""
OPEN_START = frozenset({"0", "*", "n/a", "unspecified", "unknown", "all", "-"})
"""Range starts meaning "from the first release" (with a `lessThan`/`lessThanOrEqual`)."""
COMPARATOR = re.compile(r"(>=|>|<=|<|=)\s*([0-9][^\s,]*)")
SKIPPED_TYPES = frozenset({"git", "rpm", "patch", "original_commit_for_fix"})
"""versionType values whose versions are not upstream release numbers."""


def parse_cve5(path: Path, name: str = "") -> FeedResult:
    """Parse a cvelistV5 zip (`cves/<year>/<n>xxx/CVE-*.json`, or the release's zip-in-a-zip)."""
    result = FeedResult()
    try:
        with zipfile.ZipFile(path) as archive:
            reader = ZipReader(archive, name or path.name)
            names = reader.names()
            inner = [n for n in names if n.endswith("cves.zip")]
            if inner and not any(MEMBER.search(n) for n in names):
                return _parse_inner(reader, inner[0], path)
            for info in reader.infos:
                if MEMBER.search(info.filename):
                    _parse_member(reader.read(info), info.filename, result)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, zlib.error) as exc:
        raise FeedError(f"{path}: corrupt zip: {exc}") from exc
    except LimitError as exc:
        raise FeedError(str(exc)) from exc
    return result


def _parse_inner(reader: ZipReader, member: str, path: Path) -> FeedResult:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "cves.zip"
        with target.open("wb") as dst:
            reader.copy(member, dst)
        return parse_cve5(target, f"{path.name}:{member}")


def _parse_member(data: bytes, where: str, out: FeedResult) -> None:
    try:
        record = jsonload.loads(data, where)
    except LimitError as exc:
        out.skip(f"{exc}; record skipped")
        return
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        out.skip(f"{where}: invalid JSON record skipped: {exc}")
        return
    vuln = parse_record(as_dict(record), where, out)
    if vuln is not None:
        out.vulns.append(vuln)
        if not vuln.rejected:
            out.affected += product_statements(as_dict(record), vuln.id, where, out)


def parse_record(record: dict[str, object], where: str, out: FeedResult) -> Vulnerability | None:
    """One CVE record as a Vulnerability (None with a notice when it has no CVE id)."""
    meta = as_dict(record.get("cveMetadata"))
    cve_id = as_str(meta.get("cveId"))
    if not cve_id:
        out.skip(f"{where}: record without cveMetadata.cveId skipped")
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


def cpe_package(vendor: str, product: str) -> str:
    """The `cpe` namespace key of a vendor and product: lower case, spaces as underscores."""
    return ":".join("_".join(part.strip().lower().split()) for part in (vendor, product))


def product_statements(
    record: dict[str, object], cve_id: str, where: str, out: FeedResult
) -> list[Affected]:
    """The CNA's and ADPs' `affected` products as `cpe` statements (notices for unusable ones)."""
    containers = as_dict(record.get("containers"))
    cna = as_dict(containers.get("cna"))
    found = [(cna, "cna"), *((as_dict(a), "adp") for a in as_list(containers.get("adp")))]
    statements = []
    for container, kind in found:
        origin = _short_name(container) or kind
        for item in as_list(container.get("affected")):
            statement = _product(as_dict(item), cve_id, origin, f"{where}: {origin}", out)
            if statement is not None:
                statements.append(statement)
    return statements


def _product(
    entry: dict[str, object], cve_id: str, origin: str, where: str, out: FeedResult
) -> Affected | None:
    vendor, product = as_str(entry.get("vendor")).strip(), as_str(entry.get("product")).strip()
    if _unknown(vendor) or _unknown(product):
        return None  # legacy records say "n/a" for both: nothing to match, nothing to report
    package = cpe_package(vendor, product)
    versions = [as_dict(v) for v in as_list(entry.get("versions"))]
    ranges, exact = _versions(versions, f"{where} {package}", out)
    if not ranges and not exact:
        if not versions and as_str(entry.get("defaultStatus")) == "affected":
            out.notice(f"{where} {package}: every version affected, no version data: skipped")
        return None
    return product_statement(cve_id, package, "cve", ranges, exact, f"from {origin}")


def product_statement(
    cve_id: str,
    package: str,
    source: str,
    ranges: list[VersionRange],
    exact: list[str],
    note: str = "",
) -> Affected:
    """One `cpe` statement: the product's affected ranges and exact versions."""
    fixed = list(dict.fromkeys(e.version for r in ranges for e in r.events if e.kind == "fixed"))
    return Affected(
        vuln_id=cve_id,
        namespace=CPE_NAMESPACE,
        package=package,
        source=source,
        fix_state=FIXED if fixed else AFFECTED,
        fixed_version=", ".join(fixed),
        ranges=tuple(dict.fromkeys(ranges)),
        versions=tuple(dict.fromkeys(exact)),
        record_id=cve_id,
        note=note,
    )


def _versions(
    entries: list[dict[str, object]], where: str, out: FeedResult
) -> tuple[list[VersionRange], list[str]]:
    """Ranges and exact versions of the `status: affected` entries of one product."""
    ranges: list[VersionRange] = []
    exact: list[str] = []
    floors = _curl_floors(entries)
    for entry in entries:
        if as_str(entry.get("status")) != "affected":
            continue
        kind = as_str(entry.get("versionType")).lower()
        try:
            if kind in SKIPPED_TYPES:
                raise ValueError(f"versionType {kind!r} not compared")
            found = _entry(entry, floors)
        except ValueError as exc:
            out.notice(f"{where}: affected version skipped: {exc}")
            continue
        if isinstance(found, VersionRange):
            ranges.append(found)
        else:
            exact.append(found)
    return ranges, exact


def _entry(entry: dict[str, object], floors: list[str]) -> VersionRange | str:
    """One affected entry as a range, or as an exact version; ValueError when unusable."""
    start = as_str(entry.get("version")).strip()
    below, upto = _bound(entry, "lessThan"), _bound(entry, "lessThanOrEqual")
    if not below and not upto:
        if start[:1] in "<>=" and start:
            return _constraint(start)
        if start.lower() in OPEN_START or not generic.SCHEME.is_valid(start):
            raise ValueError(f"version {start!r} is not a release version")
        return start
    if upto and upto == start:
        return _checked(start)
    if below and below == start:
        start = _floor(floors, below)
    intro = "0" if start.lower() in OPEN_START else _checked(start)
    events = [RangeEvent("introduced", intro)]
    if below != "*" and upto != "*":
        kind, end = ("fixed", below) if below else ("last_affected", upto)
        events.append(RangeEvent(kind, _checked(end)))
    return VersionRange("ECOSYSTEM", tuple(events))


def _constraint(text: str) -> VersionRange | str:
    """A comparator list in `version` (GitHub's CNA: `>= 7.0.0, < 7.0.15`, `<= 8.5.1`, `= 2.1`)."""
    parts = [COMPARATOR.fullmatch(p.strip()) for p in text.split(",")]
    found = {m.group(1): _checked(m.group(2)) for m in parts if m}
    uppers = found.keys() & {"<", "<="}
    mixed = "=" in found and len(found) > 1
    if None in parts or len(found) != len(parts) or ">" in found or len(uppers) > 1 or mixed:
        raise ValueError(f"version constraint {text!r} not understood")
    if "=" in found:
        return found["="]
    events = [RangeEvent("introduced", found.get(">=", "0"))]
    if "<" in found or "<=" in found:
        kind = "fixed" if "<" in found else "last_affected"
        events.append(RangeEvent(kind, found.get("<") or found["<="]))
    return VersionRange("ECOSYSTEM", tuple(events))


def _bound(entry: dict[str, object], key: str) -> str:
    return as_str(entry.get(key)).strip()


def _checked(version: str) -> str:
    if not generic.SCHEME.is_valid(version):
        raise ValueError(f"version {version!r} is not a release version")
    return version


def _curl_floors(entries: list[dict[str, object]]) -> list[str]:
    """Starts written as `unaffected` entries whose `version` equals `lessThan` (curl's CNA)."""
    return [
        version
        for e in entries
        if as_str(e.get("status")) == "unaffected"
        and (version := as_str(e.get("version")).strip())
        and version == _bound(e, "lessThan")
        and generic.SCHEME.is_valid(version)
    ]


def _floor(floors: list[str], end: str) -> str:
    """The highest such start below end ('0' when none): `X < X` reads as `floor <= v < X`."""
    below = [f for f in floors if generic.compare(f, end) < 0]
    return max(below, key=generic.SCHEME.sort_key()) if below else "0"


def _unknown(text: str) -> bool:
    return text.lower() in ("", "n/a", "unknown", "unspecified", "-")


def _files(settings: Settings) -> list[FileSpec]:
    return [FileSpec(RELEASES_URL, "cves.zip", release_asset=ASSET_SUFFIX)]


FEED = Feed(name="cve", folder="cvelistV5", files=_files, parse=parse_cve5)
