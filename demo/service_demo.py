"""The service part of `make demo`: the embedded server, the demo image added by upload, its
certification read back through the API."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _say(text: str) -> None:
    print(f"\n$ {text}", flush=True)


def _wait_ready(client: httpx.Client, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"sievert server exited with {server.returncode}")
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("sievert server did not start within 60 s")


def run_service_demo(out: Path, archive: Path, database: str, policy: Path) -> None:
    """Start `sievert server` (embedded), add the image archive, print its certification."""
    root = out / "service"
    shutil.rmtree(root, ignore_errors=True)
    env = {**os.environ, "XDG_DATA_HOME": str(root / "data"), "SIEVERT_DB": database}
    _say("sievert server token create --role admin")
    token = subprocess.run(
        [sys.executable, "-m", "sievert", "server", "token", "create", "--role", "admin"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"{token[:12]}... (shown once; only its argon2 hash is stored)")
    port = _free_port()
    _say(f"sievert server --port {port} &")
    with (root / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "sievert", "server", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            _wait_ready(client, server)
            _say("curl -X PUT /v1/policies/demo --data-binary @demo/policy.yaml")
            answer = client.put("/v1/policies/demo", content=policy.read_bytes(), headers=headers)
            print(json.dumps(answer.json()))
            client.post(
                "/v1/policy-attachments", json={"pattern": "*", "policy": "demo"}, headers=headers
            )
            _say("curl -X POST /v1/images/archive --data-binary @demo.tar")
            image = client.post(
                "/v1/images/archive",
                params={"name": "sievert-demo:1.0"},
                content=archive.read_bytes(),
                headers={**headers, "Content-Type": "application/x-tar"},
            ).json()
            print(f"image {image['id']}: {image['status']}")
            deadline = time.monotonic() + 120
            while image["status"] not in ("analysed", "failed") and time.monotonic() < deadline:
                time.sleep(0.3)
                image = client.get(f"/v1/images/{image['id']}", headers=headers).json()
            print(f"image {image['id']}: {image['status']} {image['reason']}".rstrip())
            _say(f"curl /v1/images/{image['id']}/certifications")
            certs = client.get(f"/v1/images/{image['id']}/certifications", headers=headers)
            print(json.dumps(certs.json(), indent=2))
    finally:
        server.terminate()
        server.wait(30)
