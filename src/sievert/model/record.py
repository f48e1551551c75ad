"""Helpers for the records (frozen `msgspec.Struct`s) that pass between stages."""

from __future__ import annotations

from typing import Any

import msgspec


def as_dict(record: msgspec.Struct) -> dict[str, Any]:
    """The record's fields by name, records inside (also in lists, tuples and dicts) as dicts too:
    what `dataclasses.asdict` gave (`msgspec.structs.asdict` is shallow)."""
    return {name: _plain(getattr(record, name)) for name in record.__struct_fields__}


def _plain(value: object) -> object:
    if isinstance(value, msgspec.Struct):
        return as_dict(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def shown_fields(record: msgspec.Struct, hidden: frozenset[str]) -> list[tuple[str, Any]]:
    """The record's fields but the `hidden` ones (secrets), for `__repr__` and `__rich_repr__`."""
    return [(n, getattr(record, n)) for n in record.__struct_fields__ if n not in hidden]


def repr_without(record: msgspec.Struct, hidden: frozenset[str]) -> str:
    """`Name(field=value, ...)` without the `hidden` fields, so a secret never reaches a log."""
    shown = ", ".join(f"{name}={value!r}" for name, value in shown_fields(record, hidden))
    return f"{type(record).__name__}({shown})"
