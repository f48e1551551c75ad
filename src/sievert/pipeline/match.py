"""Match an inventory against an open vulnerability database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sievert.model import Inventory, Notice

if TYPE_CHECKING:
    from sievert.model.finding import ScanResult
    from sievert.source.cache import LayerCache
    from sievert.vulndb import VulnDB


def match_inventory(
    inventory: Inventory, db: VulnDB, store: LayerCache | None = None
) -> ScanResult:
    """Match an inventory against an open database: the findings and the database's status.

    With `store` (a layer cache), a result stored for this inventory, database and code is
    read instead of matching again, and a new one is stored (`sievert.pipeline.matchcache`)."""
    from sievert.match.severity import unrated_notice
    from sievert.model.finding import ScanResult

    if store is not None:
        from sievert.pipeline.matchcache import stored_match

        findings, notices = stored_match(inventory, db, store)
    else:
        from sievert.match.engine import match_inventory as match

        findings, notices = match(inventory, db)
    status = db.status()
    warnings = tuple(Notice(text, str(db.path)) for text in status.warnings())
    sources = tuple((s.name, s.status) for s in status.sources)
    unrated = unrated_notice(findings, sources)
    return ScanResult(
        inventory=inventory,
        findings=findings,
        db_built=status.built_at,
        db_sources=sources,
        notices=(*warnings, *notices, *([unrated] if unrated else [])),
    )
