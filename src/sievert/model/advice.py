"""Base image advice: what switching to another tag of the base image would change."""

from __future__ import annotations

import msgspec


class CandidateResult(msgspec.Struct, frozen=True):
    """One tag of the base image: its findings, and how they differ from the current base's."""

    tag: str
    total: int
    by_severity: tuple[tuple[str, int], ...]
    """(severity, count), most severe first, every severity listed."""
    removed: int = 0
    added: int = 0
    removed_ids: tuple[str, ...] = ()
    """'CVE-... package' of the findings the switch removes."""
    added_ids: tuple[str, ...] = ()
    reference: str = ""
    """The target scanned for this tag ('registry:host/repo:tag')."""


class BaseAdvice(msgspec.Struct, frozen=True):
    """The current base's findings, each scanned candidate tag, and the tag to switch to."""

    current: CandidateResult
    candidates: tuple[CandidateResult, ...]
    recommended: str = ""
    """The recommended tag; "" when no candidate has fewer findings."""
    base: str = ""
    """The base image reference the advice is about."""
    scope: str = "minor"
    """'minor' (same major and minor) or 'major' (same major)."""
    method: str = ""
    """How the current base's findings were found: 'layers' (the image's base layers) or
    'base-scan' (the base image scanned on its own)."""
    notes: tuple[str, ...] = ()
    """Why candidates were skipped or none was found."""

    @property
    def best(self) -> CandidateResult | None:
        """The recommended candidate's result."""
        return next((c for c in self.candidates if c.tag == self.recommended), None)
