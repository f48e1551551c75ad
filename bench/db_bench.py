"""DB figures for `make bench`: build time, matching time with warm layers, lookups per second."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sievert.match.engine import match_inventory
from sievert.pipeline import InventoryOptions, take_inventory
from sievert.vulndb import VulnDB


@dataclass(frozen=True)
class DbFigures:
    """What the DB section measured."""

    build_seconds: list[float]
    size_mb: float
    match_ms: dict[str, float]
    """Per image tag: median milliseconds to match its (cached) inventory."""
    findings: dict[str, int]
    lookups_per_second: float


def build_db(feeds: Path, target: Path) -> float:
    """Seconds for `sievert db update --mirror feeds` into a fresh file."""
    target.unlink(missing_ok=True)
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
    match_inventory(inventory, db)  # warm SQLite's page cache and the imports
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


def measure(
    feeds: Path, layout: Path, tags: tuple[str, ...], db_path: Path, cache: Path, rounds: int = 5
) -> DbFigures:
    """Build the database `builds` times (the last one stays at db_path), then time matching."""
    builds = [build_db(feeds, db_path) for _ in range(max(3, rounds // 2))]
    match_ms: dict[str, float] = {}
    findings: dict[str, int] = {}
    with VulnDB(db_path) as db:
        for tag in tags:
            seconds, count = matching_seconds(f"oci-dir:{layout}:{tag}", db, cache, runs=rounds * 2)
            match_ms[tag], findings[tag] = seconds * 1000, count
        rate = lookups_per_second(db)
    return DbFigures(builds, db_path.stat().st_size / 1e6, match_ms, findings, rate)


def report(figures: DbFigures) -> None:
    """Print the DB section of the benchmark."""
    print(
        f"\nvulnerability DB from ../shared/feeds: build median "
        f"{statistics.median(figures.build_seconds):.2f} s over {len(figures.build_seconds)} "
        f"builds ({', '.join(f'{s:.2f}' for s in figures.build_seconds)}), {figures.size_mb:.1f} MB"
    )
    for tag, ms in figures.match_ms.items():
        print(f"  match {tag:14} {ms:7.1f} ms, {figures.findings[tag]} findings")
    print(f"  lookups: {figures.lookups_per_second:,.0f} affected() calls per second")
