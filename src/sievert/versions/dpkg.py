"""Debian package version ordering, as `dpkg --compare-versions` does it.

A version is `[epoch:]upstream[-revision]`. Each part is compared as alternating runs of
non-digits (character by character: `~` first, then the end of the string, then letters,
then everything else) and digits (numerically). The key built here encodes that order in
nested tuples, so one comparison is a tuple comparison.
"""

from __future__ import annotations

import functools
import re
from typing import TypeAlias

from sievert.errors import VersionError
from sievert.versions._scheme import Scheme, cmp

NAME = "dpkg"
_PART = re.compile(r"([^0-9]*)([0-9]*)")
_END = ((0,), 0)

PartKey: TypeAlias = tuple[tuple[tuple[int, ...], int], ...]
DpkgKey: TypeAlias = tuple[int, PartKey, PartKey]


def _char_weight(char: str) -> int:
    if char == "~":
        return -1
    if char.isascii() and char.isalpha():
        return ord(char)
    return ord(char) + 256


@functools.lru_cache(maxsize=4096)
def _weights(letters: str) -> tuple[int, ...]:
    """The weights of a run of non-digits, then the end marker (a few runs recur: '.', '+deb')."""
    return (*(_char_weight(c) for c in letters), 0)


def _part_key(text: str) -> PartKey:
    """Order key of an upstream or revision string: (non-digit weights, number) pairs."""
    pairs: list[tuple[tuple[int, ...], int]] = []
    for letters, digits in _PART.findall(text):
        if not letters and not digits and pairs:
            continue
        pairs.append((_weights(letters), int(digits) if digits else 0))
    pairs.append(_END)
    return tuple(pairs)


@functools.lru_cache(maxsize=65536)
def parse(version: str) -> DpkgKey:
    """The order key of a dpkg version; raises VersionError where dpkg itself refuses it.

    Like dpkg, a bad character or an upstream not starting with a digit is tolerated.
    """
    text = version.strip()
    if not text or any(c.isspace() for c in text):
        raise VersionError(version, NAME, "empty or contains whitespace")
    epoch = 0
    if ":" in text:
        head, text = text.split(":", 1)
        if not (head.isascii() and head.isdecimal()):
            raise VersionError(version, NAME, "epoch is not a number")
        epoch = int(head)
    upstream, dash, revision = text.rpartition("-")
    if not dash:
        upstream, revision = text, ""
    if not upstream or (dash and not revision):
        raise VersionError(version, NAME, "empty upstream version or revision")
    return epoch, _part_key(upstream), _part_key(revision)


def compare(a: str, b: str) -> int:
    """Compare two dpkg versions: -1, 0 or 1."""
    return cmp(parse(a), parse(b))


SCHEME = Scheme(NAME, compare, parse, key=parse)
