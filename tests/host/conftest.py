"""A vulnerability database for the host tests: the demo feed mirror (upstream formats) with two
Debian kernel advisories added to its security tracker file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from demo.feeds import write_mirror

from tests.clitools import run_sievert
from tests.host.roots import KERNEL_CVES


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`sievert db update --mirror` of the demo feeds plus the kernel advisories."""
    root = tmp_path_factory.mktemp("hostdb")
    mirror = write_mirror(root / "mirror")
    tracker_path = mirror / "debian" / "tracker.json"
    tracker = json.loads(tracker_path.read_text())
    for cve, (description, fixed) in KERNEL_CVES.items():
        release = {"status": "resolved", "repositories": {"bookworm": fixed}}
        release |= {"fixed_version": fixed, "urgency": "high"}
        tracker.setdefault("linux", {})[cve] = {
            "description": description,
            "releases": {"bookworm": release},
        }
    tracker_path.write_text(json.dumps(tracker))
    db = root / "vuln.db"
    proc = run_sievert("db", "update", "--mirror", str(mirror), "--db", str(db), "-q")
    assert proc.returncode == 0, proc.stderr
    return db
