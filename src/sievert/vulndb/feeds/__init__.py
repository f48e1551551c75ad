"""Feed importers, one module per upstream feed; `FEEDS` lists them in import order."""

from __future__ import annotations

from sievert.vulndb.feeds import alpine, cve5, debian, epss, exploitdb, kev, nvd, osv
from sievert.vulndb.feeds.base import Feed, FeedResult, FileSpec, Settings

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


__all__ = ["FEEDS", "Feed", "FeedResult", "FileSpec", "Settings", "feed_named"]
