"""Declared licence strings sorted into SPDX ids, SPDX expressions and free text."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any, Literal

import license_expression  # type: ignore[import-untyped]
import msgspec
import orjson

from sievert.report.common import safe_id

LicenseKind = Literal["id", "expression", "text"]


class LicenseTerm(msgspec.Struct, frozen=True):
    """One declared licence: an SPDX id, a compound SPDX expression, or free text."""

    kind: LicenseKind
    value: str
    """The normalised id or expression, or the original text."""


_REF = "licenseref"
"""What every LicenseRef-* id holds (license_expression matches ids without case)."""


@cache
def _index() -> list[dict[str, Any]]:
    """license_expression's vendored licence index (ScanCode's licence database)."""
    location = Path(license_expression.vendored_scancode_licensedb_index_location)
    index: list[dict[str, Any]] = orjson.loads(location.read_bytes())
    return index


def _only_refs(entry: dict[str, Any]) -> bool:
    """Whether an index entry's SPDX key and every alias are LicenseRef-* ids."""
    names = [entry.get("spdx_license_key") or "", *(entry.get("other_spdx_license_keys") or [])]
    return all(_REF in name.lower() for name in names)


@cache
def _licensing() -> Any:
    """The SPDX licensing without the entries named only by LicenseRef-* ids.

    They are two thirds of the index (ScanCode's own licences) and most of the cost of building
    the licensing (about 65 ms with them, 20 ms without). A text naming none of them cannot
    match one, so it parses exactly as with the whole index; a text that does is parsed with
    the whole index (`_licensing_for`)."""
    return license_expression.build_spdx_licensing([e for e in _index() if not _only_refs(e)])


@cache
def _left_out() -> tuple[str, ...]:
    """The lower-cased ids and aliases `_licensing` leaves out."""
    entries = [e for e in _index() if e.get("spdx_license_key") and _only_refs(e)]
    names = (n for e in entries for n in (e["spdx_license_key"], *e["other_spdx_license_keys"]))
    return tuple(sorted({name.lower() for name in names}))


def _licensing_for(text: str) -> Any:
    """The licensing that parses `text` as the whole index would."""
    lowered = text.lower()
    if _REF in lowered and any(name in lowered for name in _left_out()):
        return _whole_licensing()
    return _licensing()


@cache
def _whole_licensing() -> Any:
    return license_expression.get_spdx_licensing()


@cache
def classify(text: str) -> LicenseTerm:
    """Sort one licence string; never raises: anything not plainly SPDX is free text.

    LicenseRef-* symbols count as free text too (they need a definition in the document).
    """
    stripped = text.strip()
    parsed = _spdx(stripped) if stripped else None
    if parsed is None:
        return LicenseTerm("text", stripped)
    normalized, symbols = parsed
    if len(symbols) == 1 and normalized == symbols[0]:
        return LicenseTerm("id", normalized)
    return LicenseTerm("expression", normalized)


def _spdx(text: str) -> tuple[str, list[str]] | None:
    """(normalised expression, its licence keys), or None when `text` is not a known SPDX one.

    This is the edge to license_expression, whose own error paths raise AttributeError,
    TypeError and others on ordinary text such as Debian's `and/or GPL-3+`; any failure there
    only means that the text is not an SPDX expression.
    """
    try:
        return parse_with(_licensing_for(text), text)
    except Exception:  # the library is the edge; see the docstring
        return None


def parse_with(licensing: Any, text: str) -> tuple[str, list[str]] | None:
    """`_spdx` with this licensing (which may raise)."""
    info = licensing.validate(text)
    normalized = info.normalized_expression if not info.errors else None
    if not normalized or "LicenseRef-" in normalized:
        return None
    keys: list[str] = licensing.license_keys(normalized)
    return str(normalized), keys


def classify_all(texts: tuple[str, ...]) -> list[LicenseTerm]:
    """Classify each non-empty licence string, dropping exact repeats."""
    terms = [classify(text) for text in dict.fromkeys(texts) if text.strip()]
    return list(dict.fromkeys(terms))


def license_ref(text: str) -> str:
    """A stable `LicenseRef-` id naming a free-text licence."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return f"LicenseRef-{safe_id(text)[:40]}-{digest}"


def spdx_expression(texts: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """The SPDX licence expression for these declared licences (ANDed) and the free texts used.

    Returns ('NOASSERTION', {}) when nothing is declared; free texts become LicenseRef-* ids,
    returned as {ref: text} so the document can define them.
    """
    terms = classify_all(texts)
    if not terms:
        return "NOASSERTION", {}
    parts: list[str] = []
    extracted: dict[str, str] = {}
    for term in terms:
        if term.kind == "text":
            ref = license_ref(term.value)
            extracted[ref] = term.value
            parts.append(ref)
        elif term.kind == "expression" and len(terms) > 1:
            parts.append(f"({term.value})")
        else:
            parts.append(term.value)
    return " AND ".join(dict.fromkeys(parts)), extracted


def cyclonedx_licenses(texts: tuple[str, ...]) -> list[dict[str, Any]]:
    """The CycloneDX `licenses` array: ids and names, or one expression when one is needed."""
    terms = classify_all(texts)
    compound = [term for term in terms if term.kind == "expression"]
    if compound and all(term.kind != "text" for term in terms):
        joined = " AND ".join(
            f"({term.value})" if term.kind == "expression" and len(terms) > 1 else term.value
            for term in terms
        )
        return [{"expression": joined}]
    return [_cyclonedx_license(term) for term in terms]


def _cyclonedx_license(term: LicenseTerm) -> dict[str, Any]:
    if term.kind == "id":
        return {"license": {"id": term.value}}
    return {"license": {"name": term.value}}
