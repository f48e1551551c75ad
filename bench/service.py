"""`make bench` (the service): throughput, API latency and re-evaluation of `sievert server`.

1. Throughput: images built on two shared bases (bookworm and alpine-3.23 from
   ../shared/images, or small synthetic bases when absent or in quick mode) plus a small app
   layer each, pushed to a loopback registry (Debian `docker-registry`, skopeo). A real
   `sievert server` with one analysis worker first analyses one warm-up image per base, then the
   measured images: wall time and the server's CPU time give images/hour/worker and
   images/hour/core. The same images scanned one by one with `sievert scan` (its layer cache
   kept, so the bases are warm too), with `sievert scan --server` (client mode) and with
   `trivy image` (offline; trivy cannot match vulnerabilities here: no DB, so it lists packages
   and looks for secrets, which flatters it).
2. API latency: 1,000 images stored through the service's own `store_result` (from the reports
   of the measured images), then a bounded loopback load of 50 concurrent aiohttp clients on image
   listing, an image's vulnerabilities, the vulnerability and package queries and Harbor report
   polling: p50 and p99 per route.
3. Re-evaluation of the 1,000 stored images after a DB update (the full DB replaced by a
   Debian-only one): time, images changed and peak RSS, in a child process.

The table goes to out/bench/service.md (and stdout). `BENCH_QUICK=1` (or --quick) runs tiny
sizes with synthetic bases and the demo feeds and no peers: a smoke test, not a measurement.
Figures, not tests; the machine may be shared, so compare ratios within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import hashlib
import io
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

SHARED = REPO.parent / "shared"
LAYOUT = SHARED / "images" / "oci-layout"
FEEDS = SHARED / "feeds"
WORK = REPO / ".bench" / "service"
OUT = REPO / "out" / "bench" / "service.md"
SIEVERT = [sys.executable, "-m", "sievert"]
HARBOR_ACCEPT = "application/vnd.security.vulnerability.report; version=1.1"
TICK = os.sysconf("SC_CLK_TCK")
THINK = 0.2
"""Mean seconds an API client waits between its requests under the bounded load."""


@dataclass(frozen=True)
class Sizes:
    """How much of everything one run measures."""

    images: int
    seeded: int
    clients: int
    requests: int
    """Requests per API route."""
    peers: bool


FULL = Sizes(images=20, seeded=1000, clients=50, requests=600, peers=True)
QUICK = Sizes(images=2, seeded=30, clients=5, requests=20, peers=False)


# images ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Blob:
    """A gzip layer blob and the digest of its uncompressed tar."""

    data: bytes
    diff_id: str

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Base:
    """A base image: its layer and history line, and what it is."""

    name: str
    blob: Blob
    created_by: str


def tar_of(files: dict[str, bytes]) -> bytes:
    """An uncompressed layer tar of these files (parents implied)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def blob_of(files: dict[str, bytes]) -> Blob:
    """A gzip blob of a layer of these files."""
    raw = tar_of(files)
    return Blob(gzip.compress(raw, mtime=0), "sha256:" + hashlib.sha256(raw).hexdigest())


def synthetic_bases() -> list[Base]:
    """A small Debian base (the demo feeds' libc6, curl, pam) and a small Alpine one."""
    debs = [("libc6", "2.36-9+deb12u4"), ("curl", "7.88.1-10+deb12u4"), ("libpam0g", "1.5.2-6")]
    debs += [(f"bench-lib{n}", f"1.{n}-1") for n in range(60)]
    status = "".join(
        f"Package: {name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: {v}\n\n"
        for name, v in debs
    )
    apks = [("musl", "1.2.5-r0"), ("busybox", "1.36.1-r29"), ("zlib", "1.3.1-r2")]
    installed = "".join(f"P:{name}\nV:{v}\nA:x86_64\no:{name}\n\n" for name, v in apks)
    debian = blob_of(
        {
            "etc/os-release": b'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
            "var/lib/dpkg/status": status.encode(),
        }
    )
    alpine = blob_of(
        {
            "etc/os-release": b"ID=alpine\nVERSION_ID=3.23.6\n",
            "lib/apk/db/installed": installed.encode(),
        }
    )
    return [
        Base("debian-synthetic", debian, "ADD debian-base.tar /"),
        Base("alpine-synthetic", alpine, "ADD alpine-base.tar /"),
    ]


