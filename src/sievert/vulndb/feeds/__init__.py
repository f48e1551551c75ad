"""Feed importers, one module per upstream feed (listed in `sievert.vulndb.plugins.FEEDS`)."""

from __future__ import annotations

from sievert.vulndb.feeds.base import Feed, FeedResult, FileSpec, Settings

__all__ = ["Feed", "FeedResult", "FileSpec", "Settings"]
