"""Real registries for the registry-source tests: Debian's docker-registry on a free loopback port.

Images are built with tests/imagebuilder.py into an OCI layout and pushed with skopeo. Every
process started here is stopped at fixture teardown, also when the test fails.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import httpx
import pytest

from tests.imagebuilder import BuiltImage, Image, sha256, write_oci_layout

READY_WAIT = 20.0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unavailable(reason: str) -> NoReturn:
    """Skip the test for a missing tool or service; under CI (CI=true) fail instead, since CI
    installs everything the tests need."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the test cannot be skipped)")
    pytest.skip(reason)


def need(binary: str, package: str = "") -> str:
    """The binary's path, or skip the test naming what is missing (fail under CI=true)."""
    path = shutil.which(binary)
    if path is None:
        unavailable(f"{binary} is not installed (apt-get install {package or binary})")
    return path


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Block until something listens on the port; fail with the log if the process died."""
    deadline = time.monotonic() + READY_WAIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"process exited with {process.returncode}: {log.read_text()[-2000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"nothing listened on 127.0.0.1:{port}: {log.read_text()[-2000:]}")


def wait_for_socket(path: Path, process: subprocess.Popen[bytes], log: Path) -> None:
    """Block until a Unix socket accepts connections; fail with the log if the process died."""
    deadline = time.monotonic() + READY_WAIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"process exited with {process.returncode}: {log.read_text()[-2000:]}")
        with socket.socket(socket.AF_UNIX) as sock:
            if path.exists() and sock.connect_ex(str(path)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"nothing listened on {path}: {log.read_text()[-2000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a process we started, killing it if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Registry:
    """A running docker-registry on 127.0.0.1."""

    port: int
    root: Path
    process: subprocess.Popen[bytes]

    @property
    def host(self) -> str:
        """'127.0.0.1:<port>'."""
        return f"127.0.0.1:{self.port}"

    def blob_path(self, digest: str) -> Path:
        """Where the filesystem driver keeps a blob's bytes."""
        hexpart = digest.split(":", 1)[1]
        return self.root / "docker/registry/v2/blobs/sha256" / hexpart[:2] / hexpart / "data"

    def push(
        self,
        workdir: Path,
        images: dict[str, Image | list[Image]],
        repo: str,
        *flags: str,
        creds: str = "",
    ) -> None:
        """Write the images as an OCI layout and push every tag to `<repo>:<tag>` with skopeo."""
        layout = write_oci_layout(workdir / f"layout-{repo.replace('/', '_')}", images)
        for tag, image in images.items():
            extra = ["--all"] if isinstance(image, list) else []
            if creds:
                extra += ["--dest-creds", creds]
            skopeo_copy(f"oci:{layout}:{tag}", f"docker://{self.host}/{repo}:{tag}", *extra, *flags)

    def upload(self, built: BuiltImage, repo: str, tag: str) -> str:
        """Push blobs and manifest as they are with the distribution API; the manifest digest."""
        base = f"http://{self.host}/v2/{repo}"
        with httpx.Client() as client:
            for blob in (built.config, *built.blobs):
                start = client.post(f"{base}/blobs/uploads/")
                assert start.status_code == 202, start.text
                location = httpx.URL(base).join(start.headers["Location"])
                location = location.copy_add_param("digest", sha256(blob))
                done = client.put(location, content=blob)
                assert done.status_code == 201, done.text
            manifest = built.manifest()
            headers = {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}
            put = client.put(f"{base}/manifests/{tag}", content=manifest, headers=headers)
            assert put.status_code == 201, put.text
        return sha256(manifest)


def skopeo_copy(src: str, dest: str, *flags: str) -> None:
    """`skopeo copy` to a plain-HTTP loopback registry; fails the test with skopeo's stderr."""
    cmd = [
        need("skopeo"),
        "--insecure-policy",
        "copy",
        "-q",
        "--dest-tls-verify=false",
        *flags,
        src,
        dest,
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed: {result.stderr.strip()}")


def start_registry(workdir: Path, auth: str = "") -> Iterator[Registry]:
    """Start docker-registry with an optional `auth:` YAML section; stop it when resumed."""
    binary = need("docker-registry")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    root = workdir / "data"
    config = workdir / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: warn\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root}\n"
        "  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n" + auth
    )
    log = workdir / "registry.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "serve", str(config)], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_for_port(port, process, log)
        yield Registry(port, root, process)
    finally:
        stop(process)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    """A fresh anonymous registry for one test."""
    yield from start_registry(tmp_path / "registry")
