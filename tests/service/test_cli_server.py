"""`sievert server`, `sievert server token create` and `sievert worker` as a user runs them."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from tests.clitools import run_sievert
from tests.pgcluster import free_port
from tests.service.helpers import bearer, start_server, wait_healthy, wait_status


def test_embedded_server_from_the_command_line(
    tmp_path: Path, vuln_db: Path, archives: dict[str, Path]
) -> None:
    env = {
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "SIEVERT_DB": str(vuln_db),
        "SIEVERT_SECRET_KEY": Fernet.generate_key().decode(),
    }
    made = run_sievert("server", "token", "create", "--role", "analyst", env=env)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("svt_") and "\n" not in token
    assert (tmp_path / "data" / "sievert" / "service.sqlite").is_file()
    port = free_port()
    server = start_server(port, {**os.environ, **env}, tmp_path / "server.log")
    try:
        wait_healthy(f"http://127.0.0.1:{port}", server, tmp_path / "server.log", timeout=30)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            assert client.get("/readyz").json()["engine"] == "in-process"
            assert client.get("/v1/images").status_code == 401
            answer = client.post(
                "/v1/images/archive",
                content=archives["docker"].read_bytes(),
                headers={**bearer(token), "Content-Type": "application/x-tar"},
            )
            assert answer.status_code == 202
            done = wait_status(client, answer.json()["id"], bearer(token))
            assert done["status"] == "analysed", done
            assert client.get("/docs").status_code == 200
    finally:
        server.terminate()
        server.wait(30)
    log_text = (tmp_path / "server.log").read_text()
    assert server.returncode in (0, -15), log_text  # uvicorn re-raises SIGTERM after shutdown
    assert "Application shutdown complete" in log_text and "Traceback" not in log_text


def test_worker_needs_postgresql(tmp_path: Path) -> None:
    proc = run_sievert("worker", "--database", f"sqlite:///{tmp_path}/s.sqlite")
    assert proc.returncode == 2
    assert "PostgreSQL" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_database_url_is_a_usage_error() -> None:
    proc = run_sievert("server", "--database", "mysql://x", "token", "create", "--role", "admin")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--database" in proc.stderr


def test_unreachable_postgresql_is_one_line(tmp_path: Path) -> None:
    url = f"postgresql://nobody@127.0.0.1:{free_port()}/none"
    proc = run_sievert("server", "--database", url, "token", "create", "--role", "admin")
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr and "cannot" in proc.stderr
