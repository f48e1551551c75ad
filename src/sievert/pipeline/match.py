"""Match an inventory against an open vulnerability database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sievert.model import Inventory, Notice

if TYPE_CHECKING:
    from sievert.model.finding import ScanResult
    from sievert.vulndb import VulnDB


def match_inventory(inventory: Inventory, db: VulnDB) -> ScanResult:
    """Match an inventory against an open database: the findings and the database's status."""
    from sievert.match.engine import match_inventory as match
    from sievert.match.severity import unrated_notice
    from sievert.model.finding import ScanResult

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
