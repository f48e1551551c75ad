"""`bench/service.py` runs end to end on tiny sizes and writes its table (a smoke test of the
benchmark script; no figure is asserted: speed is measured in `make bench`, never in tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.source.registry_fixtures import need

REPO = Path(__file__).resolve().parents[2]


def test_the_service_bench_writes_its_table(tmp_path: Path) -> None:
    need("skopeo")
    need("docker-registry")
    out = tmp_path / "service.md"
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "service.py"), "--out", str(out),
         "--work", str(tmp_path / "work")],
        env={**os.environ, "BENCH_QUICK": "1", "XDG_CACHE_HOME": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    table = out.read_text()
    for heading in ("## Throughput", "## API latency", "## Re-evaluation after a DB update"):
        assert heading in table
    assert "| **service, 1 worker, warm bases** | 2 |" in table
    assert "`sievert scan` one by one" in table and "FAILED" not in table
    assert "| GET /harbor/api/v1/scan/{id}/report | 20 |" in table
    assert "| 30 | 30 |" in table  # every stored image re-evaluated, and each one changed
    assert "failed" not in proc.stdout
    assert not list((tmp_path / "work").glob("tmp*"))  # its scratch directory is removed