def shared_bases() -> list[Base]:
    """The one-layer bookworm and alpine-3.23 images of ../shared/images (blobs as they are)."""
    index = json.loads((LAYOUT / "index.json").read_text())
    bases = []
    for tag in ("bookworm", "alpine-3.23"):
        entry = next(
            m
            for m in index["manifests"]
            if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag
        )
        manifest = json.loads(_shared_blob(entry["digest"]))
        config = json.loads(_shared_blob(manifest["config"]["digest"]))
        layer = manifest["layers"][0]
        blob = Blob(_shared_blob(layer["digest"]), config["rootfs"]["diff_ids"][0])
        history = [h.get("created_by", "") for h in config.get("history", [])] or [tag]
        bases.append(Base(tag, blob, history[0]))
    return bases


def _shared_blob(digest: str) -> bytes:
    return (LAYOUT / "blobs" / "sha256" / digest.split(":", 1)[1]).read_bytes()


def app_layer(n: int) -> Blob:
    """A small app layer of its own: three Python packages, code, a planted secret now and then."""
    versions = ("2.19.1", "2.25.0", "2.31.0")
    files = {
        f"app/lib/requests-{versions[n % 3]}.dist-info/METADATA": (
            f"Name: requests\nVersion: {versions[n % 3]}\n".encode()
        ),
        "app/lib/urllib3-1.24.1.dist-info/METADATA": b"Name: urllib3\nVersion: 1.24.1\n",
        "app/lib/jinja2-2.10.dist-info/METADATA": b"Name: Jinja2\nVersion: 2.10\n",
        f"app/main_{n}.py": f"print('service {n}')\n".encode() * 50,
    }
    if n % 5 == 0:
        files["app/.env"] = b"AWS_ACCESS_KEY_ID=AKIAZ3MSJV4WWNKWW5FG\n"
    return blob_of(files)


def write_layout(root: Path, images: dict[str, tuple[Base, Blob]]) -> None:
    """An OCI layout holding every image (blobs shared, each written once)."""
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)

    def put(data: bytes) -> tuple[str, int]:
        digest = hashlib.sha256(data).hexdigest()
        path = blobs / digest
        if not path.exists():
            path.write_bytes(data)
        return f"sha256:{digest}", len(data)

    manifests = []
    for tag, (base, app) in images.items():
        config = {
            "architecture": "amd64",
            "os": "linux",
            "created": "2026-01-01T00:00:00Z",
            "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["python", "/app/main.py"]},
            "rootfs": {"type": "layers", "diff_ids": [base.blob.diff_id, app.diff_id]},
            "history": [
                {"created_by": base.created_by, "created": "2026-01-01T00:00:00Z"},
                {"created_by": f"COPY app /app  # {tag}", "created": "2026-01-01T00:00:00Z"},
            ],
        }
        config_digest, config_size = put(json.dumps(config).encode())
        layers = []
        for blob in (base.blob, app):
            digest, size = put(blob.data)
            layers.append(
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": digest,
                    "size": size,
                }
            )
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest,
                "size": config_size,
            },
            "layers": layers,
        }
        digest, size = put(json.dumps(manifest).encode())
        manifests.append(
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": digest,
                "size": size,
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }
        )
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": manifests}))


