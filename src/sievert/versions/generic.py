"""A tolerant ordering for upstream release versions (CVE and CPE data about programs).

    version := ["v"] digits {sep part} ["+" build]     sep := "." | "-" | "_" | "~" | ""
    part    := digits | letters

Parts compare left to right. Numbers compare numerically; a missing number counts as 0, so
`1.22 == 1.22.0`. A word is a pre-release when it is `dev`, `alpha`, `beta`, `pre`, `preview` or
`rc`, or a single `a`/`b`/`c` followed by a number (`3.12.0a1`); it sorts before the release
(`1.0.0-rc1 < 1.0.0`). Any other word is a post-release mark such as OpenSSL's letter
(`1.1.1 < 1.1.1w < 1.1.2`), sorting after the release and before a further number. Build
metadata after `+` is ignored (`11.0.21+9 == 11.0.21`), as in SemVer.
"""

from __future__ import annotations

import functools
import re
from typing import TypeAlias

from sievert.errors import VersionError
from sievert.versions._scheme import Scheme, cmp

NAME = "generic"

PRE_WORDS = {
    "dev": 0, "alpha": 1, "a": 1, "beta": 2, "b": 2, "pre": 3, "preview": 3, "c": 4, "rc": 4,
}  # fmt: skip
PRE, END, POST, NUMBER = range(4)
"""Part kinds, in the order they sort against each other at one position."""

Part: TypeAlias = tuple[int, int, str]
"""(kind, number or pre-release rank, word)."""

_SHAPE = re.compile(r"[0-9]+(?:[._~-]?[0-9a-z]+)*")
_PARTS = re.compile(r"[0-9]+|[a-z]+")


def _parts(text: str) -> tuple[Part, ...]:
    tokens = _PARTS.findall(text)
    parts: list[Part] = []
    for index, token in enumerate(tokens):
        if token.isdecimal():
            parts.append((NUMBER, int(token), ""))
            continue
        numbered = index + 1 < len(tokens) and tokens[index + 1].isdecimal()
        rank = PRE_WORDS.get(token)
        if rank is not None and (len(token) > 1 or numbered):
            parts.append((PRE, rank, token))
        else:
            parts.append((POST, 0, token))
    return tuple(parts)


@functools.lru_cache(maxsize=65536)
def parse(version: str) -> tuple[Part, ...]:
    """The parts of a version; raises VersionError when it has no leading number or odd chars."""
    text = version.strip().lower().removeprefix("v").split("+", 1)[0]
    if not _SHAPE.fullmatch(text):
        raise VersionError(version, NAME, "expected dotted numbers with optional words")
    return _parts(text)


def _part_cmp(a: Part, b: Part) -> int:
    if a[0] != b[0]:
        return cmp(a[0], b[0])
    return cmp(a[1], b[1]) or cmp(a[2], b[2])


def compare(a: str, b: str) -> int:
    """Compare two generic versions: -1, 0 or 1."""
    pa, pb = parse(a), parse(b)
    zero: Part = (NUMBER, 0, "")
    for index in range(max(len(pa), len(pb))):
        xa = pa[index] if index < len(pa) else (END, 0, "")
        xb = pb[index] if index < len(pb) else (END, 0, "")
        if {xa, xb} == {zero, (END, 0, "")}:
            continue
        result = _part_cmp(xa, xb)
        if result:
            return result
    return 0


SCHEME = Scheme(NAME, compare, parse)
