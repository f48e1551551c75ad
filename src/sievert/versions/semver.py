"""Semantic Versioning 2.0.0 ordering (npm, crates.io, OSV `SEMVER` ranges).

`MAJOR.MINOR.PATCH[-pre.release][+build]`: numbers compare numerically; a pre-release
sorts before its release; pre-release identifiers compare numerically when both are
numbers, a number sorts before a word, words compare in ASCII order, and a shorter list
sorts first when it is a prefix of the longer. Build metadata is ignored. As npm's loose
mode and Go do, a leading `v` or `=` is accepted.
"""

from __future__ import annotations

import functools
import re
from typing import TypeAlias

from sievert.errors import VersionError
from sievert.versions._scheme import Scheme, cmp

NAME = "semver"
_IDENT = r"[0-9A-Za-z-]+"
_PATTERN = re.compile(
    rf"[v=]?\s*([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?"
    rf"(?:-({_IDENT}(?:\.{_IDENT})*))?(?:\+{_IDENT}(?:\.{_IDENT})*)?"
)
"""Partial versions ('1', '1.0', found in advisory ranges) mean their missing parts are 0."""

Ident: TypeAlias = tuple[int, int, str]
SemverKey: TypeAlias = tuple[int, int, int, int, tuple[Ident, ...]]


def _ident(text: str) -> Ident:
    if text.isdecimal():
        return (0, int(text), "")
    return (1, 0, text)


def key_from(version: str, scheme: str) -> SemverKey:
    """The order key of a semver string, reporting errors against the given scheme name."""
    match = _PATTERN.fullmatch(version.strip())
    if match is None:
        raise VersionError(version, scheme, "not MAJOR.MINOR.PATCH[-prerelease][+build]")
    major, minor, patch, pre = match.groups()
    numbers = (int(major), int(minor or 0), int(patch or 0))
    if pre is None:
        return (*numbers, 1, ())
    return (*numbers, 0, tuple(_ident(p) for p in pre.split(".")))


@functools.lru_cache(maxsize=65536)
def parse(version: str) -> SemverKey:
    """The order key of a semver version; raises VersionError when it is not one."""
    return key_from(version, NAME)


def compare(a: str, b: str) -> int:
    """Compare two semantic versions: -1, 0 or 1."""
    return cmp(parse(a), parse(b))


SCHEME = Scheme(NAME, compare, parse, key=parse)