# processes -------------------------------------------------------------------------------------
def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    """Until the URL answers (any status); the log when the process dies first."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.TransportError):
            httpx.get(url, timeout=2)
            return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {timeout:.0f} s")


@contextlib.contextmanager
def registry(work: Path) -> Iterator[str]:
    """A Debian `docker-registry` on a free loopback port; its host:port."""
    port = free_port()
    root = work / "registry"
    root.mkdir(parents=True, exist_ok=True)
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {root / 'data'}\nhttp:\n  addr: 127.0.0.1:{port}\n"
    )
    log = root / "log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["docker-registry", "serve", str(config)], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_http(f"http://127.0.0.1:{port}/v2/", proc, log)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(30)


class Server:
    """A real `sievert server` process, state in its own directory."""

    def __init__(self, root: Path, vuln_db: Path, workers: int = 1) -> None:
        from cryptography.fernet import Fernet

        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "XDG_DATA_HOME": str(root / "data"),
            "SIEVERT_DB": str(vuln_db),
            "SIEVERT_SECRET_KEY": Fernet.generate_key().decode(),
            "SIEVERT_WORKERS": str(workers),
            "SIEVERT_DB_CHECK": "0",
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.token = ""

    @property
    def database_url(self) -> str:
        """The server's SQLite database."""
        return f"sqlite:///{self.root / 'data' / 'sievert' / 'service.sqlite'}"

    def make_token(self) -> str:
        """An admin token from the command line."""
        made = subprocess.run(
            [*SIEVERT, "server", "token", "create", "--role", "admin"],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        self.token = made.stdout.strip()
        return self.token

    def __enter__(self) -> Server:
        self.root.mkdir(parents=True, exist_ok=True)
        if not self.token:
            self.make_token()
        log = self.root / "server.log"
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [*SIEVERT, "server", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_http(f"{self.url}/healthz", self.proc, log)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(60)

    def cpu(self) -> float:
        """CPU seconds (user + system, every thread) the server process has used."""
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    @property
    def headers(self) -> dict[str, str]:
        """The bearer header."""
        return {"Authorization": f"Bearer {self.token}"}


# part 1: throughput ----------------------------------------------------------------------------
@dataclass
class Rate:
    """A throughput figure."""

    what: str
    images: int
    wall: float
    cpu: float
    note: str = ""

    def row(self) -> str:
        per_hour = self.images / self.wall * 3600 if self.wall else 0.0
        per_core = self.images / self.cpu * 3600 if self.cpu else 0.0
        return (
            f"| {self.what} | {self.images} | {self.wall:.1f} | {per_hour:,.0f} | "
            f"{self.cpu:.1f} | {per_core:,.0f} | {self.note} |"
        )


def wait_analysed(client: Any, ids: list[int], headers: dict[str, str], timeout: float) -> None:
    """Until every image is analysed (SystemExit naming a failure or a timeout)."""
    pending = set(ids)
    deadline = time.monotonic() + timeout
    while pending:
        for image_id in sorted(pending):
            doc = client.get(f"/v1/images/{image_id}", headers=headers).json()
            if doc["status"] == "failed":
                raise SystemExit(f"bench: image {image_id} failed: {doc['reason']}")
            if doc["status"] == "analysed":
                pending.discard(image_id)
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: {len(pending)} images not analysed in {timeout:.0f} s")
        time.sleep(0.05)


def submit(client: Any, server: Server, refs: list[str]) -> list[int]:
    """Add registry images; their ids."""
    ids = []
    for ref in refs:
        answer = client.post("/v1/images", json={"reference": ref}, headers=server.headers)
        answer.raise_for_status()
        ids.append(int(answer.json()["id"]))
    return ids


def service_throughput(
    server: Server, warm: list[str], measured: list[str]
) -> tuple[list[Rate], list[int]]:
    """The warm-up images (bases walked), then the measured ones with warm bases."""
    import httpx

    rates = []
    with httpx.Client(base_url=server.url, timeout=60) as client:
        cpu, start = server.cpu(), time.perf_counter()
        wait_analysed(client, submit(client, server, warm), server.headers, 600)
        rates.append(
            Rate(
                "service, 1 worker: one image per base (bases walked)",
                len(warm),
                time.perf_counter() - start,
                server.cpu() - cpu,
            )
        )
        cpu, start = server.cpu(), time.perf_counter()
        ids = submit(client, server, measured)
        wait_analysed(client, ids, server.headers, 1800)
        rates.append(
            Rate(
                "**service, 1 worker, warm bases**",
                len(measured),
                time.perf_counter() - start,
                server.cpu() - cpu,
                "registry pull of the app layer, walk, match, checks, store, certify",
            )
        )
    return rates, ids


def one_by_one(what: str, commands: list[list[str]], env: dict[str, str], note: str) -> Rate:
    """Run each command in turn; wall time and the children's CPU time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    failures = 0
    for cmd in commands:
        proc = subprocess.run(cmd, env=env, capture_output=True, check=False)
        if proc.returncode not in (0, 1):
            failures += 1
            if failures == 1:
                print(f"  ! {what}: {proc.stderr.decode(errors='replace').strip()[:300]}")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if failures:
        note = f"{note}; {failures} FAILED"
    return Rate(what, len(commands), wall, cpu, note)


def peer_rates(
    work: Path, server: Server, vuln_db: Path, refs: list[str], sizes: Sizes
) -> list[Rate]:
    """`sievert scan` one by one (its cache kept), client mode, and trivy image."""
    cache = work / "cli-cache"
    shutil.rmtree(cache, ignore_errors=True)
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "xdg-cache")}
    scan = [*SIEVERT, "scan", "--scanners", "vuln,config,secret", "-f", "json", "-q"]
    rates = [
        one_by_one(
            "`sievert scan` one by one (layer cache kept: bases warm after the first)",
            [
                [*scan, f"registry:{r}", "--db", str(vuln_db), "--cache-dir", str(cache)]
                for r in refs
            ],
            env,
            "a process per image",
        )
    ]
    client_env = {**env, "SIEVERT_SERVER_TOKEN": server.token}
    rates.append(
        one_by_one(
            "`sievert scan --server` one by one (client mode; the server holds every layer)",
            [[*scan, f"registry:{r}", "--server", server.url, "--no-cache"] for r in refs],
            client_env,
            "client walks nothing new; the server assembles and matches",
        )
    )
    if sizes.peers:
        rates.extend(trivy_rate(work, refs))
    return rates


def trivy_rate(work: Path, refs: list[str]) -> list[Rate]:
    """`trivy image` one by one from the registry, its cache kept (offline flags)."""
    import run as bench_run

    peers = bench_run.install_peers()
    if "trivy" not in peers:
        return [Rate("trivy image (not installed: skipped)", 0, 0, 0)]
    cache = work / "trivy-cache"
    shutil.rmtree(cache, ignore_errors=True)
    env = bench_run.trivy_env(cache)
    cmds = [
        [
            peers["trivy"], "image", "--insecure", "--image-src", "remote", "--format", "json",
            "--list-all-pkgs", "--scanners", "license,secret", "--skip-db-update",
            "--skip-java-db-update", "--offline-scan", "-q", "--cache-dir", str(cache), ref,
        ]
        for ref in refs
    ]  # fmt: skip
    return [
        one_by_one(
            "`trivy image` one by one (cache kept)",
            cmds,
            env,
            "packages + secrets only: no vulnerability DB offline",
        )
    ]


# part 2: API latency ---------------------------------------------------------------------------
def templates(server: Server, ids: list[int]) -> list[Any]:
    """The measured images' scan results, read back from the server's reports."""
    import httpx

    from sievert.policy.result_input import load_scan_result

    with httpx.Client(base_url=server.url, timeout=60) as client:
        return [
            load_scan_result(client.get(f"/v1/images/{i}/report", headers=server.headers).json())
            for i in ids
        ]


def seed(database_url: str, results: list[Any], count: int) -> tuple[float, list[int], list[str]]:
    """`count` analysed images stored with the service's own `store_result`, a Harbor scan
    request for every fourth; (seconds, image ids, harbor scan ids)."""
    from sievert.service.analysis import store_result
    from sievert.service.database import Database
    from sievert.service.models import HarborScan, Image
    from sievert.service.settings import Settings

    db = Database(Settings(database_url=database_url))
    db.migrate()
    start = time.perf_counter()
    ids: list[int] = []
    scans: list[str] = []
    try:
        for chunk in range(0, count, 100):
            with db.session() as session:
                for n in range(chunk, min(count, chunk + 100)):
                    image = Image(reference=f"bench/seed-{n}:1", source="registry")
                    session.add(image)
                    session.flush()
                    store_result(session, image, results[n % len(results)])
                    ids.append(image.id)
                    if n % 4 == 0:
                        scan = uuid.uuid4().hex
                        artifact = {
                            "repository": f"bench/seed-{n}",
                            "digest": "sha256:" + hashlib.sha256(str(n).encode()).hexdigest(),
                            "mime_type": "application/vnd.oci.image.manifest.v1+json",
                        }
                        session.add(HarborScan(id=scan, image_id=image.id, artifact=artifact))
                        scans.append(scan)
    finally:
        db.dispose()
    return time.perf_counter() - start, ids, scans


def routes(ids: list[int], scans: list[str], results: list[Any]) -> dict[str, list[str]]:
    """Per measured route, the URLs the load cycles through."""
    rng = random.Random(7)
    vulns = sorted({f.id for r in results for f in r.findings}) or ["CVE-2024-2961"]
    packages = sorted({p.name for r in results for p in r.inventory.packages}) or ["libc6"]
    pages = max(1, len(ids) // 50)
    return {
        "GET /v1/images (page of 50)": [
            f"/v1/images?limit=50&offset={50 * rng.randrange(pages)}" for _ in range(100)
        ],
        "GET /v1/images?reference=…": [
            f"/v1/images?reference=seed-{rng.randrange(len(ids))}:" for _ in range(100)
        ],
        "GET /v1/images/{id}/vulnerabilities": [
            f"/v1/images/{rng.choice(ids)}/vulnerabilities" for _ in range(100)
        ],
        "GET /v1/vulnerabilities/{id}/images": [
            f"/v1/vulnerabilities/{rng.choice(vulns)}/images" for _ in range(100)
        ],
        "GET /v1/packages/images?name=…": [
            f"/v1/packages/images?name={rng.choice(packages)}" for _ in range(100)
        ],
        "GET /harbor/api/v1/scan/{id}/report": [
            f"/harbor/api/v1/scan/{rng.choice(scans)}/report" for _ in range(100)
        ],
    }


@dataclass
class Load:
    """Latencies (s) per route of one load run, and its wall time."""

    times: dict[str, list[float]]
    wall: float
    client_cpu: float
    """CPU seconds the load generator itself used."""

    @property
    def every(self) -> list[float]:
        """Every request's latency."""
        return [v for values in self.times.values() for v in values]


async def load(
    server: Server, urls: dict[str, list[str]], clients: int, per_route: int, think: float
) -> Load:
    """`clients` concurrent clients over every route interleaved, each waiting a random think
    time (mean `think` s; 0: back to back, a saturation run) before each of its requests, after
    one untimed request per route (a running server has compiled its statements long before).

    The clients are aiohttp sessions (0.4-0.6 ms of client CPU a request here): httpx's async
    client cost 4.7-5.1 ms a request, as much as the server, so on 2 cores the load generator
    saturated a core and its own queueing showed up as server latency."""
    import aiohttp

    plan = [(name, paths[n % len(paths)]) for n in range(per_route) for name, paths in urls.items()]
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for item in plan:
        queue.put_nowait(item)
    times: dict[str, list[float]] = {name: [] for name in urls}
    errors: list[str] = []
    headers = {**server.headers, "Accept": HARBOR_ACCEPT}
    rng = random.Random(11)

    async def worker(session: aiohttp.ClientSession) -> None:
        if think:  # clients join over the first think time: a steady load, not a herd at t=0
            await asyncio.sleep(rng.uniform(0, 2 * think))
        while not queue.empty():
            name, path = queue.get_nowait()
            start = time.perf_counter()
            async with session.get(server.url + path, headers=headers) as answer:
                await answer.read()
                times[name].append(time.perf_counter() - start)
                if answer.status != 200:
                    errors.append(f"{path}: {answer.status}")
            if think:
                await asyncio.sleep(rng.uniform(0, 2 * think))

    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        for paths in urls.values():  # warm-up, untimed: the token verified once, every
            async with session.get(server.url + paths[0], headers=headers) as first:
                await first.read()  # statement shape compiled once, as on a running server
        cpu = time.process_time()
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(clients)))
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu
    if errors:
        print(f"  ! {len(errors)} requests failed, e.g. {errors[0]}")
    return Load(times, wall, cpu)


