"""`evaluate` against a plain reading of the OSV range semantics, on generated ranges.

The reference below spells the rules one step at a time (validate every event, sort the bounds
with `introduced: "0"` first, walk them, check the limits, look at the versions list by spelling
and then by order); the evaluator computes each event's order key once and must agree with it
on every verdict, hit, fix and skip reason."""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sievert.errors import VersionError
from sievert.model import RangeEvent, VersionRange
from sievert.versions import evaluate, scheme_for, semver
from sievert.versions._scheme import Scheme
from sievert.versions.ranges import VERSIONS_LIST, RangeHit, RangeMatch, RangeResult

KINDS = ("introduced", "fixed", "last_affected", "limit")


def _reference_hit(scheme: Scheme, version: str, index: int, rng: VersionRange) -> Any:
    """None, a RangeHit, or the skip reason (a str)."""
    if rng.type == "GIT":
        return None
    if rng.type not in ("ECOSYSTEM", "SEMVER"):
        return f"range {index}: unknown range type {rng.type!r}"
    order = semver.SCHEME if rng.type == "SEMVER" else scheme
    try:
        order.check(version)
    except VersionError as err:
        return f"range {index} skipped: installed {err}"
    for event in rng.events:
        if event.kind not in KINDS:
            return f"range {index}: unknown event {event.kind!r}"
        if (event.kind, event.version) in (("introduced", "0"), ("limit", "*")):
            continue
        try:
            order.check(event.version)
        except VersionError as err:
            return f"range {index} skipped: {err}"
    key = order.order_key()
    installed = key(version)
    limits = [e.version for e in rng.events if e.kind == "limit"]
    if limits and not any(lim == "*" or installed < key(lim) for lim in limits):
        return None

    def is_zero(event: RangeEvent) -> bool:
        return event.kind == "introduced" and event.version == "0"

    def sort_key(event: RangeEvent) -> tuple[Any, ...]:
        return (0,) if is_zero(event) else (1, key(event.version))

    ordered = sorted((e for e in rng.events if e.kind != "limit"), key=sort_key)
    opened = None
    for position, event in enumerate(ordered):
        if event.kind == "introduced" and (is_zero(event) or installed >= key(event.version)):
            opened = position
        elif event.kind in ("fixed", "last_affected"):
            bound = key(event.version)
            if installed > bound or (event.kind == "fixed" and installed == bound):
                opened = None
    if opened is None:
        return None
    later = [e for e in ordered[opened + 1 :] if e.kind in ("fixed", "last_affected")]
    close = later[0] if later else None
    return RangeHit(
        range_index=index,
        range_type=rng.type,
        introduced=ordered[opened].version,
        fixed=close.version if close and close.kind == "fixed" else "",
        last_affected=close.version if close and close.kind == "last_affected" else "",
        limit=limits[0] if limits else "",
    )


def _reference_listed(scheme: Scheme, version: str, versions: tuple[str, ...]) -> Any:
    """The exact spelling first, then the first listed version the scheme's own `compare`
    (not its order key) finds equal; a version it cannot compare is passed over."""
    if version in versions:
        return RangeHit(-1, VERSIONS_LIST, listed=version)
    for listed in versions:
        try:
            if scheme.compare(listed, version) == 0:
                return RangeHit(-1, VERSIONS_LIST, listed=listed)
        except VersionError:
            continue
    return None


def reference(
    ecosystem: str, version: str, ranges: tuple[VersionRange, ...], versions: tuple[str, ...]
) -> RangeResult:
    scheme = scheme_for(ecosystem)
    hits, skipped = [], []
    for index, rng in enumerate(ranges):
        outcome = _reference_hit(scheme, version, index, rng)
        if isinstance(outcome, str):
            skipped.append(outcome)
        elif outcome is not None:
            hits.append(outcome)
    listed = _reference_listed(scheme, version, versions)
    if listed is not None:
        hits.append(listed)
    if not hits:
        return RangeResult(None, tuple(skipped))
    fixes = tuple(dict.fromkeys(h.fixed for h in hits if h.fixed))
    return RangeResult(RangeMatch(tuple(hits), fixes, tuple(skipped)), tuple(skipped))


VERSIONS = ("0", "1", "1.0", "1.0.0", "1.2", "1.2.3", "2.0.0", "2.0.0-rc.1", "3", "v1.0", "bad!")
"""A small alphabet so that bounds collide, tie and straddle the installed version; 'bad!'
and 'v1.0' parse in some schemes and not in others."""
EVENTS = st.builds(
    RangeEvent,
    st.sampled_from((*KINDS, *KINDS, "fixed?")),
    st.sampled_from((*VERSIONS, "*")),
)
RANGES = st.builds(
    VersionRange,
    st.sampled_from(("ECOSYSTEM", "ECOSYSTEM", "SEMVER", "GIT", "OTHER")),
    st.lists(EVENTS, max_size=5).map(tuple),
)


@settings(max_examples=600, deadline=None)
@given(
    st.sampled_from(("pypi", "npm", "rubygems", "maven", "go", "debian:bookworm")),
    st.sampled_from(VERSIONS),
    st.lists(RANGES, max_size=3).map(tuple),
    st.lists(st.sampled_from(VERSIONS), max_size=4).map(tuple),
)
def test_evaluate_agrees_with_the_reference(
    ecosystem: str, version: str, ranges: tuple[VersionRange, ...], versions: tuple[str, ...]
) -> None:
    assert evaluate(ecosystem, version, ranges, versions) == reference(
        ecosystem, version, ranges, versions
    )


def test_the_generated_cases_reach_every_outcome() -> None:
    """Not vacuous: hits, misses and skips all occur on the alphabet."""
    one = functools.partial(evaluate, "pypi")
    rng = VersionRange("ECOSYSTEM", (RangeEvent("introduced", "1.0"), RangeEvent("fixed", "2")))
    assert one("1.2", (rng,)).match is not None
    assert one("3", (rng,)).match is None
    bad = VersionRange("ECOSYSTEM", (RangeEvent("introduced", "bad!"),))
    assert one("1.2", (bad,)).skipped
