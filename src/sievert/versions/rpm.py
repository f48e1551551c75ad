"""RPM version ordering: rpmvercmp() over epoch, version and release, as rpm 4.18 does it.

Each of version and release is split into runs of ASCII digits and ASCII letters; any
other character only separates runs. `~` sorts before everything (even the end), `^`
sorts after the end but before any further run. Numbers beat letters. As `rpm.vercmp`
does, a version with a release (even an empty one) sorts after the same version without.
"""

from __future__ import annotations

import functools
import re
from typing import TypeAlias

from sievert.errors import VersionError
from sievert.versions._scheme import Scheme, cmp

NAME = "rpm"
_TOKEN = re.compile(r"[0-9]+|[A-Za-z]+|~|\^")
_TILDE = "~"
_CARET = "^"

Token: TypeAlias = int | str
"""An int for a digit run; the run itself for letters; '~' or '^' (tagged in a tuple)."""
Tokens: TypeAlias = tuple[tuple[int, Token], ...]
Evr: TypeAlias = tuple[Tokens, Tokens, Tokens | None]

_NUM, _ALPHA, _MARK = 0, 1, 2


def _tokens(text: str) -> Tokens:
    out: list[tuple[int, Token]] = []
    for run in _TOKEN.findall(text):
        if run.isdecimal():
            out.append((_NUM, int(run)))
        elif run in (_TILDE, _CARET):
            out.append((_MARK, run))
        else:
            out.append((_ALPHA, run))
    return tuple(out)


def _marker(tokens: Tokens, i: int) -> str:
    if i < len(tokens) and tokens[i][0] == _MARK:
        return str(tokens[i][1])
    return ""


def _mark_order(a: Tokens, b: Tokens, i: int) -> int | None:
    """The result decided by a `~` or `^` at position i, or None when neither has one."""
    ma, mb = _marker(a, i), _marker(b, i)
    if _TILDE in (ma, mb):
        return None if ma == mb else (-1 if ma == _TILDE else 1)
    if _CARET in (ma, mb):
        if ma == mb:
            return None
        if i >= len(a):
            return -1
        if i >= len(b):
            return 1
        return 1 if mb == _CARET else -1
    return 2


def vercmp(a: Tokens, b: Tokens) -> int:
    """rpmvercmp() over pre-split tokens: -1, 0 or 1."""
    for i in range(max(len(a), len(b))):
        mark = _mark_order(a, b, i)
        if mark is None:
            continue
        if mark != 2:
            return mark
        if i >= len(a) or i >= len(b):
            break
        (ka, va), (kb, vb) = a[i], b[i]
        if ka != kb:
            return 1 if ka == _NUM else -1
        if va != vb:
            return cmp(va, vb)
    return cmp(len(a), len(b))


@functools.lru_cache(maxsize=65536)
def parse(version: str) -> Evr:
    """Split `[epoch:]version[-release]` and tokenise each part; VersionError if invalid."""
    text = version.strip()
    if not text or any(c.isspace() for c in text):
        raise VersionError(version, NAME, "empty or contains whitespace")
    digits = len(text) - len(text.lstrip("0123456789"))
    epoch = "0"
    if text[digits : digits + 1] == ":":
        epoch, text = text[:digits] or "0", text[digits + 1 :]
    head, dash, release = text.rpartition("-")
    if not dash:
        head, release = text, ""
    if not head:
        raise VersionError(version, NAME, "empty version")
    return _tokens(epoch), _tokens(head), _tokens(release) if dash else None


def compare(a: str, b: str) -> int:
    """Compare two RPM EVR strings: -1, 0 or 1."""
    ea, va, ra = parse(a)
    eb, vb, rb = parse(b)
    result = vercmp(ea, eb) or vercmp(va, vb)
    if result or ra is rb is None:
        return result
    if ra is None or rb is None:
        return -1 if ra is None else 1
    return vercmp(ra, rb)


SCHEME = Scheme(NAME, compare, parse)
