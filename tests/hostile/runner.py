"""Running the CLI on hostile input under resource limits, and checking how it failed.

Every case runs `python -m sievert` in a child process whose address space is capped
(`RLIMIT_AS`) and whose CPU time is capped (`RLIMIT_CPU`), so a regression that allocates or
loops without bound fails the test instead of swapping or hanging the machine.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

MEMORY = 1 << 30
"""Address space of one run: a full scan of the real apps image fits in half of it."""
CPU_SECONDS = 120
"""A guard against endless loops, not a speed test (speed lives in the benchmarks)."""


@dataclass(frozen=True)
class Run:
    """How a run ended: exit code, stdout (text and bytes), stderr."""

    returncode: int
    stdout: str
    stderr: str
    stdout_bytes: bytes


def run_bounded(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    file_size: int | None = None,
    binary: bool = False,
    cpu: int = CPU_SECONDS,
) -> Run:
    """`python -m sievert ARGS` under the memory and CPU caps (and a file-size cap if given)."""

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        if file_size is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the cap fails, EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))

    proc = subprocess.run(
        [sys.executable, "-m", "sievert", *args],
        capture_output=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        preexec_fn=limits,
        timeout=CPU_SECONDS * 2,
        check=False,
    )
    stdout = "" if binary else proc.stdout.decode("utf-8", "replace")
    return Run(proc.returncode, stdout, proc.stderr.decode("utf-8", "replace"), proc.stdout)


def assert_one_line_error(proc: Run, code: int, *fragments: str) -> str:
    """The run failed with `code`, no traceback, one `sievert: error:` line holding fragments."""
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "MemoryError" not in proc.stderr, proc.stderr
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("sievert: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def assert_limit(proc: Run, where: str, variable: str) -> None:
    """Exit 3 with the one line naming the input, the limit and the variable raising it."""
    assert_one_line_error(proc, 3, where, "over the limit of", f"set {variable} to raise it")


def assert_no_output(directory: Path, *names: str) -> None:
    """None of names exists in directory, nor any temp file left beside them."""
    for name in names:
        assert not (directory / name).exists(), name
    assert not [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


@contextlib.contextmanager
def unwritable(directory: Path) -> Iterator[Path]:
    """directory made unwritable even for root (chattr +i); skips where that is not possible."""
    directory.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        directory.chmod(0o555)
        try:
            yield directory
        finally:
            directory.chmod(0o755)
        return
    chattr = shutil.which("chattr")
    done = chattr and subprocess.run([chattr, "+i", str(directory)], check=False).returncode == 0
    if not done:
        pytest.skip("cannot make a directory read-only as root here (chattr +i refused)")
    try:
        yield directory
    finally:
        subprocess.run([str(chattr), "-i", str(directory)], check=False)
