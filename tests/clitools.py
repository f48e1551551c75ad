"""Running the `sievert` command of this checkout as a user would, for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sievert.cli.main import main


def run_sievert(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    """`python -m sievert ARGS`, output captured as text, never raising on a non-zero exit."""
    return subprocess.run(
        [sys.executable, "-m", "sievert", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **env} if env else None,
        timeout=timeout,
        check=False,
    )


def run_in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The console entry point with ARGS in this process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    saved = sys.argv
    sys.argv = ["sievert", *args]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    finally:
        sys.argv = saved
    captured = capsys.readouterr()
    return code, captured.out, captured.err
