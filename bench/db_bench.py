"""DB figures for `make bench`: build time, matching time with warm layers, lookups per second."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sievert.match.engine import match_inventory
from sievert.pipeline import InventoryOptions, take_inventory
from sievert.vulndb import VulnDB


def build_db(feeds: Path, target: Path) -> float:
    """Seconds for `sievert db update --mirror feeds` into a fresh file."""
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "sievert",
            "db",
            "update",
            "--mirror",
            str(feeds),
            "--db",
            str(target),
            "-q",
        ],
        check=True,
    )
    return time.perf_counter() - start


def matching_seconds(target: str, db: VulnDB, cache: Path, runs: int = 5) -> tuple[float, int]:
    """Median seconds to match an image's inventory (layers cached), and the finding count."""
    inventory = take_inventory(target, InventoryOptions(cache_dir=cache))
    times, count = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        findings, _ = match_inventory(inventory, db)
        times.append(time.perf_counter() - start)
        count = len(findings)
    return statistics.median(times), count


def lookups_per_second(db: VulnDB, seconds: float = 1.0) -> float:
    """`affected(namespace, package)` calls per second over a mix of hits and misses."""
    keys = [
        ("debian:bookworm", "pam"),
        ("npm", "lodash"),
        ("pypi", "django"),
        ("go", "stdlib"),
        ("debian:bookworm", "no-such-package"),
        ("alpine:3.23", "openssl"),
    ]
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for namespace, name in keys:
            db.affected(namespace, name)
        calls += len(keys)
    return calls / (time.perf_counter() - start)


def report(feeds: Path, layout: Path, tags: tuple[str, ...]) -> None:
    """Print the DB section of the benchmark."""
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "vuln.db"
        built = build_db(feeds, db_path)
        size = db_path.stat().st_size / 1e6
        print(f"\nvulnerability DB from ../shared/feeds: build {built:.2f} s, {size:.1f} MB")
        with VulnDB(db_path) as db:
            for tag in tags:
                seconds, count = matching_seconds(
                    f"oci-dir:{layout}:{tag}", db, Path(tmp) / "cache"
                )
                goal = "  (goal < 0.2 s)" if tag == "bookworm-apps" else ""
                print(f"  match {tag:14} {seconds * 1000:7.1f} ms, {count} findings{goal}")
            print(f"  lookups: {lookups_per_second(db):,.0f} affected() calls per second")
