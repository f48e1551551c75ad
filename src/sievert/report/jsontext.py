"""JSON report text, byte for byte what `json.dumps(doc, indent=2, ensure_ascii=False)` writes,
made by orjson (a C encoder).

The stdlib encoder runs in pure Python as soon as an indent is asked for (about 10 ms per MB);
orjson writes the same text about 20x faster. The two differ only on floats below 1e-4 or in
exponent form (`1e-05` against `0.00001`, `1e-07` against `1e-7`), which are rewritten in the
stdlib's spelling (both spell the shortest text that reads back as the same double, so the
rewrite is exact), and on what orjson refuses (lone surrogates in file names, integers beyond
64 bits), which the stdlib encoder writes instead. (NaN, which orjson writes as
null and the stdlib as the invalid token NaN, cannot reach a report: the vulnerability database
stores scores in SQLite, which keeps no NaN.)
"""

from __future__ import annotations

import json
import re
from typing import Any, TextIO

import orjson

from sievert.files import utf8_sink

_ODD_FLOAT = re.compile(
    rb'^( *(?:"(?:[^"\\\n]|\\.)*": )?)(-?(?:0\.0000\d*|\d+(?:\.\d+)?e[-+]?\d+))(,?)$'
)
"""A line holding a float value orjson may spell differently: in indented output every value
stands on its own line (strings cannot hold a raw newline), after its key when it has one."""
_SMALL = re.compile(rb"0\.0000")
_NEGATIVE_EXPONENT = re.compile(rb"e-(?<=\de-)")
"""Where such a float may be (both start with a literal: a fast scan of the whole text)."""
_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
"""Two-space indent; keys that are str subclasses (severities are a StrEnum) or ints written as
the stdlib writes them."""


def json_text(document: Any) -> str:
    """The document as indented JSON text (2 spaces, UTF-8 kept as is), without a newline."""
    data = _fast(document)
    return data.decode() if data is not None else _stdlib(document)


def write_json(document: Any, out: TextIO) -> None:
    """`json_text(document)` and a newline, written to out: as the UTF-8 bytes orjson made,
    straight to the binary stream under out when it takes them (`sievert.files.utf8_sink`), so
    a large report is not decoded and encoded again; as text otherwise."""
    data = _fast(document)
    if data is None:
        out.write(_stdlib(document) + "\n")
    elif (sink := utf8_sink(out)) is None:
        out.write(data.decode() + "\n")
    else:
        sink.write(data)
        sink.write(b"\n")


def _fast(document: Any) -> bytes | None:
    """The text as UTF-8 by orjson, floats in the stdlib's spelling; None when orjson refuses
    the document."""
    try:
        data = orjson.dumps(document, option=_OPTIONS)
    except (orjson.JSONEncodeError, TypeError, OverflowError):
        return None
    if _SMALL.search(data) or _NEGATIVE_EXPONENT.search(data):
        data = _python_floats(data)
    return data


def _stdlib(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)


def _python_floats(data: bytes) -> bytes:
    """The text with every float value line rewritten in Python's spelling."""
    starts = {
        data.rfind(b"\n", 0, match.start()) + 1
        for pattern in (_SMALL, _NEGATIVE_EXPONENT)
        for match in pattern.finditer(data)
    }
    parts, done = [], 0
    for start in sorted(starts):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        parts += [data[done:start], _ODD_FLOAT.sub(_python_float, data[start:end])]
        done = end
    parts.append(data[done:])
    return b"".join(parts)


def _python_float(match: re.Match[bytes]) -> bytes:
    return match[1] + repr(float(match[2])).encode() + match[3]
