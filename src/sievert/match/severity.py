"""Severity of a finding: the vendor's (distro's) rating first, then CVSS."""

from __future__ import annotations

from sievert.model import Affected, Vulnerability
from sievert.model.vuln import SEVERITIES, preferred_cvss

ALIASES = {
    "moderate": "medium",
    "important": "high",
    "unimportant": "negligible",
    "none": "negligible",
}


def normalize(severity: str) -> str:
    """A severity word in Sievert's vocabulary ('' when not one)."""
    word = severity.strip().lower()
    word = ALIASES.get(word, word)
    return word if word in SEVERITIES else ""


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
