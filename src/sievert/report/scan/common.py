"""Helpers shared by the scan writers: severity order, CVSS choice, links, dates, fix labels."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from sievert.match.severity import unrated_notice
from sievert.model import CvssScore, ImageMetadata, Package
from sievert.model.finding import Finding, ScanResult
from sievert.model.severity import MOST_SEVERE_FIRST, Severity
from sievert.model.vuln import (
    AFFECTED,
    DEFERRED,
    END_OF_LIFE,
    FIXED,
    NOT_AFFECTED,
    UNDER_INVESTIGATION,
    WONT_FIX,
    Vulnerability,
    preferred_cvss,
)
from sievert.report.common import layer_by_index, short_digest

_FIX_LABELS = {
    AFFECTED: "(no fix yet)",
    WONT_FIX: "(won't fix)",
    DEFERRED: "(deferred)",
    END_OF_LIFE: "(end of life)",
    NOT_AFFECTED: "(not affected)",
    UNDER_INVESTIGATION: "(under investigation)",
    FIXED: "",
}


def severity_counts(findings: Iterable[Finding]) -> dict[Severity, int]:
    """Number of findings per severity, critical first, every severity present."""
    counts = dict.fromkeys(MOST_SEVERE_FIRST, 0)
    for finding in findings:
        counts[finding.severity] += 1
    return counts


def best_cvss(scores: Iterable[CvssScore]) -> CvssScore | None:
    """The score to show: the one matching rates by (see model.vuln.preferred_cvss)."""
    return preferred_cvss(list(scores))


def vulnerability_url(vuln_id: str) -> str:
    """The public page of a vulnerability id (NVD, GitHub, Debian tracker, else OSV)."""
    if vuln_id.startswith("CVE-"):
        return f"https://nvd.nist.gov/vuln/detail/{vuln_id}"
    if vuln_id.startswith("GHSA-"):
        return f"https://github.com/advisories/{vuln_id}"
    if vuln_id.startswith(("TEMP-", "DSA-", "DLA-")):
        return f"https://security-tracker.debian.org/tracker/{vuln_id}"
    return f"https://osv.dev/vulnerability/{vuln_id}"


def vulnerability_source(vuln_id: str) -> str:
    """The name of the database that assigns this kind of id."""
    if vuln_id.startswith("CVE-"):
        return "NVD"
    if vuln_id.startswith("GHSA-"):
        return "GitHub"
    if vuln_id.startswith(("TEMP-", "DSA-", "DLA-")):
        return "Debian"
    return "OSV"


def describe(vulnerability: Vulnerability) -> str:
    """The longest text known about the vulnerability: description, else summary."""
    return vulnerability.description or vulnerability.summary


def fix_label(finding: Finding) -> str:
    """The fixed versions, or the fix state in words when there is no fixed version."""
    if finding.fixed_versions:
        return ", ".join(finding.fixed_versions)
    return _FIX_LABELS.get(finding.fix_state, f"({finding.fix_state})")


def iso_datetime(text: str) -> str:
    """An RFC 3339 UTC date-time ('...Z') from a date or date-time text; '' when unreadable."""
    value = text.strip()
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            return ""
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def package_path(package: Package) -> str:
    """The first file path the package was read from ('' when none)."""
    return package.locations[0].path if package.locations else ""


def layer_text(image: ImageMetadata, index: int, history_limit: int = 40) -> str:
    """`index short-digest`, or `index` and the shortened history line, or '-' for no layer."""
    if index < 0:
        return "-"
    layer = layer_by_index(image, index)
    if layer is None:
        return str(index)
    if layer.digest:
        return f"{index} {short_digest(layer.digest)}"
    line = " ".join(layer.created_by.split())
    if len(line) > history_limit:
        line = line[: history_limit - 1] + "…"
    return f"{index} {line}".strip()


def db_warnings(result: ScanResult) -> list[str]:
    """One line per database source the last `db update` left failed or partial."""
    words = {
        "failed": "failed in the last database update; its findings may be missing or stale",
        "partial": "is partial: the last database update skipped malformed records",
    }
    return [
        f"vulnerability database source {name} {words[status]}"
        for name, status in result.db_sources
        if status in words
    ]


def severity_notes(findings: Iterable[Finding], result: ScanResult) -> list[str]:
    """Why shown findings have severity unknown and where a rating comes from (or nothing)."""
    notice = unrated_notice(findings, result.db_sources)
    return [notice.message] if notice is not None else []
