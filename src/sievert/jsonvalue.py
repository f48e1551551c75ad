"""Typed reads of parsed JSON, TOML or YAML values: the one set of accessors every parser uses.

Outside data is hostile: a value of the wrong type reads as empty instead of raising, so a
parser checks shapes once and recovers with a notice where it must.
"""

from __future__ import annotations

from typing import Any


def as_dict(value: object) -> dict[str, Any]:
    """The value if it is an object, else {} (not copied: feed import reads millions of them;
    a YAML key that is not a string simply never matches a lookup)."""
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    """The value if it is an array, else []."""
    return value if isinstance(value, list) else []


def as_str(value: object) -> str:
    """The value if it is a string, exactly as written, else ''."""
    return value if isinstance(value, str) else ""


def as_text(value: object) -> str:
    """A scalar as text, stripped: strings and numbers (YAML and TOML versions such as 1.10
    arrive as numbers); '' for booleans, null, objects and arrays."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, str | int | float):
        return str(value).strip()
    return ""


def json_type(value: object) -> str:
    """The JSON name of a value's type, for messages ('an object', 'a string', 'null'...)."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")
