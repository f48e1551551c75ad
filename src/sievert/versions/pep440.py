"""Python package version ordering (PEP 440), through `packaging`."""

from __future__ import annotations

import functools

from packaging.version import InvalidVersion, Version

from sievert.errors import VersionError
from sievert.versions._scheme import Scheme, cmp

NAME = "pep440"


@functools.lru_cache(maxsize=65536)
def parse(version: str) -> Version:
    """The parsed PEP 440 version; raises VersionError when it is not one."""
    try:
        return Version(version)
    except InvalidVersion:
        raise VersionError(version, NAME, "not a PEP 440 version") from None


def compare(a: str, b: str) -> int:
    """Compare two PEP 440 versions: -1, 0 or 1."""
    return cmp(parse(a), parse(b))


SCHEME = Scheme(NAME, compare, parse, key=parse)
