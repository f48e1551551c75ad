"""Severity: one ordered vocabulary for vulnerabilities, misconfigurations and secrets."""

from __future__ import annotations

from enum import StrEnum
from functools import cache

ALIASES = {
    "moderate": "medium",
    "important": "high",
    "unimportant": "negligible",
    "none": "negligible",
}
"""Vendor words (Red Hat, Debian, GitHub, CVSS 'none') and the severity they mean."""


class Severity(StrEnum):
    """A severity, ordered from UNKNOWN (lowest) to CRITICAL; its value is the lower-case word.

    Members compare by rank (`Severity.HIGH > Severity.MEDIUM`); comparing with a plain string
    is a TypeError, so an unknown word can never be ranked by accident."""

    UNKNOWN = "unknown"
    NEGLIGIBLE = "negligible"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 (unknown) ... 5 (critical)."""
        return _RANKS[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        """The severity a word names, in any case; ValueError naming the valid words otherwise."""
        found = _lookup(text.strip().lower())
        if found is None:
            raise ValueError(f"unknown severity {text!r}; valid severities: {valid_words()}")
        return found

    @classmethod
    def from_vendor(cls, text: str) -> Severity | None:
        """A vendor's or feed's word (aliases such as 'moderate' or 'important' included), or
        None when it names no severity."""
        word = text.strip().strip("*").lower()
        return _lookup(ALIASES.get(word, word))

    def _compare(self, other: object) -> int:
        if not isinstance(other, Severity):
            raise TypeError(f"cannot order Severity and {type(other).__name__}")
        return self.rank - other.rank

    def __lt__(self, other: object) -> bool:
        return self._compare(other) < 0

    def __le__(self, other: object) -> bool:
        return self._compare(other) <= 0

    def __gt__(self, other: object) -> bool:
        return self._compare(other) > 0

    def __ge__(self, other: object) -> bool:
        return self._compare(other) >= 0


_RANKS = {severity: number for number, severity in enumerate(Severity)}
MOST_SEVERE_FIRST: tuple[Severity, ...] = tuple(reversed(Severity))
"""critical, high, medium, low, negligible, unknown: the order of reports and help texts."""


@cache
def _lookup(word: str) -> Severity | None:
    try:
        return Severity(word)
    except ValueError:
        return None


def valid_words() -> str:
    """'critical, high, medium, low, negligible, unknown' for help texts and errors."""
    return ", ".join(MOST_SEVERE_FIRST)
