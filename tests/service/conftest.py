"""Fixtures of the service tests: a vulnerability DB from the demo feeds, image archives."""

from __future__ import annotations

from pathlib import Path

import pytest
from demo.feeds import write_mirror

from tests.clitools import run_sievert
from tests.imagebuilder import write_docker_archive, write_oci_archive
from tests.service.helpers import APP_IMAGE


@pytest.fixture(scope="session")
def feed_mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo feed mirror (Debian tracker, OSV PyPI, KEV, EPSS) written in upstream formats."""
    return write_mirror(tmp_path_factory.mktemp("service-mirror") / "mirror")


@pytest.fixture(scope="session")
def vuln_db(tmp_path_factory: pytest.TempPathFactory, feed_mirror: Path) -> Path:
    """A vulnerability DB built from the demo feed mirror with `sievert db update --mirror`."""
    root = tmp_path_factory.mktemp("service-db")
    mirror = feed_mirror
    db = root / "vuln.db"
    proc = run_sievert("db", "update", "--mirror", str(mirror), "--db", str(db), "-q")
    assert proc.returncode == 0, proc.stderr
    return db


@pytest.fixture(scope="session")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The app image as a docker-archive and as an OCI archive."""
    root = tmp_path_factory.mktemp("service-images")
    return {
        "docker": write_docker_archive(root / "app.tar", APP_IMAGE, tag="example/app:1"),
        "oci": write_oci_archive(root / "app-oci.tar", {"example/app:1": APP_IMAGE}),
    }
