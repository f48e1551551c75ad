"""Package URL matching for exceptions and VEX: exact, or without version and qualifiers."""

from __future__ import annotations

from typing import Any

from packageurl import PackageURL


def _parts(purl: str) -> dict[str, Any] | None:
    try:
        parts: dict[str, Any] = PackageURL.from_string(purl.strip()).to_dict()
    except ValueError:
        return None
    parts["type"] = str(parts["type"]).lower()
    return parts


def purl_matches(pattern: str, purl: str) -> bool:
    """Whether `purl` is `pattern`, where a pattern without version (or qualifiers) matches any."""
    if not pattern or not purl:
        return False
    if pattern == purl:
        return True
    want, have = _parts(pattern), _parts(purl)
    if want is None or have is None:
        return False
    for key in ("type", "namespace", "name"):
        if (want[key] or "") != (have[key] or ""):
            return False
    if want["version"] and want["version"] != have["version"]:
        return False
    qualifiers = have["qualifiers"] or {}
    return all(qualifiers.get(k) == v for k, v in (want["qualifiers"] or {}).items())


def is_purl(text: str) -> bool:
    """Whether the text is a package URL."""
    return text.startswith("pkg:") and _parts(text) is not None
