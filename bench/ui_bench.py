"""Web UI page times: the image page of bookworm-apps served by a real `sievert server`.

Run alone (`.venv/bin/python bench/ui_bench.py`); needs ../shared (images and feeds). Builds a
vulnerability DB from ../shared/feeds (kept in .bench/ui-vuln.db), starts the server on a free
loopback port with its state in a temp dir, uploads bookworm-apps, signs in through the form and
requests each tab of the image page. Prints the server time (the route's Server-Timing, rendering
included) and the wall time seen by the client over loopback: median and p95 of 50 requests each.
Goal: the image page in < 150 ms server time. Figures, not a test.
"""

from __future__ import annotations

import io
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
LAYOUT = SHARED / "images" / "oci-layout"
FEEDS = SHARED / "feeds"
DB = REPO / ".bench" / "ui-vuln.db"
SIEVERT = [sys.executable, "-m", "sievert"]
ROUNDS = 50
TABS = ("vulnerabilities", "packages", "layers", "checks")


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def vuln_db() -> Path:
    """The DB from the shared feed mirror, built once."""
    if not DB.exists():
        DB.parent.mkdir(exist_ok=True)
        cmd = [*SIEVERT, "db", "update", "--mirror", str(FEEDS), "--db", str(DB), "-q"]
        subprocess.run(cmd, check=True)
    return DB


def oci_archive(tag: str, out: Path) -> Path:
    """One tag of the shared layout as an OCI archive."""
    index = json.loads((LAYOUT / "index.json").read_text())
    entry = next(
        m
        for m in index["manifests"]
        if m["annotations"]["org.opencontainers.image.ref.name"] == tag
    )

    def blob(digest: str) -> Path:
        return LAYOUT / "blobs" / digest.replace(":", "/")

    manifest = json.loads(blob(entry["digest"]).read_bytes())
    digests = [entry["digest"], manifest["config"]["digest"]]
    digests += [layer["digest"] for layer in manifest["layers"]]
    with tarfile.open(out, "w") as tar:
        tar.add(LAYOUT / "oci-layout", "oci-layout")
        data = json.dumps({"schemaVersion": 2, "manifests": [entry]}).encode()
        info = tarfile.TarInfo("index.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        for digest in digests:
            tar.add(blob(digest), "blobs/" + digest.replace(":", "/"))
    return out


def main() -> None:
    """Measure and print."""
    if not LAYOUT.is_dir() or not FEEDS.is_dir():
        print("ui bench: ../shared/images or ../shared/feeds absent; skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = {
            **os.environ,
            "XDG_DATA_HOME": str(root / "data"),
            "SIEVERT_DB": str(vuln_db()),
            "SIEVERT_SECRET_KEY": Fernet.generate_key().decode(),
        }
        made = subprocess.run(
            [*SIEVERT, "server", "token", "create", "--role", "analyst"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        token = made.stdout.strip()
        port = free_port()
        with (root / "server.log").open("wb") as log:
            server = subprocess.Popen(
                [*SIEVERT, "server", "--port", str(port)], env=env, stdout=log, stderr=log
            )
        try:
            run(f"http://127.0.0.1:{port}", token, oci_archive("bookworm-apps", root / "a.tar"))
        finally:
            server.terminate()
            server.wait(30)


def run(url: str, token: str, archive: Path) -> None:
    """Upload, sign in, time the tabs."""
    with httpx.Client(base_url=url, timeout=300) as client:
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.1)
        auth = {"Authorization": f"Bearer {token}"}
        with archive.open("rb") as body:
            image = client.post(
                "/v1/images/archive",
                params={"name": "shared/debian:bookworm-apps"},
                content=body,
                headers={**auth, "Content-Type": "application/x-tar"},
            ).json()
        while image["status"] not in ("analysed", "failed"):
            time.sleep(0.5)
            image = client.get(f"/v1/images/{image['id']}", headers=auth).json()
        found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert found, "no CSRF token on /login"
        client.post("/login", data={"csrf_token": found.group(1), "token": token})
        print(f"bookworm-apps: {image['vuln_count']} findings, {image['package_count']} packages")
        print(f"{'tab':<16}{'server p50':>12}{'server p95':>12}{'wall p50':>10}{'wall p95':>10}")
        for tab in TABS:
            server_ms, wall_ms = [], []
            for n in range(ROUNDS + 5):
                start = time.perf_counter()
                answer = client.get(f"/images/{image['id']}", params={"tab": tab})
                wall = (time.perf_counter() - start) * 1000
                answer.raise_for_status()
                if n >= 5:
                    timing = answer.headers["server-timing"]
                    server_ms.append(float(timing.split("dur=")[1]))
                    wall_ms.append(wall)
            print(
                f"{tab:<16}{statistics.median(server_ms):>10.1f}ms{p95(server_ms):>10.1f}ms"
                f"{statistics.median(wall_ms):>8.1f}ms{p95(wall_ms):>8.1f}ms"
            )


def p95(values: list[float]) -> float:
    """The 95th percentile."""
    return sorted(values)[int(len(values) * 0.95) - 1]


if __name__ == "__main__":
    main()
