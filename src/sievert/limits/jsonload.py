"""Size- and depth-checked JSON: the one reader for JSON that comes from outside.

The depth is measured on the bytes before any object is built (strings blanked out, brackets
counted with C-speed iterators), so a document nested a million levels deep costs one linear
pass and a LimitError, never a RecursionError. Invalid JSON still raises `ValueError`
(`json.JSONDecodeError` or `UnicodeDecodeError`) so callers keep their own error wording.
"""

from __future__ import annotations

import json
import operator
import os
from itertools import accumulate, count
from typing import Any

from sievert.limits import JSON_DEPTH, JSON_SIZE, read_capped

_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_STEP = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")


def json_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (0 for a scalar)."""
    # Drop escaped backslashes, then escaped quotes, so every quote left opens or closes a
    # string; keep only quotes and brackets; drop what lies between quote pairs.
    plain = data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    brackets = b"".join(plain.split(b'"')[::2]).translate(_STEP)
    if not brackets:
        return 0
    # Each opener adds 2 and each closer 0, so depth after k+1 brackets is the running sum - k - 1.
    return int(max(map(operator.sub, accumulate(brackets), count(1))))


def check_depth(data: bytes, where: str, max_depth: int | None = None) -> None:
    """LimitError when the JSON text nests deeper than the bound (JSON_DEPTH by default)."""
    bound = JSON_DEPTH.value() if max_depth is None else max_depth
    if data.count(b"[") + data.count(b"{") <= bound:
        return
    if json_depth(data) > bound:
        raise JSON_DEPTH.error(where, bound)


def loads(data: bytes | str, where: str) -> Any:
    """Parse a JSON text after checking its size and depth (LimitError naming `where`).

    Raises ValueError (JSONDecodeError, UnicodeDecodeError) for text that is not JSON.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    JSON_SIZE.check(len(raw), where)
    check_depth(raw, where)
    try:
        return json.loads(data)
    except RecursionError as exc:  # a bound raised past what the interpreter can nest
        raise JSON_DEPTH.error(where) from exc


def load_file(path: os.PathLike[str] | str, where: str = "") -> Any:
    """Read and parse a JSON file (or pipe) with the same bounds; never reads past the size bound.

    Raises OSError when it cannot be read, ValueError when it is not JSON.
    """
    label = where or os.fspath(path)
    return loads(read_capped(path, JSON_SIZE, label), label)
