"""The shape of a secret rule: keywords for the prefilter, a regex, and what to ignore."""

from __future__ import annotations

import math
import re
from collections import Counter

import msgspec

from sievert.model.checks import Rule


class SecretRule(msgspec.Struct, frozen=True):
    """One kind of secret: where to look, how it looks, and which values are known examples."""

    rule: Rule
    keywords: tuple[str, ...]
    """Literal strings one of which must occur in the file (case-sensitive; list the variants)."""
    regex: re.Pattern[str]
    """The secret is the named group `secret`, else the whole match."""
    paths: tuple[str, ...] = ()
    """Globs of the only paths the rule applies to (every path when empty)."""
    entropy: float = 0.0
    """Minimum Shannon entropy (bits per character) of the secret."""
    allow: re.Pattern[str] | None = None
    """Secret values the rule ignores (placeholders, documented examples)."""
    context: re.Pattern[str] | None = None
    """A pattern that must also occur somewhere in the file."""

    @property
    def id(self) -> str:
        """The rule id, e.g. 'SV-SEC-001'."""
        return self.rule.id


def shannon_entropy(text: str) -> float:
    """Shannon entropy of a string in bits per character (0.0 for an empty string)."""
    if not text:
        return 0.0
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in Counter(text).values())


def variants(*words: str) -> tuple[str, ...]:
    """Each word in lower, UPPER and Capitalised case (keywords are case-sensitive)."""
    out: dict[str, None] = {}
    for word in words:
        for form in (word.lower(), word.upper(), word[:1].upper() + word[1:].lower(), word):
            out[form] = None
    return tuple(out)
