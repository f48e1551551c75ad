"""Go module version ordering: semver with a `v`, pseudo-versions, `+incompatible`.

Pseudo-versions (`v0.0.0-20210101000000-abcdef123456`, `v1.2.4-0.2021...`) are semver
pre-releases and order by their timestamp; `+incompatible` is build metadata and ignored.
Go toolchain versions as the stdlib reports them (`go1.21.5`, `go1.21rc2`, `go1.21`) are
read as `1.21.5`, `1.21.0-rc.2` and `1.21.0`.
"""

from __future__ import annotations

import functools
import re

from sievert.versions._scheme import Scheme, cmp
from sievert.versions.semver import SemverKey, key_from

NAME = "go"
_TOOLCHAIN = re.compile(r"go([0-9]+)\.([0-9]+)(?:\.([0-9]+))?(?:(alpha|beta|rc)([0-9]+))?")


def _toolchain(version: str) -> str:
    """`go1.21rc2` → `1.21.0-rc.2`; other strings unchanged."""
    match = _TOOLCHAIN.fullmatch(version.strip())
    if match is None:
        return version
    major, minor, patch, pre, number = match.groups()
    text = f"{major}.{minor}.{patch or 0}"
    return f"{text}-{pre}.{number}" if pre else text


@functools.lru_cache(maxsize=65536)
def parse(version: str) -> SemverKey:
    """The order key of a Go module or toolchain version; VersionError when invalid."""
    return key_from(_toolchain(version), NAME)


def compare(a: str, b: str) -> int:
    """Compare two Go versions: -1, 0 or 1."""
    return cmp(parse(a), parse(b))


SCHEME = Scheme(NAME, compare, parse, key=parse)
