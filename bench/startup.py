"""Start-up time of the CLI: `--version`, `--help`, `sbom --help` and `scan --help`, beside a bare
interpreter.

Runs are interleaved (one of each command per round, hyperfine-style) so machine load hits every
command alike; prints the median and the fastest run per command and its cost over `python -c pass`.
Run alone: `python bench/startup.py [--rounds N]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
COMMANDS: dict[str, list[str]] = {
    "python -c pass (floor)": [sys.executable, "-c", "pass"],
    "sievert --version": [sys.executable, "-m", "sievert", "--version"],
    "sievert --help": [sys.executable, "-m", "sievert", "--help"],
    "sievert sbom --help": [sys.executable, "-m", "sievert", "sbom", "--help"],
    "sievert scan --help": [sys.executable, "-m", "sievert", "scan", "--help"],
}
GOAL_MS = 80.0


def timed(cmd: list[str]) -> float:
    """Wall seconds of one run (output discarded; a failure stops the bench, naming the cause)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip()[-300:]
        raise SystemExit(f"startup bench: {' '.join(cmd[1:])} exited {proc.returncode}: {err}")
    return seconds


def measure(rounds: int) -> dict[str, list[float]]:
    """Per command, `rounds` wall times taken round-robin after one warm-up round."""
    # Users run an installed package with bytecode; this machine sets PYTHONDONTWRITEBYTECODE.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(SRC)], check=True)
    for cmd in COMMANDS.values():
        timed(cmd)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(rounds):
        for name, cmd in COMMANDS.items():
            times[name].append(timed(cmd))
    return times


def report(rounds: int = 15) -> None:
    """Measure and print the start-up table."""
    print_table(measure(rounds), rounds)


def print_table(times: dict[str, list[float]], rounds: int) -> None:
    """The start-up table: median, fastest and cost over a bare interpreter per command."""
    floor = statistics.median(times["python -c pass (floor)"])
    print(f"\nCLI start-up, {rounds} interleaved rounds (goal: under {GOAL_MS:.0f} ms idle)")
    print(f"{'command':24} {'median ms':>10} {'min ms':>8} {'over python ms':>15}")
    for name, runs in times.items():
        median = statistics.median(runs)
        print(
            f"{name:24} {median * 1000:10.1f} {min(runs) * 1000:8.1f} "
            f"{(median - floor) * 1000:15.1f}"
        )


def main() -> None:
    """Command-line entry: `--rounds N`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    report(parser.parse_args().rounds)


if __name__ == "__main__":
    main()
