"""The feeds Sievert can import, in import order: one explicit list."""

from __future__ import annotations

from sievert.vulndb.feeds import alpine, cve5, debian, epss, exploitdb, kev, nvd, osv
from sievert.vulndb.feeds.base import Feed

FEEDS: tuple[Feed, ...] = (
    osv.FEED,
    debian.FEED,
    alpine.FEED,
    cve5.FEED,
    nvd.FEED,
    kev.FEED,
    epss.FEED,
    exploitdb.FEED,
)
"""Every feed Sievert can import, by name: osv, debian, alpine, cve, nvd, kev, epss, exploitdb."""


def feed_named(name: str) -> Feed | None:
    """The feed called name, or None."""
    return next((f for f in FEEDS if f.name == name), None)
