"""Web UI page times: every page of a real `sievert server` holding the shared images.

Run alone (`.venv/bin/python bench/ui_bench.py`, also part of `make bench`); needs ../shared
(images and feeds). Builds a vulnerability DB from ../shared/feeds (kept in .bench/, one per DB
schema), starts the server on a free loopback port with its state in a temp dir, uploads
bookworm and bookworm-apps, signs in through the form and requests each page ROUNDS times
(after WARMUP requests). Prints, per page, the server time (the UI's `Server-Timing: total`:
session, sign-in check, queries and template) and the wall time the client sees over loopback:
p50 and p95. Goal: the image page of bookworm-apps (337 findings, 300 packages), every tab,
< 150 ms server time. Figures, not a test; the machine's load shows in them.
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
from typing import Any

import httpx
from cryptography.fernet import Fernet

from sievert.vulndb.store import SCHEMA_VERSION

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
LAYOUT = SHARED / "images" / "oci-layout"
FEEDS = SHARED / "feeds"
DB = REPO / ".bench" / f"ui-vuln-schema{SCHEMA_VERSION}.db"
"""Rebuilt when the DB schema changes."""
SIEVERT = [sys.executable, "-m", "sievert"]
ROUNDS = 50
WARMUP = 5
GOAL_MS = 150.0


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
            archives = [oci_archive(t, root / f"{t}.tar") for t in ("bookworm", "bookworm-apps")]
            run(f"http://127.0.0.1:{port}", token, archives)
        finally:
            server.terminate()
            server.wait(30)


def run(url: str, token: str, archives: list[Path]) -> None:
    """Upload, sign in, time the pages."""
    with httpx.Client(base_url=url, timeout=300) as client:
        wait_ready(client)
        auth = {"Authorization": f"Bearer {token}"}
        base, apps = (upload(client, auth, a) for a in archives)
        found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert found, "no CSRF token on /login"
        client.post("/login", data={"csrf_token": found.group(1), "token": token})
        top = client.get(f"/v1/images/{apps['id']}/vulnerabilities", headers=auth).json()
        vuln_id = top["items"][0]["vuln_id"]
        print(
            f"bookworm-apps: {apps['vuln_count']} findings, {apps['package_count']} packages; "
            f"{ROUNDS} requests per page after {WARMUP} warm-up ones (server = Server-Timing total)"
        )
        print(f"{'page':<34}{'server p50':>11}{'server p95':>11}{'wall p50':>10}{'wall p95':>10}")
        image = f"/images/{apps['id']}"
        worst = 0.0
        for name, path in (
            ("overview", "/"),
            ("images", "/images"),
            ("images by highest severity", "/images?sort=highest"),
            ("image: vulnerabilities", image),
            ("image: vulnerabilities by CVSS", f"{image}?sort=cvss"),
            ("image: vulnerabilities page 7", f"{image}?page=7"),
            ("image: packages", f"{image}?tab=packages"),
            ("image: packages by name", f"{image}?tab=packages&sort=name&dir=desc"),
            ("image: layers", f"{image}?tab=layers"),
            ("image: checks", f"{image}?tab=checks"),
            ("image: history", f"{image}?tab=history"),
            ("image: compare", f"{image}?tab=compare&other={base['id']}"),
            ("vulnerability", f"/vulns/{vuln_id}"),
            ("search", "/search?q=lib"),
            ("policies", "/policies"),
        ):
            server_ms, wall_ms = measure(client, path)
            if name.startswith("image:"):
                worst = max(worst, p95(server_ms))
            print(
                f"{name:<34}{statistics.median(server_ms):>9.1f}ms{p95(server_ms):>9.1f}ms"
                f"{statistics.median(wall_ms):>8.1f}ms{p95(wall_ms):>8.1f}ms"
            )
        verdict = "met" if worst < GOAL_MS else "NOT met"
        print(f"image page goal (p95 < {GOAL_MS:.0f} ms server time): {verdict} ({worst:.1f} ms)")


def wait_ready(client: httpx.Client) -> None:
    """Until the server answers its health check."""
    deadline = time.monotonic() + 60
    while True:
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the server did not start")
        time.sleep(0.1)


def upload(client: httpx.Client, auth: dict[str, str], archive: Path) -> dict[str, Any]:
    """Upload an archive as the analyst and wait for its analysis."""
    with archive.open("rb") as body:
        image: dict[str, Any] = client.post(
            "/v1/images/archive",
            params={"name": f"shared/debian:{archive.stem}"},
            content=body,
            headers={**auth, "Content-Type": "application/x-tar"},
        ).json()
    while image["status"] not in ("analysed", "failed"):
        time.sleep(0.5)
        image = client.get(f"/v1/images/{image['id']}", headers=auth).json()
    if image["status"] != "analysed":
        raise SystemExit(f"{archive.name} was not analysed: {image.get('reason')}")
    return image


def measure(client: httpx.Client, path: str) -> tuple[list[float], list[float]]:
    """Server and wall times (ms) of ROUNDS requests of a page."""
    server_ms, wall_ms = [], []
    for n in range(ROUNDS + WARMUP):
        start = time.perf_counter()
        answer = client.get(path)
        wall = (time.perf_counter() - start) * 1000
        answer.raise_for_status()
        if n >= WARMUP:
            found = re.search(r"total;dur=([0-9.]+)", answer.headers["server-timing"])
            assert found, f"{path}: no Server-Timing total"
            server_ms.append(float(found.group(1)))
            wall_ms.append(wall)
    return server_ms, wall_ms


def p95(values: list[float]) -> float:
    """The 95th percentile."""
    return sorted(values)[int(len(values) * 0.95) - 1]


if __name__ == "__main__":
    main()
