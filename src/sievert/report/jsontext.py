"""JSON report text, byte for byte what `json.dumps(doc, indent=2, ensure_ascii=False)` writes,
made by orjson (a C encoder) where the two agree, which is every document without small floats.

The stdlib encoder runs in pure Python as soon as an indent is asked for (about 10 ms per MB);
orjson writes the same text about 20x faster. They differ only on floats written in exponent
form or below 1e-4 (`1e-05` against `0.00001`) and on what orjson refuses (lone surrogates in
file names, integers beyond 64 bits, non-string keys): for those documents the stdlib encoder
writes the text, so the output does not depend on which encoder ran. (NaN, which orjson writes
as null and the stdlib as the invalid token NaN, cannot reach a report: the vulnerability
database stores scores in SQLite, which keeps no NaN.)
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson

_FLOAT_MAY_DIFFER = re.compile(rb"\de[-+]|(?<![\w.])-?0\.0000")
"""Where orjson's float text may differ from the stdlib's: an exponent or a fixed-form value
below 1e-4 (a cheap scan of the text; a false alarm only costs a walk over the document)."""


def json_text(document: Any) -> str:
    """The document as indented JSON text (2 spaces, UTF-8 kept as is), without a newline."""
    try:
        data = orjson.dumps(document, option=orjson.OPT_INDENT_2)
    except (orjson.JSONEncodeError, TypeError, OverflowError):
        return _stdlib(document)
    if _FLOAT_MAY_DIFFER.search(data) and _has_odd_float(document):
        return _stdlib(document)
    return data.decode()


def _stdlib(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)


def _has_odd_float(value: Any) -> bool:
    """Whether the document holds a float the two encoders write differently."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item) or orjson.dumps(item).decode() != float.__repr__(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False
