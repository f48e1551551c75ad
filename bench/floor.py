"""The start-up floor of a sievert command: a bare interpreter importing the modules the command
imports that are not Sievert's own (the standard library's and the dependencies': click,
msgspec, sqlite3, hashlib, zstandard...), and nothing else.

No change to Sievert's own code takes the command below this floor; beside trivy's time it shows
how much of a small image's budget is left for Sievert's own imports and work. The module list
is read from the command's `-X importtime` report, so it follows the code.
Run alone: `python bench/floor.py TARGET [sievert options]` (e.g. `docker-archive:img.tar -q`).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sievert.cli.console import GC_THRESHOLD

OWN = ("sievert", "__main__")
"""Top-level names of the modules that are Sievert's (or the command's script itself)."""

IMPORTER = """
import gc, importlib, sys
gc.set_threshold(*map(int, sys.argv[1].split(",")))
for name in sys.argv[2:]:
    try:
        importlib.import_module(name)
    except Exception:
        pass
gc.freeze()
"""
"""The floor command's script: the collector tuned as the console script tunes it, then each
module named in its arguments imported in order, then everything frozen, as the console script
does before the interpreter ends."""


def library_modules(argv: list[str]) -> list[str]:
    """The modules `python -m sievert *argv` imports that are not Sievert's, in the order their
    imports finished (from `-X importtime`); empty, with a warning, when the command fails."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sievert", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    if proc.returncode != 0:
        print(
            f"    ! floor: sievert {' '.join(argv[:2])}... exited {proc.returncode}: "
            "no modules listed"
        )
        return []
    names: list[str] = []
    for line in proc.stderr.decode(errors="replace").splitlines():
        if not line.startswith("import time:") or line.rstrip().endswith("imported package"):
            continue
        name = line.rpartition("|")[2].strip()
        if name.partition(".")[0] not in OWN:
            names.append(name)
    return names


def floor_command(argv: list[str]) -> list[str]:
    """The floor of `python -m sievert *argv`: the interpreter importing its library modules."""
    thresholds = ",".join(map(str, GC_THRESHOLD))
    return [sys.executable, "-c", IMPORTER, thresholds, *library_modules(argv)]


def main() -> None:
    """Time the floor of one cold `sievert scan` beside the command itself, interleaved."""
    if len(sys.argv) < 2:
        raise SystemExit("usage: python bench/floor.py TARGET [sievert options]")
    with tempfile.TemporaryDirectory(prefix="sievert-floor-") as tmp:
        cache = Path(tmp) / "cache"
        argv = ["scan", *sys.argv[1:], "--cache-dir", str(cache)]
        floor = floor_command(argv)
        runs: dict[str, list[float]] = {"python -c pass": [], "floor": [], "sievert scan": []}
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "floor": floor,
            "sievert scan": [sys.executable, "-m", "sievert", *argv],
        }
        for _ in range(9):
            for name, cmd in commands.items():
                shutil.rmtree(cache, ignore_errors=True)  # cold: the layer cache emptied
                start = time.perf_counter()
                subprocess.run(
                    cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
                )
                runs[name].append(time.perf_counter() - start)
    print(f"{len(floor) - 4} library modules")
    for name, times in runs.items():
        print(f"{name:16} {statistics.median(times) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
