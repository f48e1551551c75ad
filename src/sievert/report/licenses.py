"""Declared licence strings sorted into SPDX ids, SPDX expressions and free text."""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any, Literal

import msgspec
from license_expression import get_spdx_licensing  # type: ignore[import-untyped]

from sievert.report.common import safe_id

LicenseKind = Literal["id", "expression", "text"]


class LicenseTerm(msgspec.Struct, frozen=True):
    """One declared licence: an SPDX id, a compound SPDX expression, or free text."""

    kind: LicenseKind
    value: str
    """The normalised id or expression, or the original text."""


@cache
def _licensing() -> Any:
    return get_spdx_licensing()


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
        info = _licensing().validate(text)
        normalized = info.normalized_expression if not info.errors else None
        if not normalized or "LicenseRef-" in normalized:
            return None
        keys: list[str] = _licensing().license_keys(normalized)
    except Exception:  # the library is the edge; see the docstring
        return None
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
