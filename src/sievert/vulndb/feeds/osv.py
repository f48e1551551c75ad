"""OSV `all.zip` per ecosystem (OSV bucket): ranges, versions, aliases, severities, references."""

from __future__ import annotations

import json
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
from sievert.versions.names import normalize_name
from sievert.vulndb.feeds.base import (
    Feed,
    FeedResult,
    FileSpec,
    Settings,
    cvss_score,
    str_list,
    vendor_severity,
)

BASE_URL = "https://osv-vulnerabilities.storage.googleapis.com"

LANGUAGE_ECOSYSTEMS = frozenset(
    {
        "PyPI",
        "npm",
        "Go",
        "crates.io",
        "RubyGems",
        "Maven",
        "Packagist",
        "NuGet",
        "Hex",
        "Pub",
        "Hackage",
        "CRAN",
        "SwiftURL",
        "GitHub Actions",
        "Bitnami",
    }
)
DEBIAN_CODENAMES = {
    "9": "stretch",
    "10": "buster",
    "11": "bullseye",
    "12": "bookworm",
    "13": "trixie",
    "14": "forky",
}
UBUNTU_CODENAMES = {
    "16.04": "xenial",
    "18.04": "bionic",
    "20.04": "focal",
    "22.04": "jammy",
    "24.04": "noble",
    "24.10": "oracular",
    "25.04": "plucky",
    "25.10": "questing",
}
EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
CVSS_TYPES = ("CVSS_V2", "CVSS_V3", "CVSS_V4")


def namespace_for(ecosystem: str) -> str | None:
    """Sievert namespace of an OSV ecosystem string, None when the ecosystem is unknown."""
    base, _, release = ecosystem.partition(":")
    if base in LANGUAGE_ECOSYSTEMS:
        return base.lower()
    if base == "Debian" and release:
        return f"debian:{DEBIAN_CODENAMES.get(release, release)}"
    if base == "Alpine" and release:
        return f"alpine:{release.removeprefix('v')}"
    if base == "Ubuntu" and release:
        number = next((p for p in release.split(":") if p[:1].isdecimal()), release)
        return f"ubuntu:{UBUNTU_CODENAMES.get(number, number)}"
    return _rpm_or_rolling_namespace(base, release)


RPM_DISTROS = {"AlmaLinux": "almalinux", "Rocky Linux": "rocky", "Red Hat": "rhel"}
"""OSV ecosystems of RHEL-family releases -> os-release IDs (the matcher's namespace prefix)."""
ROLLING_DISTROS = {"Wolfi": "wolfi", "Chainguard": "chainguard"}


def _rpm_or_rolling_namespace(base: str, release: str) -> str | None:
    """'rocky:9' for 'Rocky Linux:9', 'rhel:9' for 'Red Hat:enterprise_linux:9::appstream'."""
    if base in ROLLING_DISTROS:
        return f"{ROLLING_DISTROS[base]}:rolling"
    if base not in RPM_DISTROS or not release:
        return None
    major = next((p.split(".")[0] for p in release.split(":") if p[:1].isdecimal()), "")
    return f"{RPM_DISTROS[base]}:{major}" if major else None


def parse_osv(path: Path, name: str = "") -> FeedResult:
    """Parse an OSV `all.zip`; bad records and unknown ecosystems become notices."""
    result = FeedResult()
    label = name or path.name
    try:
        with zipfile.ZipFile(path) as archive:
            reader = ZipReader(archive, label)
            for info in reader.infos:
                if info.filename.endswith(".json"):
                    _parse_member(reader.read(info), f"{label}:{info.filename}", result)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, zlib.error) as exc:
        raise FeedError(f"{path}: corrupt zip: {exc}") from exc
    except LimitError as exc:
        raise FeedError(str(exc)) from exc
    return result


def _parse_member(data: bytes, where: str, result: FeedResult) -> None:
    try:
        record = jsonload.loads(data, where)
    except LimitError as exc:
        result.skip(f"{exc}; record skipped")
        return
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        result.skip(f"{where}: invalid JSON record skipped: {exc}")
        return
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        result.skip(f"{where}: record without an id skipped")
        return
    parse_record(record, where, result)


