"""Shared test fixtures: where ../shared is, and skipping when it is absent (a fresh clone)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
SHARED_IMAGES = SHARED / "images" / "oci-layout"
SHARED_FEEDS = SHARED / "feeds"


@pytest.fixture
def shared_images() -> Path:
    """The real images' OCI layout, read in place; skips where ../shared does not exist."""
    if not SHARED_IMAGES.is_dir():
        pytest.skip("../shared/images not present (fresh clone): real-image test skipped")
    return SHARED_IMAGES


@pytest.fixture
def shared_feeds() -> Path:
    """The real feed mirror, read in place; skips where ../shared does not exist."""
    if not SHARED_FEEDS.is_dir():
        pytest.skip("../shared/feeds not present (fresh clone): real-feed test skipped")
    return SHARED_FEEDS
