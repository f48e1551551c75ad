"""The shape every versioning scheme module exposes, gathered into one value."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import msgspec

from sievert.errors import VersionError


class Scheme(msgspec.Struct, frozen=True):
    """A named version ordering: `compare` gives -1/0/1, `check` raises VersionError if invalid."""

    name: str
    compare: Callable[[str, str], int]
    check: Callable[[str], Any]
    key: Callable[[str], Any] | None = None
    """An order key, when the scheme has one: `compare(a, b) == cmp(key(a), key(b))` for
    every pair, and `key` raises VersionError where `check` does. Ranges are then evaluated
    by comparing keys, each version parsed once."""

    def order_key(self) -> Callable[[str], Any]:
        """`key`, or keys that compare through `compare` (each comparison parses both)."""
        return self.key or functools.cmp_to_key(self.compare)

    def sort_key(self) -> Callable[[str], Any]:
        """A key function for `sorted()` that orders version strings by this scheme."""
        return functools.cmp_to_key(self.compare)

    def is_valid(self, version: str) -> bool:
        """Whether the version parses in this scheme."""
        try:
            self.check(version)
        except VersionError:
            return False
        return True


def sign(value: int) -> int:
    """-1, 0 or 1 for a negative, zero or positive integer."""
    return (value > 0) - (value < 0)


def cmp(a: Any, b: Any) -> int:
    """Three-way comparison of two values of one ordered type."""
    return int(a > b) - int(a < b)
