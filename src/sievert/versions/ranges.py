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

from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from sievert.errors import VersionError
from sievert.model.vuln import RangeEvent, VersionRange
from sievert.versions import semver
from sievert.versions._scheme import Scheme
from sievert.versions.plugins import scheme_for

INTRODUCED, FIXED, LAST_AFFECTED, LIMIT = "introduced", "fixed", "last_affected", "limit"
_KINDS = frozenset({INTRODUCED, FIXED, LAST_AFFECTED, LIMIT})
VERSIONS_LIST = "VERSIONS"


class RangeHit(msgspec.Struct, frozen=True):
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


class RangeMatch(msgspec.Struct, frozen=True):
    """The version is affected: the ranges that matched and the fixes they name."""

    hits: tuple[RangeHit, ...]
    fixed_versions: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    """Reasons some ranges could not be evaluated (for a notice)."""

    @property
    def evidence(self) -> str:
        """All hits' evidence joined with '; '."""
        return "; ".join(hit.evidence() for hit in self.hits)


class RangeResult(msgspec.Struct, frozen=True):
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
        kind = event.kind
        if kind not in _KINDS:
            raise _SkipError(f"range {index}: unknown event {kind!r}")
        version = event.version
        if (kind == INTRODUCED and version == "0") or (kind == LIMIT and version == "*"):
            continue
        try:
            scheme.check(version)
        except VersionError as err:
            raise _SkipError(f"range {index} skipped: {err}") from None


Key = Callable[[str], Any]
"""A scheme's order key (`Scheme.order_key`): versions compare as their keys do."""
_ZERO = (0,)
"""Sort key of `introduced: "0"`: before every version (the others sort as (1, key))."""


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
    bounds: list[tuple[tuple[Any, ...], RangeEvent]] = []
    limits: list[str] = []
    for event in rng.events:
        if event.kind == LIMIT:
            limits.append(event.version)
        elif event.kind == INTRODUCED and event.version == "0":
            bounds.append((_ZERO, event))
        else:
            bounds.append(((1, key(event.version)), event))
    if limits and not any(lim == "*" or installed < key(lim) for lim in limits):
        return None
    if len(bounds) == 2:  # the common range (introduced, fixed): a stable sort of two
        if bounds[1][0] < bounds[0][0]:
            bounds.reverse()
    elif len(bounds) > 2:  # events by version, `introduced: "0"` first (a stable sort)
        bounds.sort(key=_first)
    opened = _opened(installed, bounds)
    if opened is None:
        return None
    close = next((e for _, e in bounds[opened + 1 :] if e.kind in (FIXED, LAST_AFFECTED)), None)
    return RangeHit(
        range_index=index,
        range_type=rng.type,
        introduced=bounds[opened][1].version,
        fixed=close.version if close and close.kind == FIXED else "",
        last_affected=close.version if close and close.kind == LAST_AFFECTED else "",
        limit=limits[0] if limits else "",
    )


def _first(item: tuple[tuple[Any, ...], RangeEvent]) -> tuple[Any, ...]:
    return item[0]


def _opened(installed: Any, ordered: Sequence[tuple[tuple[Any, ...], RangeEvent]]) -> int | None:
    """Position of the `introduced` event opening the interval holding the installed version
    (events walked in order: an `introduced` at or below it opens, a `fixed` at or below it or
    a `last_affected` below it closes), or None."""
    opened: int | None = None
    for position, (sort_key, event) in enumerate(ordered):
        if event.kind == INTRODUCED:
            if sort_key is _ZERO or installed >= sort_key[1]:
                opened = position
        elif event.kind == FIXED:
            if installed >= sort_key[1]:
                opened = None
        elif event.kind == LAST_AFFECTED and installed > sort_key[1]:
            opened = None
    return opened


def _listed(scheme: Scheme, version: str, versions: Sequence[str]) -> RangeHit | None:
    if not versions:
        return None
    if version in versions:  # the exact spelling
        return RangeHit(-1, VERSIONS_LIST, listed=version)
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
