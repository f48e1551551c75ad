"""What every feed importer shares: the result type, the feed description, small parsing helpers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import msgspec
from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError

from sievert.errors import FeedError
from sievert.limits import jsonload
from sievert.model.severity import Severity
from sievert.model.vuln import Affected, CvssScore, Vulnerability

MAX_NOTICES = 200
"""Notices kept per file; further ones are only counted (a broken file must not flood the db)."""


class FeedResult(msgspec.Struct):
    """What a parser produced from one file: statements, vulnerability facts and notices."""

    affected: list[Affected] = msgspec.field(default_factory=list)
    vulns: list[Vulnerability] = msgspec.field(default_factory=list)
    scores: list[tuple[str, float, float]] = msgspec.field(default_factory=list)
    """EPSS (cve, score, percentile) rows: hundreds of thousands, so plain tuples rather than a
    Vulnerability each."""
    notices: list[str] = msgspec.field(default_factory=list)
    notices_dropped: int = 0
    info: dict[str, str] = msgspec.field(default_factory=dict)
    """Facts about the file itself (model version, catalog version...), kept in the db's status."""
    skipped: list[str] = msgspec.field(default_factory=list)
    """The first MAX_NOTICES malformed records skipped whole (also among the notices)."""
    skipped_count: int = 0

    def notice(self, text: str) -> None:
        """Record a recoverable problem (an unusable detail of a record) without failing."""
        if len(self.notices) < MAX_NOTICES:
            self.notices.append(text)
        else:
            self.notices_dropped += 1

    def skip(self, text: str) -> None:
        """Record a malformed record skipped whole: counted, named, the rest still imports."""
        self.skipped_count += 1
        if len(self.skipped) < MAX_NOTICES:
            self.skipped.append(text)
        self.notice(text)


class FileSpec(msgspec.Struct, frozen=True):
    """One file a feed reads: its upstream URL and its path under the feed's mirror folder."""

    url: str
    path: str
    optional: bool = False
    """A missing optional file (HTTP 404, absent from a mirror) is skipped, not an error."""
    release_asset: str = ""
    """When set, `url` is a GitHub "latest release" API URL and the file is the release asset
    whose name ends with this (upstream only; a mirror holds the file at `path`)."""


class Settings(msgspec.Struct, frozen=True):
    """User-tunable parts of an update: which OSV ecosystems and Alpine branches to read."""

    osv_ecosystems: tuple[str, ...] = (
        "PyPI",
        "npm",
        "Go",
        "crates.io",
        "RubyGems",
        "Maven",
        "Packagist",
        "NuGet",
    )
    alpine_branches: tuple[str, ...] = ("3.22", "3.23", "3.24", "edge")
    """Supported branches at the end of 2026 plus edge; a branch the host lacks is skipped."""
    alpine_repos: tuple[str, ...] = ("main", "community")
    nvd_url: str = "https://services.nvd.nist.gov/rest/json/cves/2.0"
    nvd_api_key: str = ""
    nvd_page_size: int = 2000
    nvd_delay: float | None = None
    """Seconds between NVD requests; None = NVD's published limit (6 s, 0.6 s with a key)."""


class Feed(msgspec.Struct, frozen=True):
    """One upstream source: its name, mirror folder, the files it reads and its parser."""

    name: str
    folder: str
    files: Callable[[Settings], list[FileSpec]]
    parse: Callable[[Path, str], FeedResult]
    """Called with the local file and the file's path under the folder."""
    default: bool = True
    """Imported by a plain `sievert db update` (NVD is opt-in with `--only`)."""
    paged: bool = False
    """The one file is an NVD-style paged API (`startIndex`, `resultsPerPage`, `totalResults`)."""


def load_json(path: Path) -> object:
    """Read a whole JSON document; FeedError naming the file when it is not valid JSON."""
    try:
        return jsonload.load_file(path)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FeedError(f"{path}: invalid JSON: {exc}") from exc


def str_list(value: object) -> list[str]:
    """The strings of a JSON list (anything else gives an empty list)."""
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str)]


def rating(score: float) -> str:
    """Qualitative severity for a CVSS v3/v4 base score (spec rating table; 0.0 = negligible)."""
    if score == 0.0:
        return "negligible"
    if score < 4.0:
        return "low"
    if score < 7.0:
        return "medium"
    if score < 9.0:
        return "high"
    return "critical"


def rating_v2(score: float) -> str:
    """Qualitative severity for a CVSS v2 base score (NVD's v2 table: low, medium, high)."""
    if score < 4.0:
        return "low"
    return "medium" if score < 7.0 else "high"


def vector_version(vector: str) -> str:
    """CVSS version of a vector string: '3.0', '3.1', '4.0', or '2.0' without a prefix."""
    match = re.match(r"CVSS:(\d\.\d)/", vector)
    return match.group(1) if match else "2.0"


def cvss_score(vector: str, source: str, base_score: float | None = None) -> CvssScore:
    """A CvssScore from a vector, computing the base score when none is given.

    Raises ValueError for a malformed vector (callers turn it into a notice).
    """
    version = vector_version(vector)
    if base_score is None:
        base_score = _compute(vector, version)
    sev = rating_v2(base_score) if version == "2.0" else rating(base_score)
    return CvssScore(version, vector, float(base_score), sev, source)


def _compute(vector: str, version: str) -> float:
    try:
        if version == "2.0":
            return float(CVSS2(vector).base_score)
        if version == "4.0":
            return float(CVSS4(vector).base_score)
        return float(CVSS3(vector).base_score)
    except CVSSError as exc:
        raise ValueError(f"malformed CVSS vector {vector!r}: {exc}") from exc


def vendor_severity(text: str) -> str:
    """A feed's severity word as a `Severity` word ('' when it names none, 'unknown' included:
    an unknown vendor rating leaves the CVSS score to decide)."""
    found = Severity.from_vendor(text)
    return "" if found is None or found is Severity.UNKNOWN else found.value
