"""Severity of a finding: the vendor's (distro's) rating first, then CVSS."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sievert.model import Affected, Notice, Severity, Vulnerability
from sievert.model.finding import Finding
from sievert.model.severity import ALIASES
from sievert.model.vuln import CvssScore, preferred_cvss


def rate(affected: Affected, vulnerability: Vulnerability) -> tuple[Severity, str]:
    """(severity, where it came from): vendor rating, else CVSS, else UNKNOWN."""
    return rate_by(affected, preferred_cvss(vulnerability.cvss))


def rate_by(affected: Affected, score: CvssScore | None) -> tuple[Severity, str]:
    """`rate` with the record's preferred CVSS score already picked (`preferred_cvss`)."""
    vendor = _vendor(affected.severity) if affected.severity else None
    if vendor is not None:
        return vendor, affected.source
    if score is not None:
        rated = _vendor(score.severity)
        if rated is not None:
            return rated, f"cvss{score.version}:{score.source}"
    return Severity.UNKNOWN, ""


_SPELLINGS = {
    spelling: Severity.from_vendor(word)
    for word in (*(s.value for s in Severity), *ALIASES)
    for spelling in (word, word.upper(), word.capitalize())
}
"""The words feeds use most, as they spell them (Debian's 'high', NVD's 'HIGH', 'Moderate')."""


def _vendor(word: str) -> Severity | None:
    """`Severity.from_vendor(word)`, read from a table for the common spellings."""
    found = _SPELLINGS.get(word)
    return found if found is not None else Severity.from_vendor(word)


def unrated_notice(
    findings: Iterable[Finding], sources: Sequence[tuple[str, str]]
) -> Notice | None:
    """Why some findings have severity unknown and where a rating would come from, or None.

    A finding is unrated when its feed (e.g. the Debian tracker's "not yet assigned") gives no
    severity and the database has no CVSS for it: CVSS comes from CVE records (the `cve`
    source, on by default) and NVD (`nvd`, opt-in).
    """
    unrated = {f.id for f in findings if f.severity == Severity.UNKNOWN}
    if not unrated:
        return None
    imported = {name for name, status in sources if status == "ok"}
    if "cve" not in imported:
        hint = "no CVE records in the database; run `sievert db update` with the `cve` source"
    else:
        hint = "no CVSS in their CVE records; NVD's: add `nvd` to `sievert db update --only`"
    count = f"{len(unrated)} vulnerabilities have" if len(unrated) > 1 else "1 vulnerability has"
    message = f"{count} severity unknown: no distro rating, {hint}"
    return Notice(message, "", "info")
