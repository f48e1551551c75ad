"""RubyGems version ordering, as `Gem::Version#<=>` does it.

A version is dot-separated segments of digits and letters; `-` means `.pre.`. Segments
are runs of digits (numbers) or letters (strings); any string makes it a pre-release.
Trailing zeros of the numeric part and of the part from the first string on are
dropped. Segments then compare pairwise, missing ones as 0: a string sorts before a
number, numbers numerically, strings in byte order.

A platform gem's version carries its platform (`1.2.0-x86_64-linux`, `1.2.0-java`,
`1.2.0-x64-mingw-ucrt`): it orders as its base version, since the platform is not part
of `Gem::Version` but of the gem's name-version-platform triple.
"""

from __future__ import annotations

import functools
import re
from typing import TypeAlias

from sievert.errors import VersionError
from sievert.versions._scheme import Scheme, cmp

NAME = "rubygems"
_VALID = re.compile(r"[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?")
_SEGMENT = re.compile(r"[0-9]+|[a-zA-Z]+")
_CPU = (
    r"x86_64|x86|x64|i[3-6]86|aarch64|arm64|arm|armv[0-9a-z]+|universal|powerpc|ppc64le|ppc64|ppc"
    r"|s390x|sparc|riscv64|loongarch64"
)
_PLATFORM = re.compile(
    rf"-(?:(?:{_CPU})-[a-z][a-z0-9_]*(?:-[a-z0-9_.]+)*|java|jruby|dalvik[0-9]*"
    r"|mswin32|mswin64|mingw32|mingw)$"
)

Segment: TypeAlias = int | str


def _drop_zeros(segments: list[Segment]) -> list[Segment]:
    while segments and segments[-1] == 0:
        segments.pop()
    return segments


def strip_platform(version: str) -> str:
    """The version without a platform suffix ('1.2.0-x86_64-linux' -> '1.2.0')."""
    return _PLATFORM.sub("", version, count=1)


@functools.lru_cache(maxsize=65536)
def parse(version: str) -> tuple[Segment, ...]:
    """The canonical segments of a gem version; raises VersionError when it is not one."""
    text = strip_platform(version.strip()) or "0"
    if not _VALID.fullmatch(text):
        raise VersionError(version, NAME, "not a Gem::Version")
    text = text.replace("-", ".pre.")
    segments: list[Segment] = [int(s) if s.isdecimal() else s for s in _SEGMENT.findall(text)]
    first_string = next((i for i, s in enumerate(segments) if isinstance(s, str)), len(segments))
    numeric = _drop_zeros(segments[:first_string])
    return (*numeric, *_drop_zeros(segments[first_string:]))


def _segment_cmp(a: Segment, b: Segment) -> int:
    if isinstance(a, str) and isinstance(b, int):
        return -1
    if isinstance(a, int) and isinstance(b, str):
        return 1
    return cmp(a, b)


def compare(a: str, b: str) -> int:
    """Compare two gem versions: -1, 0 or 1."""
    sa, sb = parse(a), parse(b)
    for i in range(max(len(sa), len(sb))):
        result = _segment_cmp(sa[i] if i < len(sa) else 0, sb[i] if i < len(sb) else 0)
        if result:
            return result
    return 0


SCHEME = Scheme(NAME, compare, parse)
