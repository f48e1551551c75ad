"""PostgreSQL mode: analyses run as Procrastinate jobs on real `sievert worker` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from sievert.service.app import create_app
from sievert.service.settings import Settings
from tests.service.gatedregistry import GatedRegistry
from tests.service.helpers import (
    APP_IMAGE,
    LiveServer,
    add_token,
    bearer,
    settings_for,
    wait_status,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def worker_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "SIEVERT_DATABASE_URL": settings.database_url,
        "SIEVERT_DB": str(settings.vuln_db),
        "SIEVERT_STORAGE_DIR": str(settings.storage_dir),
        "SIEVERT_SECRET_KEY": settings.secret_key,
        "SIEVERT_HEARTBEAT": "1",
        "SIEVERT_STALLED_AFTER": "4",
    }


class Workers:
    """`sievert worker` processes started by a test, all stopped at teardown."""

    def __init__(self, settings: Settings, root: Path) -> None:
        self.settings = settings
        self.root = root
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, **extra: str) -> subprocess.Popen[bytes]:
        """Start one worker; `extra` adds environment variables (e.g. SIEVERT_POLL_INTERVAL)."""
        with (self.root / f"worker{len(self.processes)}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "sievert", "worker"],
                env={**worker_env(self.settings), **extra},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in self.root.glob("*.log"))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def pg_service(
    tmp_path: Path, vuln_db: Path, pg_url: str
) -> Iterator[tuple[object, Settings, Workers]]:
    own_db = tmp_path / "vuln.db"  # a copy: a test swaps it for a newer build
    own_db.write_bytes(vuln_db.read_bytes())
    settings = settings_for(tmp_path, own_db, pg_url)
    workers = Workers(settings, tmp_path)
    try:
        with LiveServer(create_app(settings)) as client:
            yield client, settings, workers
    finally:
        workers.stop()


def test_workers_analyse_uploads_and_registry_images(
    pg_service: tuple[object, Settings, Workers], archives: dict[str, Path]
) -> None:
    client, settings, workers = pg_service
    token = add_token(settings, "analyst")
    workers.start()
    workers.start()
    ids = []
    for kind in ("docker", "oci"):
        answer = client.post(  # type: ignore[attr-defined]
            "/v1/images/archive",
            params={"name": f"example/{kind}:1"},
            content=archives[kind].read_bytes(),
            headers={**bearer(token), "Content-Type": "application/x-tar"},
        )
        assert answer.status_code == 202, answer.text
        ids.append(answer.json()["id"])
    for image_id in ids:
        done = wait_status(client, image_id, bearer(token), timeout=120)
        assert done["status"] == "analysed", (done, workers.logs())
        assert done["vuln_count"] >= 1
    assert client.get("/readyz").json()["engine"] == "procrastinate"  # type: ignore[attr-defined]


def test_killed_worker_job_is_retried_and_nothing_is_duplicated(
    pg_service: tuple[object, Settings, Workers],
) -> None:
    client, settings, workers = pg_service
    token = add_token(settings, "analyst")
    with GatedRegistry({"slow/app:1": APP_IMAGE}) as registry:
        first = workers.start()
        answer = client.post(  # type: ignore[attr-defined]
            "/v1/images", json={"reference": f"{registry.host}/slow/app:1"}, headers=bearer(token)
        )
        assert answer.status_code == 202, answer.text
        image_id = answer.json()["id"]
        assert registry.layer_requested.wait(60), workers.logs()
        state = client.get(f"/v1/images/{image_id}", headers=bearer(token)).json()  # type: ignore[attr-defined]
        assert state["status"] == "analysing"
        first.send_signal(signal.SIGKILL)  # mid-analysis: a layer download is in progress
        first.wait(10)
        registry.release()
        workers.start()
        done = wait_status(client, image_id, bearer(token), timeout=120)
    assert done["status"] == "analysed", (done, workers.logs())
    assert done["attempts"] == 2
    with psycopg.connect(settings.conninfo) as conn:
        jobs = conn.execute(
            "SELECT status FROM procrastinate_jobs WHERE task_name = 'sievert.analyse'"
        ).fetchall()
        assert jobs == [("succeeded",)]
        packages = conn.execute(
            "SELECT name, version, count(*) FROM image_packages WHERE image_id = %s "
            "GROUP BY name, version",
            (image_id,),
        ).fetchall()
        layers = conn.execute(
            "SELECT count(*) FROM image_layers WHERE image_id = %s", (image_id,)
        ).fetchone()
    assert packages and all(count == 1 for _, _, count in packages)
    assert {name for name, _, _ in packages} >= {"libc6", "curl", "requests"}
    assert layers == (2,)


def test_reevaluation_and_webhooks_run_on_workers(
    pg_service: tuple[object, Settings, Workers],
    archives: dict[str, Path],
    feed_mirror: Path,
    tmp_path: Path,
) -> None:
    import hashlib
    import hmac
    import json

    from tests.clitools import run_sievert
    from tests.service.helpers import SECRET, Receiver, wait_for

    client, settings, workers = pg_service
    admin = bearer(add_token(settings, "admin"))
    smaller = tmp_path / "debian-only.db"
    built = run_sievert(
        "db", "update", "--mirror", str(feed_mirror), "--db", str(smaller), "--only", "debian", "-q"
    )
    assert built.returncode == 0, built.stderr
    workers.start()
    with Receiver() as receiver:
        sub = client.post(  # type: ignore[attr-defined]
            "/v1/subscriptions",
            json={"event": "vuln_update", "url": receiver.url, "secret": SECRET},
            headers=admin,
        )
        assert sub.status_code == 201
        image = client.post(  # type: ignore[attr-defined]
            "/v1/images/archive",
            content=archives["docker"].read_bytes(),
            headers={**admin, "Content-Type": "application/x-tar"},
        ).json()
        assert wait_status(client, image["id"], admin, timeout=120)["status"] == "analysed"
        os.replace(smaller, settings.vuln_db)  # type: ignore[arg-type]
        answer = client.post("/v1/db/reevaluate", headers=admin)  # type: ignore[attr-defined]
        assert answer.status_code == 202
        diffs = wait_for(
            lambda: client.get(f"/v1/images/{image['id']}/diffs", headers=admin).json()  # type: ignore[attr-defined]
        )
        assert diffs and diffs[0]["removed"], workers.logs()
        assert wait_for(lambda: receiver.received), workers.logs()
    headers, body = receiver.received[0]
    assert (
        headers["X-Sievert-Signature"]
        == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    )
    assert json.loads(body)["image_id"] == image["id"]
