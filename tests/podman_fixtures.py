"""A real podman engine for tests: private vfs storage in a temp dir and `podman system service`
(the Docker-compatible API) on a socket of its own, stopped at teardown."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.source.registry_fixtures import need, stop, unavailable, wait_for_socket

RUNROOT_LIMIT = 50
"""podman refuses a runroot path this long or longer (a deep temp dir gets a short one in /tmp)."""
CONTAINERS_CONF = '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n'


@dataclass
class Podman:
    """A podman API service with private vfs storage."""

    command: list[str]
    env: dict[str, str]
    socket: Path

    def run(self, *args: str) -> str:
        """Run a podman command against the same storage; fail the test on error."""
        result = subprocess.run(
            [*self.command, *args], env=self.env, capture_output=True, text=True, timeout=300
        )
        if result.returncode != 0:
            pytest.fail(f"podman {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout


@contextmanager
def podman_service(root: Path) -> Iterator[Podman]:
    """Start `podman system service` on a socket under `root`; skip (fail under CI=true) if
    podman cannot run here."""
    binary = need("podman")
    root.mkdir(parents=True, exist_ok=True)
    conf = root / "containers.conf"
    conf.write_text(CONTAINERS_CONF)
    env = {**os.environ, "CONTAINERS_CONF": str(conf)}
    command = [binary, "--storage-driver", "vfs", "--root", str(root / "root")]
    run = root / "run"
    if len(str(run)) < RUNROOT_LIMIT:
        yield from _serve([*command, "--runroot", str(run)], env, root)
        return
    with tempfile.TemporaryDirectory(prefix="podrun-", dir="/tmp") as short:
        yield from _serve([*command, "--runroot", short], env, root)


def _serve(command: list[str], env: dict[str, str], root: Path) -> Iterator[Podman]:
    info = subprocess.run([*command, "info"], env=env, capture_output=True, text=True, timeout=120)
    if info.returncode != 0:
        unavailable(f"podman cannot run here: {info.stderr.strip()[:300]}")
    sock = root / "podman.sock"
    log = root / "service.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "system", "service", "--time=0", f"unix://{sock}"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    podman = Podman(command, env, sock)
    try:
        wait_for_socket(sock, process, log)
        yield podman
    finally:
        subprocess.run(
            [*command, "rm", "-f", "-a", "-t", "0"], env=env, capture_output=True, timeout=120
        )
        stop(process)
