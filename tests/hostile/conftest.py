"""Fixtures of the hostile corpus: a small database, a small image, a good SBOM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.clitools import run_sievert
from tests.imagebuilder import F, Image, write_oci_layout
from tests.vulndb.conftest import feed_server  # noqa: F401 - the loopback feed server fixture
from tests.vulndb.feedfactory import write_mirror

ALPINE = [F("etc/os-release", "ID=alpine\nVERSION_ID=3.23.0\n"), F("etc/hosts", "x")]


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every run gets its own layer cache (children inherit the environment)."""
    monkeypatch.setenv("SIEVERT_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small generated feed mirror of tests/vulndb (one malformed record per source)."""
    root = tmp_path_factory.mktemp("mirror")
    write_mirror(root)
    return root


@pytest.fixture(scope="module")
def small_db(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database built from the small mirror."""
    db = tmp_path_factory.mktemp("db") / "vuln.db"
    proc = run_sievert("db", "update", "-q", "--mirror", str(mirror), "--db", str(db))
    assert proc.returncode == 0, proc.stderr
    return db


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """A one-layer Alpine image in an OCI layout, tag `t`."""
    return write_oci_layout(tmp_path / "layout", {"t": Image([ALPINE])})


def npm_sbom(name: str = "leftpad", version: str = "1.0.0") -> dict[str, object]:
    """A CycloneDX SBOM with one npm package (leftpad 1.0.0 is vulnerable in the small db)."""
    purl = f"pkg:npm/{name}@{version}"
    component = {"type": "library", "name": name, "version": version, "purl": purl}
    return {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [component]}


@pytest.fixture
def sbom(tmp_path: Path) -> Path:
    """npm_sbom() written to a file."""
    path = tmp_path / "sbom.json"
    path.write_text(json.dumps(npm_sbom()))
    return path
