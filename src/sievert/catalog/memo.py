"""Parses reused across the layers of one analysis.

The layer walk runs a cataloger again on each layer that changed one of its files, so that each
package knows the layer that introduced it. Most of the files it reads then are the ones it read
before, unchanged: the very same bytes object the earlier layer captured. While a `ParseMemo` is
active, a parse of the same file (same parser, same path, the same bytes object) returns the
result of the first one instead of parsing again.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar, cast

T = TypeVar("T")


class ParseMemo:
    """Results by (parser, path), each kept with the bytes it was parsed from."""

    def __init__(self) -> None:
        self._done: dict[tuple[object, str], tuple[bytes, object]] = {}
        self._values: dict[Hashable, object] = {}
        """Results by a key that names everything they were computed from (see `remember`)."""
        self.hits = 0
        """Parses answered from the memo (for tests and benchmarks)."""

    def reuse(self, parser: object, where: str, data: bytes, parse: Callable[[], T]) -> T:
        """`parse()`, or what it gave before for this parser and path on these very bytes."""
        key = (parser, where)
        seen = self._done.get(key)
        if seen is not None and seen[0] is data:
            self.hits += 1
            return cast(T, seen[1])
        result = parse()
        self._done[key] = (data, result)
        return result

    def remember(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, or what it gave before for an equal key (one naming all it reads)."""
        if key in self._values:
            self.hits += 1
            return cast(T, self._values[key])
        result = self._values[key] = compute()
        return result


_ACTIVE: ContextVar[ParseMemo | None] = ContextVar("sievert_parse_memo", default=None)


@contextmanager
def reusing(memo: ParseMemo) -> Iterator[ParseMemo]:
    """Make `memo` the one `reuse` consults, for the duration of the block."""
    token = _ACTIVE.set(memo)
    try:
        yield memo
    finally:
        _ACTIVE.reset(token)


def reuse(parser: object, where: str, data: bytes, parse: Callable[[], T]) -> T:
    """`parse()`, reused from the active memo when this parser read these bytes at `where`."""
    memo = _ACTIVE.get()
    return parse() if memo is None else memo.reuse(parser, where, data, parse)


def remember(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, reused from the active memo when it computed an equal key: for small pieces
    of files that change around them (a dpkg status stanza when apt adds packages)."""
    memo = _ACTIVE.get()
    return compute() if memo is None else memo.remember(key, compute)
