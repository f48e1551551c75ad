"""Python package version ordering (PEP 440), through `packaging`.

`order_key` spells packaging's order as plain tuples of numbers and strings, so ranges compare
PyPI versions without a Python-level comparison method per step."""

from __future__ import annotations

import functools
from typing import TypeAlias

from packaging.version import InvalidVersion, Version

from sievert.errors import VersionError
from sievert.versions._scheme import Scheme, cmp

NAME = "pep440"


@functools.lru_cache(maxsize=65536)
def parse(version: str) -> Version:
    """The parsed PEP 440 version; raises VersionError when it is not one."""
    try:
        return Version(version)
    except InvalidVersion:
        raise VersionError(version, NAME, "not a PEP 440 version") from None


def compare(a: str, b: str) -> int:
    """Compare two PEP 440 versions: -1, 0 or 1."""
    return cmp(parse(a), parse(b))


Part: TypeAlias = tuple[int, ...] | tuple[int, str, int] | tuple[int, int, str]
Pep440Key: TypeAlias = tuple[int, tuple[int, ...], Part, Part, Part, tuple[object, ...]]
_LOW, _HIGH = (0,), (2,)
"""Below and above every present part: packaging's NegativeInfinity and Infinity."""


@functools.lru_cache(maxsize=65536)
def order_key(version: str) -> Pep440Key:
    """packaging's order of versions (its comparison key, part by part) as plain tuples:
    release without trailing zeros; a dev release sorts before its pre-releases, a final
    release after them; post-releases after the release; local labels last, words before
    numbers. VersionError when the version is not PEP 440."""
    parsed = parse(version)
    release = list(parsed.release)
    while release and release[-1] == 0:
        release.pop()
    pre, post, dev = parsed.pre, parsed.post, parsed.dev
    if pre is not None:
        pre_part: Part = (1, pre[0], pre[1])
    else:
        pre_part = _LOW if post is None and dev is not None else _HIGH
    local: tuple[object, ...] = _LOW
    if parsed.local is not None:
        local = (
            1,
            *((1, int(p), "") if p.isdecimal() else (0, 0, p) for p in parsed.local.split(".")),
        )
    return (
        parsed.epoch,
        tuple(release),
        pre_part,
        _LOW if post is None else (1, post),
        _HIGH if dev is None else (1, dev),
        local,
    )


SCHEME = Scheme(NAME, compare, parse, key=order_key)
