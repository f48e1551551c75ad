"""Shared pieces of the binary catalogers: summary encoding, purls, merging, notices."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from msgspec.structs import replace

from sievert.catalog.purl import purl_string
from sievert.errors import LimitError
from sievert.limits import jsonload
from sievert.model import Notice, Package

SCOPES = ("image", "directory")
MAX_SUMMARY = 16 * 1024 * 1024
"""Summaries larger than this are not decoded (a summary is meant to be small)."""


def encode(value: dict[str, Any]) -> bytes:
    """A summary as compact JSON bytes."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def error_summary(message: str) -> bytes:
    """The summary of a file that matched but could not be read: turned into a notice later."""
    return encode({"error": message[:500]})


def decode(path: str, summary: bytes, notices: list[Notice]) -> dict[str, Any] | None:
    """A summary's JSON object, or None with a notice when it is an error or unreadable."""
    where = "/" + path
    if len(summary) > MAX_SUMMARY:
        notices.append(Notice(f"summary of {len(summary)} bytes is too large, skipped", where))
        return None
    try:
        value = jsonload.loads(summary, where)
    except (ValueError, LimitError):
        notices.append(Notice("summary is not valid JSON, skipped", where))
        return None
    if not isinstance(value, dict):
        notices.append(Notice("summary is not a JSON object, skipped", where))
        return None
    if isinstance(value.get("error"), str):
        notices.append(Notice(value["error"], where))
        return None
    return value


def purl(kind: str, namespace: str, name: str, version: str, **qualifiers: str) -> str:
    """Serialise a purl, dropping empty parts."""
    kept = tuple((k, v) for k, v in qualifiers.items() if v)
    return purl_string(kind, namespace or None, name, version or None, kept)


def merge(packages: Iterable[Package]) -> tuple[Package, ...]:
    """One package per key, keeping every location (first metadata wins), sorted."""
    merged: dict[tuple[str, str, str, str, str], Package] = {}
    for package in packages:
        key = (*package.key, package.purl)
        seen = merged.get(key)
        if seen is None:
            merged[key] = package
        elif not set(package.locations) <= set(seen.locations):
            locations = tuple(sorted({*seen.locations, *package.locations}, key=_loc_key))
            merged[key] = replace(seen, locations=locations)
    return tuple(sorted(merged.values(), key=lambda p: (p.name, p.version, p.purl)))


def _loc_key(location: Any) -> tuple[str, int]:
    return (str(location.path), int(location.layer_index))


def text(value: object, limit: int = 1024) -> str:
    """A summary field as a bounded string ('' when absent or not a string)."""
    return value[:limit] if isinstance(value, str) else ""
