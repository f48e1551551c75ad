"""Hypothesis strategies for hostile input: arbitrary data and mutations of valid seeds.

Byte-level mutations find tokenizer and decoding bugs; structural mutations (a subtree of a
parsed JSON, YAML or TOML seed replaced by any value, or removed) find the type confusion that
real-world files carry (`"packages": 5`, a version that is a list). Inputs stay small: the depth
and size limits for huge documents are tested elsewhere.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from typing import Any, TypeVar

import yaml
from hypothesis import strategies as st

from sievert.errors import SievertError

T = TypeVar("T")

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["", "0", "1.0", "*", "latest", "=1.2", "^1", "~>", "/", ":", "@", "-"])
)

JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
"""Any JSON-shaped value, small."""

TOKENS = [
    b"\n",
    b"\n\n",
    b":",
    b"=",
    b" ",
    b"\t",
    b"\x00",
    b"\xff",
    b"{",
    b"}",
    b"[",
    b"]",
    b'"',
    b"'",
    b"#",
    b"\\",
    b"-",
    b"@",
    b"/",
    b",",
    b"\r\n",
    b"\xc3",
    b"\xe2\x80\xae",
    b"..",
    b"*",
    b"|",
]


@st.composite
def mutated_bytes(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed with a few byte-level edits: flips, deletions, insertions, repeats, truncation."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        position = draw(st.integers(min_value=0, max_value=len(data)))
        action = draw(st.sampled_from(["flip", "delete", "insert", "token", "repeat", "truncate"]))
        if action == "flip" and position < len(data):
            data[position] ^= 1 << draw(st.integers(min_value=0, max_value=7))
        elif action == "delete":
            del data[position : position + draw(st.integers(min_value=1, max_value=16))]
        elif action == "insert":
            data[position:position] = draw(st.binary(max_size=8))
        elif action == "token":
            data[position:position] = draw(st.sampled_from(TOKENS))
        elif action == "repeat":
            data[position:position] = data[position : position + draw(st.integers(1, 40))]
        elif action == "truncate":
            del data[position:]
    return bytes(data)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any, delete: bool) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    if delete and not rest:
        del copy[head]
    else:
        copy[head] = _replace(copy[head], rest, new, delete)
    return copy


@st.composite
def mutated_tree(draw: st.DrawFn, seeds: list[Any]) -> Any:
    """A parsed seed document with one to three subtrees replaced by any value or removed."""
    document = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        by_depth: dict[int, list[tuple[Any, ...]]] = {}
        for found in _paths(document):
            by_depth.setdefault(len(found), []).append(found)
        depth = draw(st.sampled_from(sorted(by_depth)))  # shallow keys as often as deep ones
        path = draw(st.sampled_from(by_depth[depth]))
        delete = bool(path) and draw(st.booleans())
        document = _replace(document, path, None if delete else draw(JSON_VALUES), delete)
    return document


def toml_text(value: Any) -> str:
    """A TOML document for a mapping (keys quoted, None dropped, nested mappings inline)."""
    if not isinstance(value, dict):
        value = {"value": value}
    return "".join(
        f"{json.dumps(str(k))} = {_toml_value(v)}\n" for k, v in value.items() if v is not None
    )


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        return json.dumps(str(value))
    if isinstance(value, float) and abs(value) == float("inf"):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, dict):
        items = (
            f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items() if v is not None
        )
        return "{" + ", ".join(items) + "}"
    return '""'


def parse_seed(data: bytes) -> Any:
    """The seed parsed as JSON, else TOML, else YAML; None when it is none of them."""
    text = data.decode("utf-8", "replace")
    for load in (json.loads, tomllib.loads, yaml.safe_load):
        try:
            return load(text)
        except Exception:
            continue
    return None


def structured(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    """Arbitrary and mutated documents in the seeds' own syntaxes, serialised to bytes."""
    trees = [tree for tree in map(parse_seed, seeds) if isinstance(tree, dict | list)]
    values = JSON_VALUES | (mutated_tree(trees) if trees else JSON_VALUES)
    writers: list[Callable[[Any], str]] = [
        lambda v: json.dumps(v, default=str),
        lambda v: yaml.safe_dump(v, allow_unicode=True),
        toml_text,
    ]
    return st.builds(
        lambda v, w: w(v).encode("utf-8", "surrogatepass"), values, st.sampled_from(writers)
    )


def hostile(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    """Raw bytes, byte-mutated seeds, and arbitrary or mutated documents in the seeds' syntax."""
    return st.binary(max_size=200) | mutated_bytes(seeds) | structured(seeds)


def result_or_sievert_error(parse: Callable[[], T]) -> T | SievertError:
    """Call a parser: its result, or the SievertError it raised; any other exception fails."""
    try:
        return parse()
    except SievertError as exc:
        assert str(exc), "a SievertError needs a message"
        return exc