def parse_record(record: dict[str, object], where: str, result: FeedResult) -> None:
    """Add one OSV record's Vulnerability and Affected statements to result."""
    vuln_id = as_str(record["id"])
    if record.get("withdrawn"):
        return
    specific = as_dict(record.get("database_specific"))
    severity = vendor_severity(as_str(specific.get("severity")))
    result.vulns.append(_vulnerability(vuln_id, record, specific, where, result))
    for entry in as_list(record.get("affected")):
        affected = _affected(vuln_id, as_dict(entry), severity, where, result)
        if affected is not None:
            result.affected.append(affected)


def _vulnerability(
    vuln_id: str,
    record: dict[str, object],
    specific: dict[str, object],
    where: str,
    out: FeedResult,
) -> Vulnerability:
    return Vulnerability(
        id=vuln_id,
        aliases=tuple(str_list(record.get("aliases"))),
        summary=as_str(record.get("summary")),
        description=as_str(record.get("details")),
        published=as_str(record.get("published")),
        modified=as_str(record.get("modified")),
        cvss=_scores(vuln_id, record.get("severity"), where, out),
        cwes=tuple(str_list(specific.get("cwe_ids"))),
        references=tuple(as_str(as_dict(r).get("url")) for r in as_list(record.get("references"))),
    )


def _scores(vuln_id: str, value: object, where: str, out: FeedResult) -> tuple[CvssScore, ...]:
    source = "ghsa" if vuln_id.startswith("GHSA-") else "osv"
    scores = []
    for item in as_list(value):
        entry = as_dict(item)
        if as_str(entry.get("type")) not in CVSS_TYPES:
            continue
        try:
            scores.append(cvss_score(as_str(entry.get("score")), source))
        except ValueError as exc:
            out.notice(f"{where}: {exc}")
    return tuple(scores)


def _affected(
    vuln_id: str, entry: dict[str, object], severity: str, where: str, out: FeedResult
) -> Affected | None:
    package = as_dict(entry.get("package"))
    ecosystem, name = as_str(package.get("ecosystem")), as_str(package.get("name"))
    namespace = namespace_for(ecosystem)
    if namespace is None:
        out.notice(f"{where}: unknown ecosystem {ecosystem!r} skipped")
        return None
    if not name:
        out.notice(f"{where}: affected entry without a package name skipped")
        return None
    raw_ranges = as_list(entry.get("ranges"))
    ranges = tuple(r for r in (_range(as_dict(raw)) for raw in raw_ranges) if r is not None)
    versions = tuple(str_list(entry.get("versions")))
    if len(ranges) < len(raw_ranges):
        if not ranges and not versions:
            # Without its bounds the entry would claim every version: skip it whole.
            out.skip(f"{where}: {name}: every range is malformed, affected entry skipped")
            return None
        out.notice(f"{where}: {name}: malformed range skipped")
    fixed = list(dict.fromkeys(e.version for r in ranges for e in r.events if e.kind == "fixed"))
    own = vendor_severity(as_str(as_dict(entry.get("database_specific")).get("severity")))
    return Affected(
        vuln_id=vuln_id,
        namespace=namespace,
        package=normalize_name(namespace, name),
        source="osv",
        fix_state=FIXED if fixed else AFFECTED,
        fixed_version=", ".join(fixed),
        ranges=ranges,
        versions=versions,
        severity=own or severity,
        record_id=vuln_id,
    )


def _range(entry: dict[str, object]) -> VersionRange | None:
    """The range, or None when it is malformed: no events, an event that is not an object or
    names no known kind, or a version that is not a string (`"last_affected": null`)."""
    items = entry.get("events")
    if not isinstance(items, list) or not items:
        return None
    events = []
    for item in items:
        if not isinstance(item, dict):
            return None
        kinds = [kind for kind in EVENT_KINDS if kind in item]
        if not kinds or not all(isinstance(item[kind], str) for kind in kinds):
            return None
        events += [RangeEvent(kind, item[kind]) for kind in kinds]
    return VersionRange(as_str(entry.get("type")), tuple(events))


def _files(settings: Settings) -> list[FileSpec]:
    return [
        FileSpec(f"{BASE_URL}/{eco}/all.zip", f"{eco}/all.zip", optional=True)
        for eco in settings.osv_ecosystems
    ]


FEED = Feed(name="osv", folder="osv", files=_files, parse=parse_osv)
