"""Version ordering per ecosystem and OSV range evaluation."""

from sievert.versions._scheme import Scheme
from sievert.versions.plugins import SCHEMES, compare, scheme_for
from sievert.versions.ranges import RangeHit, RangeMatch, RangeResult, evaluate, is_affected

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