def percentile(values: list[float], share: float) -> float:
    """The share-th quantile (nearest rank) in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


# part 3: re-evaluation -------------------------------------------------------------------------
def reevaluate_child(database_url: str, vuln_db: str) -> None:
    """(In a child process) re-evaluate every stored image; prints seconds, counts, peak MiB."""
    from sievert.service.database import Database
    from sievert.service.reevaluate import reevaluate_all
    from sievert.service.settings import Settings

    settings = Settings(database_url=database_url, vuln_db=Path(vuln_db))
    db = Database(settings)
    start = time.perf_counter()
    outcome = reevaluate_all(db, settings)
    seconds = time.perf_counter() - start
    db.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "images": outcome.images, "changed": outcome.changed,
                      "peak_mib": peak}))  # fmt: skip


def reevaluation(database_url: str, after_db: Path) -> dict[str, Any]:
    """Re-evaluate the stored images against the updated DB in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        [sys.executable, __file__, "--reevaluate-child", database_url, str(after_db)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"bench: re-evaluation failed: {proc.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result


# the run ---------------------------------------------------------------------------------------
def vuln_dbs(work: Path, quick: bool) -> tuple[Path, Path, str]:
    """The DB images are analysed with, and the updated one (Debian only); what they are."""
    if quick or not FEEDS.is_dir():
        from demo.feeds import write_mirror

        mirror = write_mirror(work / "mirror")
        label = "demo feeds"
    else:
        mirror, label = FEEDS, "../shared/feeds (real feeds)"
    full, debian = work / f"full-{quick}.db", work / f"debian-{quick}.db"
    for path, extra in ((full, []), (debian, ["--only", "debian"])):
        if not path.exists():
            subprocess.run(
                [
                    *SIEVERT,
                    "db",
                    "update",
                    "--mirror",
                    str(mirror),
                    "--db",
                    str(path),
                    "-q",
                    *extra,
                ],
                check=True,
            )
    return full, debian, label


def build_images(
    work: Path, host: str, quick: bool, count: int
) -> tuple[list[str], list[str], str]:
    """Warm-up and measured images pushed to the registry; (warm-up refs, measured refs, bases)."""
    bases = synthetic_bases() if quick or not LAYOUT.is_dir() else shared_bases()
    images: dict[str, tuple[Base, Blob]] = {}
    for n, base in enumerate(bases):
        images[f"warm-{n}"] = (base, app_layer(10_000 + n))
    for n in range(count):
        images[f"app-{n}"] = (bases[n % len(bases)], app_layer(n))
    layout = work / "layout"
    shutil.rmtree(layout, ignore_errors=True)
    write_layout(layout, images)
    for tag in images:
        subprocess.run(
            ["skopeo", "copy", "-q", "--dest-tls-verify=false",
             f"oci:{layout}:{tag}", f"docker://{host}/bench/{tag}:1"],
            check=True,
        )  # fmt: skip
    refs = [f"{host}/bench/{tag}:1" for tag in images]
    names = " and ".join(b.name for b in bases)
    return refs[: len(bases)], refs[len(bases) :], names


def main() -> None:
    """Run the three parts and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (also BENCH_QUICK=1)")
    parser.add_argument("--out", type=Path, default=OUT, help="where the Markdown table goes")
    parser.add_argument("--work", type=Path, default=None, help="scratch directory")
    parser.add_argument("--reevaluate-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reevaluate_child:
        reevaluate_child(*args.reevaluate_child)
        return
    quick = args.quick or os.environ.get("BENCH_QUICK", "") not in ("", "0")
    for tool in ("skopeo", "docker-registry"):
        if shutil.which(tool) is None:
            raise SystemExit(f"bench/service.py needs {tool} (apt-get install {tool})")
    sizes = QUICK if quick else FULL
    base_work = args.work or WORK
    base_work.mkdir(parents=True, exist_ok=True)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory(dir=base_work) as tmp:
        lines = run(Path(tmp), base_work, sizes, quick)
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_suffix(".tmp")
    partial.write_text(text)
    partial.replace(args.out)
    print(text)


def run(work: Path, cache: Path, sizes: Sizes, quick: bool) -> list[str]:
    """Every part; the Markdown lines."""
    full_db, debian_db, feeds = vuln_dbs(cache, quick)
    lines = [
        f"# Service benchmarks ({'quick smoke run' if quick else 'full run'})",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, load "
        f"average {os.getloadavg()[0]:.1f} at the start (a shared machine: read ratios). "
        f"Vulnerability DB: {feeds}.",
    ]
    with registry(work) as host:
        warm, measured, bases = build_images(work, host, quick, sizes.images)
        lines += ["", f"## Throughput: {len(measured)} images on two bases ({bases})", ""]
        lines += [
            "| how | images | wall s | images/hour | CPU s | images/hour/core | note |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        with Server(work / "throughput", full_db) as server:
            rates, ids = service_throughput(server, warm, measured)
            rates += peer_rates(work, server, full_db, measured, sizes)
            results = templates(server, ids)
        lines += [rate.row() for rate in rates]
    lines += latency_part(work, full_db, results, sizes)
    lines += reevaluation_part(work, debian_db, sizes)
    return lines


def latency_part(work: Path, vuln_db: Path, results: list[Any], sizes: Sizes) -> list[str]:
    """Seed the stored images, load the API, the latency table."""
    server = Server(work / "latency", vuln_db, workers=2)
    server.root.mkdir(parents=True, exist_ok=True)
    server.make_token()
    seconds, ids, scans = seed(server.database_url, results, sizes.seeded)
    urls = routes(ids, scans, results)
    with server:
        loadavg = os.getloadavg()[0]
        before = server.cpu()
        bounded = asyncio.run(load(server, urls, sizes.clients, sizes.requests, THINK))
        server_cpu = server.cpu() - before
        saturated = asyncio.run(load(server, urls, sizes.clients, sizes.requests // 2, 0))
    lines = [
        "",
        f"## API latency: {sizes.seeded} stored images, {sizes.clients} concurrent clients",
        "",
        f"Seeded in {seconds:.1f} s through `store_result`. {sizes.requests} requests per route, "
        "all routes interleaved, aiohttp clients on loopback (the client shares the cores). "
        f"Bounded load: each client waits a random 0-{2 * THINK:.1f} s before each request "
        f"(at most {sizes.clients / THINK:.0f} requests/s offered). Load average {loadavg:.1f} "
        "when it started: other work on the machine takes the cores from the server and shows in "
        "p99 first.",
        "",
        "| route | requests | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, values in bounded.times.items():
        lines.append(f"| {name} | {len(values)} | {_quantiles(values)} |")
    lines.append(f"| **all reads** | {len(bounded.every)} | {_quantiles(bounded.every)} |")
    rate = len(bounded.every) / bounded.wall
    full = saturated.every
    count = len(bounded.every)
    lines += [
        "",
        f"Served {rate:.0f} requests/s under the bounded load, using "
        f"{server_cpu / count * 1000:.2f} ms of server CPU per request (the load generator: "
        f"{bounded.client_cpu / count * 1000:.2f} ms). Saturation (the same clients back "
        f"to back, no wait): {len(full) / saturated.wall:.0f} requests/s, p50 "
        f"{percentile(full, 0.5):.1f} ms, p99 {percentile(full, 0.99):.1f} ms.",
    ]
    return lines


def _quantiles(values: list[float]) -> str:
    return (
        f"{percentile(values, 0.5):.1f} | {percentile(values, 0.99):.1f} | {max(values) * 1000:.1f}"
    )


def reevaluation_part(work: Path, updated_db: Path, sizes: Sizes) -> list[str]:
    """Re-evaluate the latency part's stored images against the updated DB."""
    database_url = Server(work / "latency", updated_db).database_url
    result = reevaluation(database_url, updated_db)
    return [
        "",
        f"## Re-evaluation after a DB update: {result['images']} stored images",
        "",
        "| images | changed | wall s | CPU s | peak RSS MiB |",
        "|---:|---:|---:|---:|---:|",
        f"| {result['images']} | {result['changed']} | {result['seconds']:.1f} | "
        f"{result['cpu']:.1f} | {result['peak_mib']:.0f} |",
    ]


if __name__ == "__main__":
    main()
