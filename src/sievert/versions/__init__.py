"""Version ordering per ecosystem and OSV range evaluation.

The names below load from their modules on first use (PEP 562), so a cataloger reading an
ecosystem's name rule (`sievert.versions.names`) does not load the schemes and the range
evaluator."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sievert.lazy import lazy_names

if TYPE_CHECKING:
    from sievert.versions._scheme import Scheme
    from sievert.versions.plugins import SCHEMES, compare, scheme_for
    from sievert.versions.ranges import (
        RangeHit,
        RangeMatch,
        RangeResult,
        evaluate,
        is_affected,
    )

_HOMES = {
    "_scheme": ("Scheme",),
    "plugins": ("SCHEMES", "compare", "scheme_for"),
    "ranges": ("RangeHit", "RangeMatch", "RangeResult", "evaluate", "is_affected"),
}
__getattr__ = lazy_names(__name__, _HOMES, globals())

__all__ = [
    "SCHEMES",
    "RangeHit",
    "RangeMatch",
    "RangeResult",
    "Scheme",
    "compare",
    "evaluate",
    "is_affected",
    "scheme_for",
]
