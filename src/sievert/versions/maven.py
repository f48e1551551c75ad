"""Maven version ordering, after the "Version Order Specification" of the POM reference.

The version is lower-cased and split into tokens at `.`, `-` and at each change between
digits and letters (such a change counts as `-`). Empty tokens are 0. `a1`, `b1`, `m1`
(a letter directly followed by a number) stand for alpha, beta, milestone. Trailing null
tokens (0, "", `ga`, `final`, `release`) are trimmed at the end of each hyphen-separated
group. Tokens then compare left to right, the shorter version padded with nulls:
qualifiers sort before `-number`, which sorts before `.number`; known qualifiers order
`alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp`, unknown
ones after them, alphabetically.
"""

from __future__ import annotations

import functools
import re
from typing import TypeAlias

from sievert.errors import VersionError
from sievert.versions._scheme import Scheme, cmp

NAME = "maven"
_KNOWN = {"alpha": 0, "beta": 1, "milestone": 2, "rc": 3, "cr": 3, "snapshot": 4}
_KNOWN.update({"": 5, "ga": 5, "final": 5, "release": 5, "sp": 6})
_SHORT = {"a": "alpha", "b": "beta", "m": "milestone"}
_NULLS = frozenset({0, "", "ga", "final", "release"})
_RUN = re.compile(r"[0-9]+|[^0-9]+")

Token: TypeAlias = tuple[str, int | str]
"""(separator before it: '.' or '-', number or qualifier)."""
QualKey: TypeAlias = tuple[int, str]


def _split(version: str) -> list[Token]:
    tokens: list[Token] = []
    for group_no, group in enumerate(version.lower().split("-")):
        for part_no, part in enumerate(group.split(".")):
            sep = "-" if group_no and not part_no else "."
            runs = _RUN.findall(part) or [""]
            for run_no, run in enumerate(runs):
                value: int | str = int(run) if run.isdecimal() else run
                if isinstance(value, str) and run_no + 1 < len(runs):
                    value = _SHORT.get(value, value)
                tokens.append((sep if run_no == 0 else "-", value if run else 0))
    return tokens


def _trim(tokens: list[Token]) -> tuple[Token, ...]:
    """Drop the trailing nulls of each hyphen-separated group (and groups left empty)."""
    groups: list[list[Token]] = []
    for token in tokens:
        if token[0] == "-" or not groups:
            groups.append([])
        groups[-1].append(token)
    out: list[Token] = []
    for group in groups:
        while group and group[-1][1] in _NULLS:
            group.pop()
        out.extend(group)
    return tuple(out)


@functools.lru_cache(maxsize=65536)
def parse(version: str) -> tuple[Token, ...]:
    """The normalised token list of a Maven version; VersionError when empty or spaced."""
    if not version.strip() or any(c.isspace() for c in version):
        raise VersionError(version, NAME, "empty or contains whitespace")
    return _trim(_split(version))


def _qualifier(value: str) -> QualKey:
    rank = _KNOWN.get(value)
    return (rank, "") if rank is not None else (len(_KNOWN), value)


def _token_cmp(a: Token, b: Token) -> int:
    (sa, va), (sb, vb) = a, b
    if isinstance(va, str) and isinstance(vb, str):
        return cmp(_qualifier(va), _qualifier(vb))
    if isinstance(va, int) and isinstance(vb, int):
        return cmp((sa == ".", va), (sb == ".", vb))
    return 1 if isinstance(va, int) else -1


def _null_like(token: Token) -> Token:
    return (token[0], 0 if isinstance(token[1], int) else "")


def compare(a: str, b: str) -> int:
    """Compare two Maven versions: -1, 0 or 1."""
    ta, tb = parse(a), parse(b)
    for i in range(max(len(ta), len(tb))):
        xa = ta[i] if i < len(ta) else _null_like(tb[i])
        xb = tb[i] if i < len(tb) else _null_like(ta[i])
        result = _token_cmp(xa, xb)
        if result:
            return result
    return 0


SCHEME = Scheme(NAME, compare, parse)
