"""Base image advice, the pure part: which tags continue the base's line, and how they compare.

A tag is read as `[prefix]version[suffix]`: `3.11.7-slim-bookworm` is version 3.11.7 with suffix
`-slim-bookworm`, `v1.2.3` has prefix `v`, `bookworm-20240110-slim` is a dated tag (prefix
`bookworm-`, date 20240110, suffix `-slim`), and a trailing `-rN` of the suffix is a revision
(`1.25.3-debian-12-r4`). Tags without a version (`latest`, `sha-abc`, `3.13.0rc1`) are not
compared. Candidates share the prefix, the suffix and the number of version parts, are newer,
and keep the same major and minor (scope `minor`) or the same major (scope `major`); dated tags
only need a later date. The newest few are scanned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import msgspec

from sievert.model.advice import BaseAdvice, CandidateResult
from sievert.model.finding import Finding
from sievert.model.severity import MOST_SEVERE_FIRST, Severity

__all__ = [
    "BaseAdvice",
    "CandidateResult",
    "TagVersion",
    "candidate_tags",
    "compare",
    "parse_tag",
    "recommend",
]

SCOPES = {"minor": 2, "major": 1}
"""Leading version parts a candidate keeps, per scope."""
DEFAULT_LIMIT = 5
HASH_PREFIXES = frozenset({"sha", "git", "commit", "rev", "sha256"})

_TAG = re.compile(
    r"(?P<prefix>(?:[A-Za-z]+[-_.])*v?)"
    r"(?P<version>\d{4}-\d{2}-\d{2}|\d+(?:[._]\d+)*)"
    r"(?P<suffix>(?:[-+][A-Za-z0-9_.+-]*)?)\Z"
)
_REVISION = re.compile(r"-r(\d+)\Z")
_DATE = re.compile(r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:\d{4}|\d{6})?\Z")


class TagVersion(msgspec.Struct, frozen=True):
    """A tag read as prefix, numeric version parts, suffix and revision."""

    tag: str
    prefix: str
    numbers: tuple[int, ...]
    suffix: str = ""
    revision: int = -1
    dated: bool = False

    @property
    def line(self) -> tuple[str, str, int, bool]:
        """What candidates must share: prefix, suffix, number of parts, dated or not."""
        return (self.prefix, self.suffix, len(self.numbers), self.dated)

    @property
    def key(self) -> tuple[tuple[int, ...], int]:
        """The order inside a line: version parts, then revision."""
        return (self.numbers, self.revision)


def parse_tag(tag: str) -> TagVersion | None:
    """The tag's version parts, or None when it has no version to compare."""
    found = _TAG.match(tag)
    if found is None:
        return None
    prefix, version, suffix = found.group("prefix", "version", "suffix")
    if prefix.strip("-_.").lower() in HASH_PREFIXES:
        return None
    revision = -1
    if (rev := _REVISION.search(suffix)) is not None:
        revision, suffix = int(rev.group(1)), suffix[: rev.start()]
    dated = "-" in version or bool(_DATE.match(version))
    numbers = tuple(int(part) for part in re.split(r"[-._]", version))
    return TagVersion(tag, prefix, numbers, suffix, revision, dated)


def is_candidate(base: TagVersion, other: TagVersion, scope: str) -> bool:
    """Whether `other` is a newer tag of the base's line within the scope."""
    keep = 0 if base.dated else SCOPES[scope]
    return (
        other.line == base.line
        and other.key > base.key
        and other.numbers[:keep] == base.numbers[:keep]
    )


def candidate_tags(
    current: str, tags: Iterable[str], scope: str = "minor", limit: int = DEFAULT_LIMIT
) -> list[str]:
    """The newest `limit` tags continuing the current tag's line, newest first."""
    if scope not in SCOPES:
        raise ValueError(f"unknown advice scope {scope!r} (expected minor or major)")
    base = parse_tag(current)
    if base is None:
        return []
    found = [v for v in map(parse_tag, tags) if v is not None and is_candidate(base, v, scope)]
    found.sort(key=lambda v: v.key, reverse=True)
    return [v.tag for v in found[: max(limit, 0)]]


FindingKey = tuple[str, str, str]
"""(vulnerability id, package type, package name): a finding across versions of a package."""


def finding_keys(findings: Iterable[Finding]) -> dict[FindingKey, Severity]:
    """Each distinct finding key with its most severe severity."""
    keys: dict[FindingKey, Severity] = {}
    for f in findings:
        key = (f.id, f.package.type, f.package.name)
        old = keys.get(key)
        if old is None or f.severity > old:
            keys[key] = f.severity
    return keys


def severity_table(severities: Iterable[Severity]) -> tuple[tuple[str, int], ...]:
    """(severity, count) for every severity, most severe first."""
    counts = dict.fromkeys(MOST_SEVERE_FIRST, 0)
    for severity in severities:
        counts[severity] += 1
    return tuple((str(s), n) for s, n in counts.items())


def compare(
    tag: str,
    findings: Iterable[Finding],
    current: dict[FindingKey, Severity] | None = None,
    reference: str = "",
) -> CandidateResult:
    """A tag's result; with the current base's keys, what switching removes and adds."""
    keys = finding_keys(findings)
    before = current if current is not None else keys
    removed = sorted(k for k in before if k not in keys)
    added = sorted(k for k in keys if k not in before)
    return CandidateResult(
        tag=tag,
        total=len(keys),
        by_severity=severity_table(keys.values()),
        removed=len(removed),
        added=len(added),
        removed_ids=tuple(f"{k[0]} {k[2]}" for k in removed),
        added_ids=tuple(f"{k[0]} {k[2]}" for k in added),
        reference=reference,
    )


def recommend(current: CandidateResult, candidates: Iterable[CandidateResult]) -> str:
    """The candidate with the fewest findings (then most removed, then the first: the newest),
    when it has fewer than the current base; else ""."""
    better = [c for c in candidates if c.total < current.total]
    if not better:
        return ""
    return min(better, key=lambda c: (c.total, -c.removed)).tag
