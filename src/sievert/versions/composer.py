"""Composer (Packagist) version ordering: Composer's normalisation, then PHP's
`version_compare()`.

A leading `v` is dropped and the leading numbers are padded to four (`1.2` =
`1.2.0.0`), as Composer normalises. The version is then split into parts at `.`, `-`,
`_`, `+`, any other non-alphanumeric, and each change between digits and non-digits.
Numbers compare numerically; words rank `dev < alpha = a < beta = b < rc < (number) <
patch = pl = p`, any other word below `dev`. When one version runs out, the other is
newer if its next part is a number or a word ranking above a number.
"""

from __future__ import annotations

import functools
import re
from typing import TypeAlias

from sievert.errors import VersionError
from sievert.versions._scheme import Scheme, cmp

NAME = "composer"
_PART = re.compile(r"[0-9]+|[A-Za-z]+")
_FORMS: tuple[tuple[str, int], ...] = (("dev", 0), ("alpha", 1), ("a", 1), ("beta", 2), ("b", 2))
_FORMS += (("rc", 3), ("#", 4), ("pl", 5), ("p", 5))
_NUMBER_RANK = 4
_LEAD = re.compile(r"[0-9]+(?:\.[0-9]+)*")

Part: TypeAlias = int | str


def _rank(word: str) -> int:
    return next((rank for form, rank in _FORMS if word.startswith(form)), -1)


@functools.lru_cache(maxsize=65536)
def parse(version: str) -> tuple[Part, ...]:
    """The parts of a normalised Composer version; VersionError for branches or junk."""
    text = version.strip()
    text = text[1:] if text[:1] in ("v", "V") else text
    if not text[:1].isdecimal() or not text.isascii() or any(c.isspace() for c in text):
        raise VersionError(version, NAME, "not a numbered version (a dev- branch?)")
    parts: list[Part] = [int(p) if p.isdecimal() else p.lower() for p in _PART.findall(text)]
    parts = [p for p in parts if p != "stable"]
    lead = _LEAD.match(text)
    numbers = lead.group().count(".") + 1 if lead else 4
    if numbers < 4:
        parts[numbers:numbers] = [0] * (4 - numbers)
    return tuple(parts)


def _part_cmp(a: Part, b: Part) -> int:
    if isinstance(a, int) and isinstance(b, int):
        return cmp(a, b)
    rank_a = _NUMBER_RANK if isinstance(a, int) else _rank(a)
    rank_b = _NUMBER_RANK if isinstance(b, int) else _rank(b)
    return cmp(rank_a, rank_b)


def _rest_order(rest: Part) -> int:
    """+1 when the longer version's next part makes it newer, -1 when older."""
    if isinstance(rest, int):
        return 1
    return cmp(_rank(rest), _NUMBER_RANK)


def compare(a: str, b: str) -> int:
    """Compare two Composer versions: -1, 0 or 1."""
    pa, pb = parse(a), parse(b)
    for x, y in zip(pa, pb, strict=False):
        result = _part_cmp(x, y)
        if result:
            return result
    if len(pa) == len(pb):
        return 0
    return _rest_order(pa[len(pb)]) if len(pa) > len(pb) else -_rest_order(pb[len(pa)])


SCHEME = Scheme(NAME, compare, parse)
