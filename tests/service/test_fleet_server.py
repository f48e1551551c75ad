"""End to end: `sievert server` as a process, `sievert runtime audit --server` against real
podman containers (private storage) and `sievert host scan --server` against the real sshd; what
the commands printed is what the server stores, and the image shows the containers running it."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.clitools import run_sievert
from tests.host.sshd_fixtures import sshd_server
from tests.pgcluster import free_port
from tests.podman_fixtures import podman_service
from tests.runtime.busybox_image import write_busybox_archive
from tests.service.helpers import bearer, start_server, wait_healthy, wait_status

pytestmark = pytest.mark.engine
IMAGE = "localhost/sievert/fleet-busybox:v1"


@dataclass
class Server:
    """A `sievert server` process, its URL and a token of each role."""

    url: str
    client: httpx.Client
    analyst: str
    reader: str
    log: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, vuln_db: Path) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("fleet-server")
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(root / "data"),
        "SIEVERT_DB": str(vuln_db),
        "SIEVERT_SECRET_KEY": Fernet.generate_key().decode(),
    }
    tokens = {}
    for role in ("analyst", "read-only"):
        made = run_sievert("server", "token", "create", "--role", role, env=env)
        assert made.returncode == 0, made.stderr
        tokens[role] = made.stdout.strip()
    port = free_port()
    log = root / "server.log"
    process = start_server(port, env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log)
        with httpx.Client(base_url=url, timeout=30) as client:
            yield Server(url, client, tokens["analyst"], tokens["read-only"], log)
    finally:
        process.terminate()
        process.wait(30)
    assert "Traceback" not in log.read_text()


def test_runtime_audit_is_stored_and_linked_to_the_image(
    server: Server, tmp_path: Path, vuln_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    archive = write_busybox_archive(tmp_path / "busybox.tar", IMAGE)
    added = server.client.post(
        f"/v1/images/archive?name={IMAGE}",
        content=archive.read_bytes(),
        headers={**bearer(server.analyst), "Content-Type": "application/x-tar"},
    )
    assert added.status_code == 202, added.text
    image = wait_status(server.client, added.json()["id"], bearer(server.reader))
    assert image["status"] == "analysed", image
    with podman_service(tmp_path_factory.mktemp("pod")) as podman:
        podman.run("load", "-q", "-i", str(archive))
        tag = uuid.uuid4().hex[:8]
        bad, calm = f"sievert-fleet-bad-{tag}", f"sievert-fleet-calm-{tag}"
        podman.run("run", "-d", "--name", bad, "--network", "none", "--privileged", IMAGE,
                   "sleep", "3000")  # fmt: skip
        podman.run("run", "-d", "--name", calm, "--network", "none", "--read-only",
                   "--cap-drop=ALL", IMAGE, "sleep", "3000")  # fmt: skip
        env = {"DOCKER_HOST": f"unix://{podman.socket}"}
        common = ("runtime", "audit", "--db", str(vuln_db), "--cache-dir", str(tmp_path / "c"))
        refused = run_sievert(*common, "--server", server.url, "-q",
                              env={**env, "SIEVERT_SERVER_TOKEN": server.reader})  # fmt: skip
        assert refused.returncode == 3 and "token was refused (403)" in refused.stderr
        proc = run_sievert(*common, "-q", "-f", "json", "--server", server.url,
                           env={**env, "SIEVERT_SERVER_TOKEN": server.analyst})  # fmt: skip
    assert proc.returncode == 0, proc.stderr + server.log.read_text()[-2000:]
    printed = {c["name"]: c for c in json.loads(proc.stdout)["containers"]}
    assert "sievert: runtime audit stored on" in proc.stderr
    audit_path = proc.stderr.split(" as ")[-1].strip()
    stored = server.client.get(audit_path, headers=bearer(server.reader)).json()
    assert stored["engine"] == f"unix://{podman.socket}"
    kept = {c["name"]: c for c in stored["containers"]}
    assert set(kept) == set(printed) == {bad, calm}
    for name, container in kept.items():
        assert container["rules"] == sorted({f["ruleId"] for f in printed[name]["findings"]})
        assert container["risk"] == printed[name]["risk"]["severity"]
        assert container["image_digest"] == printed[name]["imageId"] == image["config_digest"]
        assert container["image_id"] == image["id"]
        assert container["vulnerabilities"] == printed[name]["imageScan"]["vulnerabilities"]
    assert "SV-RT-001" in kept[bad]["rules"] and "SV-RT-001" not in kept[calm]["rules"]
    shown = server.client.get(f"/v1/images/{image['id']}", headers=bearer(server.reader)).json()
    assert {c["name"] for c in shown["containers"]} == {bad, calm}


def test_host_scan_over_ssh_is_stored(server: Server, tmp_path: Path, vuln_db: Path) -> None:
    with sshd_server(tmp_path / "sshd") as sshd:
        known = sshd.known_hosts(tmp_path / "known_hosts")
        args = ("--identity", str(sshd.client_key), "--known-hosts", str(known))
        unreachable = f"ssh://nobody@127.0.0.1:{free_port()}"
        hosts = tmp_path / "hosts.yaml"
        hosts.write_text(
            f"hosts:\n  - name: here\n    target: {sshd.target}\n"
            f"  - name: gone\n    target: {unreachable}\n"
        )
        proc = run_sievert("host", "scan", "--db", str(vuln_db), "-i", str(hosts), *args,
                           "-f", "json", "--server", server.url,
                           env={"SIEVERT_SERVER_TOKEN": server.analyst})  # fmt: skip
    assert proc.returncode == 3, proc.stderr  # one host is unreachable, and still stored
    printed = {h["name"]: h for h in json.loads(proc.stdout)["hosts"]}
    assert "host reports stored on" in proc.stderr
    listed = server.client.get("/v1/hosts", headers=bearer(server.reader)).json()["items"]
    latest = {h["name"]: h for h in reversed(listed)}
    here = server.client.get(f"/v1/hosts/{latest['here']['id']}", headers=bearer(server.reader))
    stored = here.json()
    assert stored["target"] == sshd.target and stored["error"] == ""
    assert stored["package_count"] == printed["here"]["packages"] > 50
    assert stored["kernel_running"] == printed["here"]["kernel"]["running"] == os.uname().release
    assert stored["findings"] == printed["here"]["findings"]
    assert latest["gone"]["error"] == printed["gone"]["error"] != ""
