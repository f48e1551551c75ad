"""Version ordering per ecosystem and OSV range evaluation."""

from sievert.versions._scheme import Scheme
from sievert.versions.ranges import RangeHit, RangeMatch, RangeResult, evaluate, is_affected
from sievert.versions.registry import SCHEMES, compare, scheme_for

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
