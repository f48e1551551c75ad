"""Evaluate OSV `affected` ranges and version lists against one installed version.

Semantics of the OSV schema: a range's events are sorted by version (`introduced: "0"`
first); walking them, an `introduced` at or below the version turns "affected" on, a
`fixed` at or below it (exclusive bound) or a `last_affected` below it (inclusive bound)
turns it off. `limit` events cap the range: the version must be below at least one
(`"*"` is no cap). Ranges are OR-ed, and the `versions` list is an explicit match.
`SEMVER` ranges use semver order whatever the ecosystem; `GIT` ranges name commits and
are matched only through the `versions` list. A range holding a version the scheme
cannot parse is skipped with a reason, never fatal.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sievert.errors import VersionError
from sievert.model.vuln import RangeEvent, VersionRange
from sievert.versions import semver
from sievert.versions._scheme import Scheme
from sievert.versions.plugins import scheme_for

INTRODUCED, FIXED, LAST_AFFECTED, LIMIT = "introduced", "fixed", "last_affected", "limit"
_KINDS = frozenset({INTRODUCED, FIXED, LAST_AFFECTED, LIMIT})
VERSIONS_LIST = "VERSIONS"


@dataclass(frozen=True, slots=True)
class RangeHit:
    """Why the version is affected: one range interval, or the explicit versions list."""

    range_index: int
    """Index in the ranges given; -1 for the `versions` list."""
    range_type: str
    """'ECOSYSTEM', 'SEMVER', or VERSIONS_LIST."""
    introduced: str = ""
    fixed: str = ""
    last_affected: str = ""
    limit: str = ""
    listed: str = ""
    """The entry of the versions list that matched."""

    def evidence(self) -> str:
        """Human text: 'introduced 2.0.0, fixed 2.17.1'."""
        if self.range_type == VERSIONS_LIST:
            return f"listed affected version {self.listed}"
        intro = "introduced 0 (all earlier versions)" if self.introduced == "0" else ""
        parts = [intro or f"introduced {self.introduced}"]
        if self.fixed:
            parts.append(f"fixed {self.fixed}")
        elif self.last_affected:
            parts.append(f"last_affected {self.last_affected}")
        else:
            parts.append("no fix")
        if self.limit:
            parts.append(f"limit {self.limit}")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class RangeMatch:
    """The version is affected: the ranges that matched and the fixes they name."""

    hits: tuple[RangeHit, ...]
    fixed_versions: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    """Reasons some ranges could not be evaluated (for a notice)."""

    @property
    def evidence(self) -> str:
        """All hits' evidence joined with '; '."""
        return "; ".join(hit.evidence() for hit in self.hits)


@dataclass(frozen=True, slots=True)
class RangeResult:
    """The full verdict: the match (None when not affected) and every skipped range."""

    match: RangeMatch | None
    skipped: tuple[str, ...] = ()


_UNAFFECTED = RangeResult(None)


class _SkipError(Exception):
    """A range that cannot be evaluated; the message is the reason."""


def _resolve(scheme: Scheme | str) -> Scheme:
    return scheme if isinstance(scheme, Scheme) else scheme_for(scheme)


def _check_events(scheme: Scheme, index: int, events: Sequence[RangeEvent]) -> None:
    for event in events:
        if event.kind not in _KINDS:
            raise _SkipError(f"range {index}: unknown event {event.kind!r}")
        if (event.kind, event.version) in ((INTRODUCED, "0"), (LIMIT, "*")):
            continue
        try:
            scheme.check(event.version)
        except VersionError as err:
            raise _SkipError(f"range {index} skipped: {err}") from None


def _is_zero(event: RangeEvent) -> bool:
    return event.kind == INTRODUCED and event.version == "0"


Key = Callable[[str], Any]
"""A scheme's order key (`Scheme.order_key`): versions compare as their keys do."""


def _event_key(key: Key, event: RangeEvent) -> tuple[Any, ...]:
    """Sort key of events: `introduced: "0"` first, then by version."""
    return (0,) if _is_zero(event) else (1, key(event.version))


