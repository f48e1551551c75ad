"""Debian Security Tracker JSON: per source package, per CVE, per release codename."""

from __future__ import annotations

from pathlib import Path

from sievert.errors import FeedError
from sievert.jsonvalue import as_dict, as_str
from sievert.model.vuln import (
    AFFECTED,
    DEFERRED,
    END_OF_LIFE,
    FIXED,
    NOT_AFFECTED,
    UNDER_INVESTIGATION,
    WONT_FIX,
    Affected,
    Vulnerability,
)
from sievert.vulndb.feeds.base import (
    Feed,
    FeedResult,
    FileSpec,
    Settings,
    load_json,
    vendor_severity,
)

URL = "https://security-tracker.debian.org/tracker/data/json"
SOURCE = "debian-tracker"


def parse_debian(path: Path, name: str = "") -> FeedResult:
    """Parse the tracker's JSON export into per-release Affected statements."""
    document = load_json(path)
    if not isinstance(document, dict):
        raise FeedError(f"{path}: not a Debian tracker document (top level is not an object)")
    result = FeedResult()
    for package, cves in document.items():
        if not isinstance(cves, dict):
            result.skip(f"{name or path.name}: package {package!r}: not an object, skipped")
            continue
        for vuln_id, entry in cves.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("releases"), dict):
                result.skip(f"{name or path.name}: {package} {vuln_id}: no releases, skipped")
                continue
            _parse_entry(package, vuln_id, entry, result)
    return result


def _parse_entry(package: str, vuln_id: str, entry: dict[str, object], out: FeedResult) -> None:
    description = as_str(entry.get("description"))
    if description:
        out.vulns.append(Vulnerability(id=vuln_id, description=description))
    for codename, release in as_dict(entry.get("releases")).items():
        info = as_dict(release)
        state, fixed, note = release_state(info)
        if state == "":
            out.notice(f"{package} {vuln_id} {codename}: unknown status {info.get('status')!r}")
            continue
        out.affected.append(
            Affected(
                vuln_id=vuln_id,
                namespace=f"debian:{codename}",
                package=package,
                source=SOURCE,
                fix_state=state,
                fixed_version=fixed,
                severity=vendor_severity(as_str(info.get("urgency"))),
                note=note,
            )
        )


def release_state(info: dict[str, object]) -> tuple[str, str, str]:
    """(fix state, fixed version, note) of one release entry; state '' for an unknown status."""
    status = as_str(info.get("status"))
    fixed = as_str(info.get("fixed_version"))
    if status == "resolved":
        return (NOT_AFFECTED, "", "") if fixed == "0" else (FIXED, fixed, "")
    if status == "undetermined":
        return UNDER_INVESTIGATION, "", ""
    if status != "open":
        return "", "", ""
    if as_str(info.get("urgency")).strip("* ") == "end-of-life":
        return END_OF_LIFE, "", ""
    if "nodsa" not in info:
        return AFFECTED, "", ""
    reason, text = as_str(info.get("nodsa_reason")), as_str(info.get("nodsa"))
    if reason == "postponed":
        return DEFERRED, "", text or "postponed"
    if reason == "ignored":
        return WONT_FIX, "", text or "ignored"
    return AFFECTED, "", "no-dsa"


def _files(settings: Settings) -> list[FileSpec]:
    return [FileSpec(URL, "tracker.json")]


FEED = Feed(name="debian", folder="debian", files=_files, parse=parse_debian)
