"""Vulnerability records as the database stores them and the matcher reads them."""

from __future__ import annotations

import msgspec

# Fix states, kept distinct (Trivy/Grype users expect them).
FIXED = "fixed"
AFFECTED = "affected"
"""Affected, no fix yet."""
WONT_FIX = "wont-fix"
DEFERRED = "deferred"
"""Fix deferred / postponed (Debian no-dsa postponed, RHEL fix deferred)."""
END_OF_LIFE = "end-of-life"
NOT_AFFECTED = "not-affected"
UNDER_INVESTIGATION = "under-investigation"
FIX_STATES = (FIXED, AFFECTED, WONT_FIX, DEFERRED, END_OF_LIFE, NOT_AFFECTED, UNDER_INVESTIGATION)


class RangeEvent(msgspec.Struct, frozen=True):
    """One OSV range event: kind is 'introduced', 'fixed', 'last_affected' or 'limit'."""

    kind: str
    version: str


class VersionRange(msgspec.Struct, frozen=True):
    """An OSV-style range: type 'ECOSYSTEM', 'SEMVER' or 'GIT', with ordered events."""

    type: str
    events: tuple[RangeEvent, ...]


class Affected(msgspec.Struct, frozen=True):
    """One advisory statement: this vulnerability affects this package in this namespace."""

    vuln_id: str
    namespace: str
    """'debian:bookworm', 'ubuntu:jammy', 'alpine:3.23', 'rhel:9', or an OSV ecosystem in lower
    case: 'pypi', 'npm', 'go', 'crates.io', 'rubygems', 'maven', 'packagist', 'nuget'."""
    package: str
    """Source package for distros (Debian source, Alpine origin, SRPM name); normalised name for
    ecosystems (PEP 503 for PyPI)."""
    source: str
    """Feed it came from: 'debian-tracker', 'alpine-secdb', 'osv'..."""
    fix_state: str = AFFECTED
    fixed_version: str = ""
    ranges: tuple[VersionRange, ...] = ()
    versions: tuple[str, ...] = ()
    """Explicitly listed affected versions (OSV `versions`)."""
    severity: str = ""
    """Vendor rating: a `Severity` word ('' when none)."""
    record_id: str = ""
    """The upstream record holding this statement (OSV id, DSA, secdb branch/repo)."""
    note: str = ""
    """Free text such as a Debian no-dsa reason."""


class CvssScore(msgspec.Struct, frozen=True):
    """A CVSS vector with its computed base score and who assigned it."""

    version: str
    """'2.0', '3.0', '3.1' or '4.0'."""
    vector: str
    base_score: float
    severity: str
    source: str
    """'nvd', 'cisa-adp', the CNA's short name, 'ghsa', 'osv'..."""


class Exploit(msgspec.Struct, frozen=True):
    """A known public exploit."""

    source: str
    id: str
    url: str = ""
    title: str = ""
    published: str = ""


class Vulnerability(msgspec.Struct, frozen=True):
    """Everything known about one vulnerability id, merged across feeds."""

    id: str
    aliases: tuple[str, ...] = ()
    summary: str = ""
    description: str = ""
    published: str = ""
    modified: str = ""
    cvss: tuple[CvssScore, ...] = ()
    cwes: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    kev_date_added: str = ""
    kev_ransomware: bool = False
    kev_due_date: str = ""
    epss_score: float | None = None
    epss_percentile: float | None = None
    exploits: tuple[Exploit, ...] = ()
    rejected: bool = False
    """The CVE record's state is REJECTED (kept so a scanner can say why it shows nothing)."""


CVSS_VERSION_ORDER = {"4.0": 4, "3.1": 3, "3.0": 2, "2.0": 1}
CVSS_SOURCE_ORDER = ("nvd", "cna", "cisa-adp", "ghsa", "osv")


def preferred_cvss(scores: tuple[CvssScore, ...] | list[CvssScore]) -> CvssScore | None:
    """The score to rate and show by: newest CVSS version, then the most authoritative source."""

    def rank(score: CvssScore) -> tuple[int, int]:
        order = CVSS_SOURCE_ORDER
        source = order.index(score.source) if score.source in order else 2
        return (-CVSS_VERSION_ORDER.get(score.version, 0), source)

    return min(scores, key=rank, default=None)