def _below_limits(key: Key, version: Any, events: Sequence[RangeEvent]) -> bool:
    limits = [e.version for e in events if e.kind == LIMIT]
    return not limits or any(lim == "*" or version < key(lim) for lim in limits)


def _is_on(key: Key, version: Any, event: RangeEvent) -> bool | None:
    """True/False when this event switches the state at this version, None when not."""
    if event.kind == INTRODUCED:
        return True if _is_zero(event) or version >= key(event.version) else None
    if event.kind == FIXED and version >= key(event.version):
        return False
    if event.kind == LAST_AFFECTED and version > key(event.version):
        return False
    return None


def _walk(key: Key, version: Any, ordered: Sequence[RangeEvent]) -> int | None:
    """Index of the `introduced` event opening the interval holding version, or None."""
    opened: int | None = None
    for position, event in enumerate(ordered):
        state = _is_on(key, version, event)
        if state is not None:
            opened = position if state else None
    return opened


def _range_hit(scheme: Scheme, version: str, index: int, rng: VersionRange) -> RangeHit | None:
    if rng.type == "GIT":
        return None
    if rng.type not in ("ECOSYSTEM", "SEMVER"):
        raise _SkipError(f"range {index}: unknown range type {rng.type!r}")
    order = semver.SCHEME if rng.type == "SEMVER" else scheme
    try:
        order.check(version)
    except VersionError as err:
        raise _SkipError(f"range {index} skipped: installed {err}") from None
    _check_events(order, index, rng.events)
    key = order.order_key()  # every version is valid now: keys compare without errors
    installed = key(version)
    if not _below_limits(key, installed, rng.events):
        return None
    bounds = [e for e in rng.events if e.kind != LIMIT]
    ordered = sorted(bounds, key=functools.partial(_event_key, key))
    opened = _walk(key, installed, ordered)
    if opened is None:
        return None
    close = next((e for e in ordered[opened + 1 :] if e.kind in (FIXED, LAST_AFFECTED)), None)
    limit = next((e.version for e in rng.events if e.kind == LIMIT), "")
    return RangeHit(
        range_index=index,
        range_type=rng.type,
        introduced=ordered[opened].version,
        fixed=close.version if close and close.kind == FIXED else "",
        last_affected=close.version if close and close.kind == LAST_AFFECTED else "",
        limit=limit,
    )


def _listed(scheme: Scheme, version: str, versions: Sequence[str]) -> RangeHit | None:
    for listed in versions:
        if listed == version:
            return RangeHit(-1, VERSIONS_LIST, listed=listed)
    if not versions:
        return None
    key = scheme.order_key()
    try:
        installed = key(version)
    except VersionError:  # every comparison would fail: only the exact spelling can match
        return None
    for listed in versions:
        try:
            if key(listed) == installed:
                return RangeHit(-1, VERSIONS_LIST, listed=listed)
        except VersionError:
            continue
    return None


def evaluate(
    scheme: Scheme | str,
    version: str,
    ranges: Sequence[VersionRange],
    versions: Sequence[str] = (),
) -> RangeResult:
    """Evaluate every range and the versions list; collect hits, fixes and skip reasons."""
    order = _resolve(scheme)
    hits: list[RangeHit] = []
    skipped: list[str] = []
    for index, rng in enumerate(ranges):
        try:
            hit = _range_hit(order, version, index, rng)
        except _SkipError as skip:
            skipped.append(str(skip))
            continue
        if hit is not None:
            hits.append(hit)
    listed = _listed(order, version, versions)
    if listed is not None:
        hits.append(listed)
    if not hits:
        return RangeResult(None, tuple(skipped)) if skipped else _UNAFFECTED
    fixes = tuple(dict.fromkeys(hit.fixed for hit in hits if hit.fixed))
    return RangeResult(RangeMatch(tuple(hits), fixes, tuple(skipped)), tuple(skipped))


def is_affected(
    scheme: Scheme | str,
    version: str,
    ranges: Sequence[VersionRange],
    versions: Sequence[str] = (),
) -> RangeMatch | None:
    """The match when the version is affected, else None (see `evaluate` for skip reasons)."""
    return evaluate(scheme, version, ranges, versions).match
