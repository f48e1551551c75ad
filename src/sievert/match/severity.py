"""Severity of a finding: the vendor's (distro's) rating first, then CVSS."""

from __future__ import annotations

from sievert.model import Affected, CvssScore, Vulnerability
from sievert.model.vuln import SEVERITIES

ALIASES = {
    "moderate": "medium",
    "important": "high",
    "unimportant": "negligible",
    "none": "negligible",
}
VERSION_ORDER = {"4.0": 4, "3.1": 3, "3.0": 2, "2.0": 1}
SOURCE_ORDER = ("nvd", "cna", "cisa-adp", "ghsa", "osv")


def normalize(severity: str) -> str:
    """A severity word in Sievert's vocabulary ('' when not one)."""
    word = severity.strip().lower()
    word = ALIASES.get(word, word)
    return word if word in SEVERITIES else ""


def preferred_cvss(scores: tuple[CvssScore, ...]) -> CvssScore | None:
    """The score to rate by: newest CVSS version, then the most authoritative source."""
    if not scores:
        return None

    def rank(score: CvssScore) -> tuple[int, int]:
        source = SOURCE_ORDER.index(score.source) if score.source in SOURCE_ORDER else 2
        return (-VERSION_ORDER.get(score.version, 0), source)

    return min(scores, key=rank)


def rate(affected: Affected, vulnerability: Vulnerability) -> tuple[str, str]:
    """(severity, where it came from): vendor rating, else CVSS, else 'unknown'."""
    vendor = normalize(affected.severity)
    if vendor:
        return vendor, affected.source
    score = preferred_cvss(vulnerability.cvss)
    if score is not None:
        rated = normalize(score.severity)
        if rated:
            return rated, f"cvss{score.version}:{score.source}"
    return "unknown", ""


def rank(severity: str) -> int:
    """Position in SEVERITIES (unknown lowest)."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0
