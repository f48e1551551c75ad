"""NuGet version ordering (NuGetVersion): up to four numbers, SemVer 2 release labels.

Missing numbers are 0 (`1.0` = `1.0.0.0`), leading zeros are allowed. A version with
release labels sorts before the same numbers without; labels compare pairwise, numbers
numerically and before words, words case-insensitively. Metadata after `+` is ignored.
"""

from __future__ import annotations

import functools
import re
from typing import TypeAlias

from sievert.errors import VersionError
from sievert.versions._scheme import Scheme, cmp

NAME = "nuget"
_LABEL = r"[0-9A-Za-z-]+"
_PATTERN = re.compile(
    rf"v?([0-9]+(?:\.[0-9]+){{0,3}})(?:-({_LABEL}(?:\.{_LABEL})*))?(?:\+{_LABEL}(?:\.{_LABEL})*)?"
)

Label: TypeAlias = tuple[int, int, str]
NugetKey: TypeAlias = tuple[tuple[int, ...], int, tuple[Label, ...]]


def _label(text: str) -> Label:
    return (0, int(text), "") if text.isdecimal() else (1, 0, text.lower())


@functools.lru_cache(maxsize=65536)
def parse(version: str) -> NugetKey:
    """The order key of a NuGet version; raises VersionError when it is not one."""
    match = _PATTERN.fullmatch(version.strip())
    if match is None:
        raise VersionError(version, NAME, "not N[.N[.N[.N]]][-label][+metadata]")
    numbers = [int(n) for n in match.group(1).split(".")]
    numbers += [0] * (4 - len(numbers))
    labels = match.group(2)
    if labels is None:
        return (tuple(numbers), 1, ())
    return (tuple(numbers), 0, tuple(_label(p) for p in labels.split(".")))


def compare(a: str, b: str) -> int:
    """Compare two NuGet versions: -1, 0 or 1."""
    return cmp(parse(a), parse(b))


SCHEME = Scheme(NAME, compare, parse, key=parse)
