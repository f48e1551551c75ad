"""Severity of a finding: the vendor's (distro's) rating first, then CVSS."""

from __future__ import annotations

from sievert.model import Affected, Severity, Vulnerability
from sievert.model.vuln import preferred_cvss


def rate(affected: Affected, vulnerability: Vulnerability) -> tuple[Severity, str]:
    """(severity, where it came from): vendor rating, else CVSS, else UNKNOWN."""
    vendor = Severity.from_vendor(affected.severity)
    if vendor is not None:
        return vendor, affected.source
    score = preferred_cvss(vulnerability.cvss)
    if score is not None:
        rated = Severity.from_vendor(score.severity)
        if rated is not None:
            return rated, f"cvss{score.version}:{score.source}"
    return Severity.UNKNOWN, ""
