"""The distro matcher's fixed-version test reads as the scheme's compare, errors included."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from sievert.errors import VersionError
from sievert.match.distro import _below
from sievert.versions import scheme_for

VERSIONS = (
    "1.0-1", "1.0-2", "1:0.9-1", "1.0~rc1-1", "1.0+deb12u1", "2.36-9+deb12u4", "", "a b",
    "x:1.0", "1.0-r0", "1.0-r1", "1.0_p1-r0", "0:1.0-1.el9", "1.0-1.el9_2", "1.0", "1.0.0",
)  # fmt: skip
"""Debian, Alpine and RPM spellings, some valid only in one scheme, some in none."""


def outcome(call: Callable[[str], bool], fixed: str) -> object:
    try:
        return call(fixed)
    except VersionError as exc:
        return ("error", str(exc))


@given(
    st.sampled_from(("deb", "apk", "rpm")),
    st.sampled_from(VERSIONS),
    st.lists(st.sampled_from(VERSIONS), min_size=1, max_size=4),
)
def test_below_is_compare_below_zero(scheme_name: str, installed: str, fixes: list[str]) -> None:
    scheme = scheme_for(scheme_name)
    below = _below(scheme, installed)  # one per package, asked for each statement in turn
    for fixed in fixes:
        expected = outcome(lambda f: scheme.compare(installed, f) < 0, fixed)
        assert outcome(below, fixed) == expected


def test_both_paths_are_taken() -> None:
    """Not vacuous: dpkg has an order key, apk and rpm compare."""
    assert scheme_for("deb").key is not None
    assert scheme_for("apk").key is None and scheme_for("rpm").key is None
