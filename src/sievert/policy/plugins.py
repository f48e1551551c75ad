"""Every predicate a policy rule's `when` may use: one explicit mapping, key -> parser."""

from __future__ import annotations

from sievert.policy import image_predicates, predicates, runtime_predicates
from sievert.policy.predicates import Parser

PREDICATES: dict[str, Parser] = {
    **predicates.PARSERS,
    **image_predicates.PARSERS,
    **runtime_predicates.PARSERS,
}
"""Finding and package predicates, then image and runtime ones."""
