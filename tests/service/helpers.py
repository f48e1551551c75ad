"""Helpers of the service tests: settings in temp dirs, tokens, images, waiting for analyses."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from sievert.service.database import Database
from sievert.service.models import ApiToken
from sievert.service.security import make_token
from sievert.service.settings import Settings
from tests.clitools import run_sievert
from tests.imagebuilder import F, Image

STATUS = "".join(
    f"Package: {name}\nStatus: install ok installed\nArchitecture: amd64\n"
    f"Source: {source}\nVersion: {version}\n\n"
    for name, source, version in (
        ("libc6", "glibc", "2.36-9+deb12u4"),
        ("libpam0g", "pam", "1.5.2-6+deb12u3"),
        ("curl", "curl", "7.88.1-10+deb12u4"),
    )
)
BASE_LAYER = [
    F("etc/os-release", 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'),
    F("var/lib/dpkg/status", STATUS),
]
APP_IMAGE = Image(
    [
        BASE_LAYER,
        [
            F("app/lib/requests-2.19.1.dist-info/METADATA", "Name: requests\nVersion: 2.19.1\n"),
            F("app/.env", "AWS_ACCESS_KEY_ID=AKIAZ3MSJV4WWNKWW5FG\n"),
        ],
    ],
    history=["/bin/sh -c #(nop) ADD file:base in /", "RUN pip install requests==2.19.1"],
)
"""A Debian base (libc6 with CVE-2024-2961 in the demo feeds) and a layer with requests 2.19.1
and a planted AWS key."""


def settings_for(root: Path, db: Path, database_url: str = "", **extra: Any) -> Settings:
    """Settings with every path in a temp dir."""
    url = database_url or f"sqlite:///{root / 'service.sqlite'}"
    return Settings(
        database_url=url,
        vuln_db=db,
        storage_dir=root / "storage",
        secret_key=Fernet.generate_key().decode(),
        **extra,
    )


def add_token(settings: Settings, role: str) -> str:
    """A new token of this role, stored in the settings' database."""
    db = Database(settings)
    try:
        db.migrate()
        new = make_token()
        with db.session() as session:
            session.add(ApiToken(id=new.id, name=role, role=role, secret_hash=new.secret_hash))
    finally:
        db.dispose()
    return new.text


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


def wait_status(
    client: httpx.Client | Any, image_id: int, headers: dict[str, str], timeout: float = 60
) -> dict[str, Any]:
    """Poll an image until it is analysed or failed; its last state."""
    deadline = time.monotonic() + timeout
    while True:
        doc: dict[str, Any] = client.get(f"/v1/images/{image_id}", headers=headers).json()
        if doc["status"] in ("analysed", "failed") or time.monotonic() > deadline:
            return doc
        time.sleep(0.1)


class LiveServer:
    """The app served by uvicorn on a free loopback port, in a thread of the test process."""

    def __init__(self, app: Any) -> None:
        import socket
        import threading

        import uvicorn

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.app = app
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> httpx.Client:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        self.client = httpx.Client(base_url=self.url, timeout=30)
        self.client.sievert_app = self.app  # type: ignore[attr-defined]
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self._server.should_exit = True
        self._thread.join(30)


SECRET = "webhook-secret-0123456789"


class Receiver:
    """A webhook receiver on loopback recording every POST."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                receiver.received.append((dict(self.headers), self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for(check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def start_server(
    port: int, env: dict[str, str], log: Path, mode: str = "wb"
) -> subprocess.Popen[bytes]:
    """A `sievert server` process on a loopback port with this environment, its output in log."""
    with log.open(mode) as out:
        return subprocess.Popen(
            [sys.executable, "-m", "sievert", "server", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_healthy(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60
) -> None:
    """Return once the server at url answers /healthz; RuntimeError with its log when it exits
    or does not answer within timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"sievert server did not start:\n{log.read_text()}")
        time.sleep(0.1)


class ServerProcess:
    """`sievert server` as a user starts it: a real process on a free loopback port, its state
    (SQLite, storage) under `root`; tokens made with `sievert server token create`."""

    def __init__(self, root: Path, vuln_db: Path, **env: str) -> None:
        from tests.pgcluster import free_port

        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            "XDG_DATA_HOME": str(root / "data"),
            "SIEVERT_DB": str(vuln_db),
            "SIEVERT_SECRET_KEY": Fernet.generate_key().decode(),
            **env,
        }
        self.log = root / "server.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def token(self, role: str) -> str:
        """A new token of this role, from the command line."""
        made = run_sievert("server", "token", "create", "--role", role, env=self.env)
        assert made.returncode == 0, made.stderr
        return made.stdout.strip()

    def __enter__(self) -> ServerProcess:
        self._proc = start_server(self.port, {**os.environ, **self.env}, self.log)
        try:
            wait_healthy(self.url, self._proc, self.log)
        except RuntimeError:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(30)
