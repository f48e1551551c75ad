"""Shared test fixtures: where ../shared is, and skipping when it is absent (a fresh clone)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.clitools import run_sievert
from tests.pgcluster import Cluster

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
SHARED_IMAGES = SHARED / "images" / "oci-layout"
SHARED_FEEDS = SHARED / "feeds"

settings.register_profile(
    "sievert",
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("SIEVERT_HYPOTHESIS_PROFILE", "sievert"))
"""Property tests stay bounded and reproducible in `make test`; set the variable to dig deeper."""


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


@pytest.fixture(scope="session")
def real_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A vulnerability database built from ../shared/feeds with `sievert db update --mirror`."""
    if not SHARED_FEEDS.is_dir():
        pytest.skip("../shared/feeds not present (fresh clone): real-feed test skipped")
    db = tmp_path_factory.mktemp("realdb") / "vuln.db"
    proc = run_sievert(
        "db", "update", "--mirror", str(SHARED_FEEDS), "--db", str(db), "-q", timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    return db


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A private PostgreSQL cluster for the session (skips outside CI when not installed)."""
    cluster = Cluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    name = pg_cluster.create_database()
    try:
        yield pg_cluster.url(name)
    finally:
        pg_cluster.drop_database(name)
