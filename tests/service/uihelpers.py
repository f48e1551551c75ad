"""Helpers of the web UI tests: a second tag of the app image, sign-in, CSRF tokens."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from tests.imagebuilder import F, Image
from tests.pgcluster import free_port
from tests.service.helpers import APP_IMAGE, bearer, start_server, wait_healthy, wait_status

STATUS_V2 = "".join(
    f"Package: {name}\nStatus: install ok installed\nArchitecture: amd64\n"
    f"Source: {source}\nVersion: {version}\n\n"
    for name, source, version in (
        ("libc6", "glibc", "2.36-9+deb12u6"),
        ("libpam0g", "pam", "1.5.2-6+deb12u3"),
        ("curl", "curl", "7.88.1-10+deb12u4"),
        ("zlib1g", "zlib", "1:1.2.13.dfsg-1"),
    )
)
APP_IMAGE_V2 = Image(
    [
        [
            F("etc/os-release", 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'),
            F("var/lib/dpkg/status", STATUS_V2),
        ],
        [F("app/lib/requests-2.32.3.dist-info/METADATA", "Name: requests\nVersion: 2.32.3\n")],
    ],
    history=["/bin/sh -c #(nop) ADD file:base2 in /", "RUN pip install requests==2.32.3"],
)
"""Tag 2 of example/app: libc6 fixed (CVE-2024-2961 gone), zlib1g added, requests upgraded,
the planted key removed."""
assert APP_IMAGE.layers  # tag 1 is the service tests' app image

POLICY = """\
version: 1
policies:
  - id: gate
    description: UI test gate
    rules:
      - id: exploited
        action: stop
        description: Known exploited vulnerabilities
        when: {kev: true}
"""

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token in a page's forms."""
    found = CSRF.search(html)
    assert found, "no csrf_token field on the page"
    return found.group(1)


def sign_in(client: Any, token: str = "", username: str = "", password: str = "") -> Any:
    """Sign in through the form; the answer to the POST."""
    csrf = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"csrf_token": csrf, "token": token, "username": username, "password": password},
        follow_redirects=False,
    )


class SievertServer:
    """A real `sievert server` subprocess on a free loopback port, state in a temp dir."""

    def __init__(self, root: Path, vuln_db: Path, **env: str) -> None:
        self.root = root
        self.env = {
            **os.environ,
            "XDG_DATA_HOME": str(root / "data"),
            "SIEVERT_DB": str(vuln_db),
            "SIEVERT_SECRET_KEY": Fernet.generate_key().decode(),
            **env,
        }
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = root / "server.log"
        self.tokens: dict[str, str] = {}
        self._proc: subprocess.Popen[bytes] | None = None

    def sievert(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        """Run a sievert command against this server's state."""
        return subprocess.run(
            [sys.executable, "-m", "sievert", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=300,
            check=False,
        )

    def __enter__(self) -> SievertServer:
        for role in ("read-only", "analyst", "admin"):
            made = self.sievert("server", "token", "create", "--role", role, "--name", role)
            assert made.returncode == 0, made.stderr
            self.tokens[role] = made.stdout.strip()
        self.start()
        return self

    @property
    def pid(self) -> int:
        """The running server's process id."""
        assert self._proc is not None
        return self._proc.pid

    def start(self) -> None:
        """Start the server process and wait until it answers."""
        self._proc = start_server(self.port, self.env, self.log, "ab")
        try:
            wait_healthy(self.url, self._proc, self.log)
        except RuntimeError:
            self.__exit__()
            raise

    def kill(self) -> None:
        """SIGKILL the server process (a crash: nothing is shut down cleanly)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(10)

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(30)

    def add_archive(self, path: Path, name: str, timeout: float = 600) -> dict[str, Any]:
        """Upload an image archive as the analyst and wait until it is analysed."""
        headers = bearer(self.tokens["analyst"])
        with httpx.Client(base_url=self.url, timeout=300) as client:
            with path.open("rb") as body:
                answer = client.post(
                    "/v1/images/archive",
                    params={"name": name},
                    content=body,
                    headers={**headers, "Content-Type": "application/x-tar"},
                )
            assert answer.status_code == 202, answer.text
            done = wait_status(client, answer.json()["id"], headers, timeout)
        assert done["status"] == "analysed", done
        return done


def oci_archive(layout: Path, tag: str, out: Path) -> Path:
    """An OCI archive of one tag of an OCI layout (its manifest, config and layers)."""
    index = json.loads((layout / "index.json").read_text())
    manifest = next(
        m
        for m in index["manifests"]
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag
    )
    doc = json.loads(_blob(layout, manifest["digest"]).read_bytes())
    digests = [manifest["digest"], doc["config"]["digest"], *(x["digest"] for x in doc["layers"])]
    with tarfile.open(out, "w") as tar:
        tar.add(layout / "oci-layout", "oci-layout")
        data = json.dumps({"schemaVersion": 2, "manifests": [manifest]}).encode()
        info = tarfile.TarInfo("index.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        for digest in digests:
            tar.add(_blob(layout, digest), "blobs/" + digest.replace(":", "/"))
    return out


def _blob(layout: Path, digest: str) -> Path:
    algorithm, _, hexdigest = digest.partition(":")
    return layout / "blobs" / algorithm / hexdigest
