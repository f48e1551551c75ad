"""The risk score: one number (0-100) combining impact and the likelihood of exploitation.

    impact      = the preferred CVSS base score (0-10); without one, the severity's midpoint
                  (critical 9.5, high 7.5, medium 5.5, low 2.5, negligible 0.5, unknown 5.0)
    likelihood  = the EPSS score (0-1; 0.01 when unknown), raised to
                  1.0 when listed in CISA KEV, and to at least 0.5 when a public exploit is known
    risk        = 10 * impact * (0.2 + 0.8 * likelihood), plus 5 for known ransomware use, max 100

A critical flaw nobody exploits ranks near 20; a medium one in KEV ranks above it.
"""

from __future__ import annotations

from sievert.model import Vulnerability
from sievert.model.vuln import CvssScore, preferred_cvss

MIDPOINTS = {
    "critical": 9.5,
    "high": 7.5,
    "medium": 5.5,
    "low": 2.5,
    "negligible": 0.5,
    "unknown": 5.0,
}


def risk_score(vulnerability: Vulnerability, severity: str) -> float:
    """The documented risk score of a vulnerability with its final severity."""
    return risk_by(vulnerability, severity, preferred_cvss(vulnerability.cvss))


def risk_by(vulnerability: Vulnerability, severity: str, score: CvssScore | None) -> float:
    """`risk_score` with the record's preferred CVSS score already picked (`preferred_cvss`)."""
    impact = score.base_score if score is not None else MIDPOINTS.get(severity, 5.0)
    likelihood = vulnerability.epss_score if vulnerability.epss_score is not None else 0.01
    if vulnerability.exploits:
        likelihood = max(likelihood, 0.5)
    if vulnerability.kev_date_added:
        likelihood = 1.0
    risk = 10 * impact * (0.2 + 0.8 * likelihood)
    if vulnerability.kev_ransomware:
        risk += 5
    return round(min(risk, 100.0), 1)
