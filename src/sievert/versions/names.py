"""Package names as the vulnerability data keys them, one rule per ecosystem.

The feed import stores names through `normalize_name` and the matcher looks them up through
it, so the two agree by construction.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_PEP503_SEPARATORS = re.compile(r"[-_.]+")


def pep503(name: str) -> str:
    """A PyPI project name normalised per PEP 503: lower case, runs of '-', '_', '.' as '-'."""
    return _PEP503_SEPARATORS.sub("-", name).lower()


def nuget(name: str) -> str:
    """A NuGet package id, which NuGet compares without regard to case: lower case."""
    return name.lower()


NORMALIZERS: dict[str, Callable[[str], str]] = {"pypi": pep503, "nuget": nuget}
"""Ecosystem namespace (OSV name, lower case) -> its name rule; names elsewhere are exact."""


def normalize_name(ecosystem: str, name: str) -> str:
    """`name` as the vulnerability data of `ecosystem` ('pypi', 'npm', 'debian:bookworm'...)
    keys it."""
    rule = NORMALIZERS.get(ecosystem.lower())
    return rule(name) if rule is not None else name
