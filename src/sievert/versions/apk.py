"""Alpine (apk-tools) version ordering, written from the apk version grammar.

    version := digits {"." digits} [letter] {"_" suffix [digits]} ["~" hexhash] ["-r" digits]

Tokens are compared pairwise while both versions have a token of the same kind. Digit
runs after the first compare as strings when either has a leading zero (so `1.02 < 1.2`),
numerically otherwise. Suffixes order `_alpha < _beta < _pre < _rc < (none) < _cvs < _svn
< _git < _hg < _p`. When the token kinds differ, a pre-release suffix makes its version
older; otherwise the version whose token kind comes later in the grammar is older (the
end of a string comes last), so `1.0 < 1.0.1`, `1.0a < 1.0.1`, `1.0 < 1.0_p1 < 1.0-r1`.
"""

from __future__ import annotations

import functools
import re
from typing import TypeAlias

from sievert.errors import VersionError
from sievert.versions._scheme import Scheme, cmp

NAME = "apk"

INITIAL, DIGIT, LETTER, SUFFIX, SUFFIX_NO, HASH, REVISION, END = range(8)
SUFFIXES = ("alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p")
_RELEASE = SUFFIXES.index("")
_RANK = {name: rank for rank, name in enumerate(SUFFIXES) if name}

_SCAN = re.compile(
    r"(?P<dot>\.[0-9]+)|(?P<letter>[a-z])|(?P<suffix>_[a-z]*)|(?P<num>[0-9]+)"
    r"|(?P<hash>~[0-9a-f]+)|(?P<rev>-r[0-9]+)"
)

Value: TypeAlias = int | str | tuple[int, str]
Token: TypeAlias = tuple[int, Value]


class _InvalidError(Exception):
    """The version breaks the grammar."""


def _next_kind(prev: int, group: str) -> int:
    """The token kind for a lexeme after a token of kind prev; _InvalidError if not allowed."""
    if group == "dot" and prev <= DIGIT:
        return DIGIT
    if group == "letter" and prev <= DIGIT:
        return LETTER
    if group == "num" and prev == SUFFIX:
        return SUFFIX_NO
    if group == "suffix" and prev <= SUFFIX_NO:
        return SUFFIX
    if group == "hash" and prev < HASH:
        return HASH
    if group == "rev" and prev < REVISION:
        return REVISION
    raise _InvalidError


def _value(kind: int, text: str) -> Value:
    if kind == DIGIT:
        return (int(text[1:]), text[1:])
    if kind == SUFFIX:
        if text[1:] not in _RANK:
            raise _InvalidError
        return _RANK[text[1:]]
    if kind in (SUFFIX_NO, REVISION):
        return int(text.removeprefix("-r"))
    if kind == HASH:
        return text[1:]
    return text


def _tokenise(version: str) -> tuple[Token, ...]:
    head = re.match(r"[0-9]+", version)
    if head is None:
        raise _InvalidError
    tokens: list[Token] = [(INITIAL, int(head.group()))]
    pos, kind = head.end(), INITIAL
    while pos < len(version):
        match = _SCAN.match(version, pos)
        if match is None or match.lastgroup is None:
            raise _InvalidError
        kind = _next_kind(kind, match.lastgroup)
        tokens.append((kind, _value(kind, match.group())))
        pos = match.end()
    return tuple(tokens)


@functools.lru_cache(maxsize=65536)
def parse(version: str) -> tuple[Token, ...]:
    """The token list of an apk version; raises VersionError when apk would reject it."""
    try:
        return _tokenise(version)
    except _InvalidError:
        raise VersionError(version, NAME, "does not follow the apk version grammar") from None


def _token_cmp(kind: int, a: Value, b: Value) -> int:
    if kind == DIGIT and isinstance(a, tuple) and isinstance(b, tuple):
        if a[1].startswith("0") or b[1].startswith("0"):
            return cmp(a[1], b[1])
        return cmp(a[0], b[0])
    return cmp(a, b)


def _tail_order(ka: int, va: Value, kb: int, vb: Value) -> int:
    """Order once the token kinds differ: a pre-release suffix or a later kind is older."""
    if ka == SUFFIX and isinstance(va, int) and va < _RELEASE:
        return -1
    if kb == SUFFIX and isinstance(vb, int) and vb < _RELEASE:
        return 1
    return cmp(kb, ka)


def compare(a: str, b: str) -> int:
    """Compare two apk versions: -1, 0 or 1."""
    ta, tb = parse(a), parse(b)
    for i in range(max(len(ta), len(tb))):
        ka, va = ta[i] if i < len(ta) else (END, "")
        kb, vb = tb[i] if i < len(tb) else (END, "")
        if ka != kb:
            return _tail_order(ka, va, kb, vb)
        result = _token_cmp(ka, va, vb)
        if result:
            return result
    return 0


SCHEME = Scheme(NAME, compare, parse)
