"""Runtime audits and host scans stored by the service: who may send and read them, how uploads
are bounded and checked, and each container linked to the stored image it runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from sievert.model.runtime import ContainerConfig
from sievert.report.runtime.native import json_document
from sievert.runtime.audit import audit_containers
from sievert.service.app import create_app
from tests.clitools import run_sievert
from tests.service.helpers import LiveServer, add_token, bearer, settings_for, wait_status
from tests.service.test_postgres_workers import Workers


@dataclass
class Api:
    """A live server and a token of each role."""

    client: httpx.Client
    analyst: dict[str, str]
    reader: dict[str, str]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, vuln_db: Path
) -> Iterator[Api]:
    """A live server on SQLite, then on PostgreSQL with a worker (same routes, same answers)."""
    database_url, cluster, name = "", None, ""
    if request.param == "postgresql":
        cluster = request.getfixturevalue("pg_cluster")
        name = cluster.create_database()
        database_url = cluster.url(name)
    root = tmp_path_factory.mktemp("fleet")
    settings = settings_for(root, vuln_db, database_url, max_upload=200_000)
    analyst, reader = add_token(settings, "analyst"), add_token(settings, "read-only")
    workers = Workers(settings, root)
    try:
        with LiveServer(create_app(settings)) as client:
            if cluster is not None:
                workers.start()  # analyses run as Procrastinate jobs on a `sievert worker`
            yield Api(client, bearer(analyst), bearer(reader))
    finally:
        workers.stop()
        if cluster is not None:
            cluster.drop_database(name)


def audit_document(engine: str, *containers: ContainerConfig) -> dict[str, Any]:
    """What `sievert runtime audit -f json` prints for these containers (no image scan)."""
    return json_document(audit_containers(containers, engine, None), "test")


BAD = ContainerConfig(
    id="a" * 64, name="web", image="example/app:1", image_id="", privileged=True, pid_mode="host"
)
HOSTS = {
    "schemaVersion": "1",
    "tool": {"name": "sievert", "version": "test"},
    "hosts": [
        {
            "name": "db1",
            "target": "ssh://ops@db1:22",
            "distro": "rocky 9.3",
            "packages": 412,
            "kernel": {
                "running": "5.14.0-362.8.1.el9_3.x86_64",
                "runningPackages": ["kernel-core 5.14.0-362.8.1.el9_3"],
                "newestInstalled": "5.14.0-427.13.1.el9_4.x86_64",
            },
            "rebootRequired": True,
            "rebootReasons": ["newest installed kernel differs"],
            "vulnerabilities": {"high": 1},
            "findings": [
                {
                    "id": "CVE-2024-1086",
                    "package": "kernel-core",
                    "version": "5.14.0-362.8.1.el9_3",
                    "type": "rpm",
                    "severity": "high",
                    "fixedVersions": ["5.14.0-427.13.1.el9_4"],
                    "kernel": True,
                    "containerEscape": True,
                    "containerEscapeEvidence": ["kev", "cwe:CWE-416"],
                }
            ],
            "notices": [],
        },
        {"name": "down", "target": "ssh://ops@down:22", "error": "cannot connect"},
    ],
}


def post(api: Api, path: str, document: Any, headers: dict[str, str]) -> httpx.Response:
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    return api.client.post(
        path, content=body, headers={**headers, "Content-Type": "application/json"}
    )


def test_an_analyst_stores_an_audit_and_readers_read_it(api: Api) -> None:
    sent = post(api, "/v1/runtime/audits", audit_document("unix:///a.sock", BAD), api.analyst)
    assert sent.status_code == 201, sent.text
    stored = sent.json()
    assert stored["engine"] == "unix:///a.sock" and stored["container_count"] == 1
    (web,) = stored["containers"]
    assert web["name"] == "web" and web["risk"] == "critical"
    assert {"SV-RT-001", "SV-RT-004"} <= set(web["rules"])
    assert {f["ruleId"] for f in web["findings"]} == set(web["rules"])
    one = api.client.get(f"/v1/runtime/audits/{stored['id']}", headers=api.reader)
    assert one.status_code == 200 and one.json() == stored
    listed = api.client.get("/v1/runtime/audits?engine=unix:///a.sock", headers=api.reader).json()
    assert [a["id"] for a in listed["items"]] == [stored["id"]] and listed["total"] == 1
    assert api.client.get("/v1/runtime/audits/999999", headers=api.reader).status_code == 404


def test_readers_and_strangers_cannot_send(api: Api) -> None:
    document = audit_document("unix:///b.sock", BAD)
    assert post(api, "/v1/runtime/audits", document, api.reader).status_code == 403
    assert post(api, "/v1/runtime/audits", document, {}).status_code == 401
    assert post(api, "/v1/hosts", HOSTS, api.reader).status_code == 403
    assert post(api, "/v1/hosts", HOSTS, {}).status_code == 401


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [
        ("/v1/runtime/audits", b"not json", "not JSON"),
        ("/v1/runtime/audits", {"schemaVersion": "9", "containers": []}, "schemaVersion"),
        ("/v1/runtime/audits", {"schemaVersion": "1"}, "containers"),
        (
            "/v1/runtime/audits",
            {
                "schemaVersion": "1",
                "containers": [{"id": "x", "risk": {"severity": "apocalyptic"}}],
            },
            "containers.0.risk.severity",
        ),
        (
            "/v1/runtime/audits",
            {
                "schemaVersion": "1",
                "containers": [
                    {"id": "x", "risk": {"severity": "low"}, "findings": [{"ruleId": "X"}]}
                ],
            },
            "ruleId",
        ),
        ("/v1/hosts", {"schemaVersion": "1", "hosts": []}, "hosts"),
        ("/v1/hosts", {"schemaVersion": "1", "hosts": [{"name": "x" * 301}]}, "hosts.0.name"),
        ("/v1/hosts", [1, 2], "body"),
        ("/v1/hosts", b"[" * 100_000 + b"]" * 100_000, "nest"),
    ],
)
def test_bad_documents_are_refused_with_the_reason(
    api: Api, path: str, body: Any, words: str
) -> None:
    answer = post(api, path, body, api.analyst)
    assert answer.status_code == 422, answer.text
    assert words in answer.json()["detail"]


def test_uploads_are_bounded(api: Api) -> None:
    huge = audit_document("unix:///c.sock", BAD)
    huge["containers"][0]["risk"]["reason"] = "x" * 300_000
    answer = post(api, "/v1/runtime/audits", huge, api.analyst)
    assert answer.status_code == 413
    listed = api.client.get("/v1/runtime/audits?engine=unix:///c.sock", headers=api.reader)
    assert listed.json()["total"] == 0


def test_hosts_are_stored_one_report_each(api: Api) -> None:
    answer = post(api, "/v1/hosts", HOSTS, api.analyst)
    assert answer.status_code == 201, answer.text
    db1, down = answer.json()
    assert db1["name"] == "db1" and db1["reboot_required"] and db1["escape_count"] == 1
    assert db1["kernel_running"] == "5.14.0-362.8.1.el9_3.x86_64" and db1["package_count"] == 412
    assert down["error"] == "cannot connect" and down["vuln_count"] == 0
    detail = api.client.get(f"/v1/hosts/{db1['id']}", headers=api.reader).json()
    (finding,) = detail["findings"]
    assert finding["containerEscapeEvidence"] == ["kev", "cwe:CWE-416"]
    assert detail["running_kernel_packages"] == ["kernel-core 5.14.0-362.8.1.el9_3"]
    rebooting = api.client.get("/v1/hosts?reboot_required=true", headers=api.reader).json()
    assert db1["id"] in [h["id"] for h in rebooting["items"]]
    assert down["id"] not in [h["id"] for h in rebooting["items"]]
    named = api.client.get("/v1/hosts?name=down", headers=api.reader).json()
    assert [h["id"] for h in named["items"]] == [down["id"]]
    assert api.client.get("/v1/hosts/999999", headers=api.reader).status_code == 404


def test_an_image_shows_the_containers_running_it(api: Api, archives: dict[str, Path]) -> None:
    added = api.client.post(
        "/v1/images/archive?name=example/app:1",
        content=archives["docker"].read_bytes(),
        headers={**api.analyst, "Content-Type": "application/x-tar"},
    )
    image = wait_status(api.client, added.json()["id"], api.reader)
    assert image["status"] == "analysed", image
    by_digest = ContainerConfig(
        id="b" * 64, name="api", image="other:tag", image_id=image["config_digest"]
    )
    by_reference = ContainerConfig(id="c" * 64, name="worker", image="example/app:1", image_id="")
    stranger = ContainerConfig(
        id="d" * 64, name="cache", image="redis:7", image_id="sha256:" + "0" * 64
    )
    document = audit_document("unix:///d.sock", by_digest, by_reference, stranger)
    stored = post(api, "/v1/runtime/audits", document, api.analyst).json()
    links = {c["name"]: c["image_id"] for c in stored["containers"]}
    assert links == {"api": image["id"], "worker": image["id"], "cache": None}
    shown = api.client.get(f"/v1/images/{image['id']}", headers=api.reader).json()
    assert {c["name"] for c in shown["containers"]} >= {"api", "worker"}
    assert {c["engine"] for c in shown["containers"]} >= {"unix:///d.sock"}
    running = api.client.get(
        f"/v1/runtime/containers?image_id={image['id']}", headers=api.reader
    ).json()
    assert {c["name"] for c in running["items"] if c["engine"] == "unix:///d.sock"} == {
        "api",
        "worker",
    }
    # the engine's next audit no longer runs them: the image shows no container of it
    post(api, "/v1/runtime/audits", audit_document("unix:///d.sock", stranger), api.analyst)
    again = api.client.get(f"/v1/images/{image['id']}", headers=api.reader).json()
    assert "unix:///d.sock" not in {c["engine"] for c in again["containers"]}


def test_server_option_needs_an_http_url_and_a_token(tmp_path: Path) -> None:
    bad_url = run_sievert("host", "scan", "--root", str(tmp_path), "--server", "ftp://x")
    assert bad_url.returncode == 2 and "http:// or https://" in bad_url.stderr
    no_token = run_sievert(
        "runtime",
        "audit",
        "--skip-image-scan",
        "--server",
        "http://127.0.0.1:9",
        env={"SIEVERT_SERVER_TOKEN": "", "DOCKER_HOST": "unix:///nonexistent.sock"},
    )
    assert no_token.returncode == 3, no_token.stderr
    assert "SIEVERT_SERVER_TOKEN" in no_token.stderr and "Traceback" not in no_token.stderr
    assert len(no_token.stderr.strip().splitlines()) == 1  # before the engine is asked


def test_running_containers_by_rule_and_risk(api: Api) -> None:
    calm = ContainerConfig(
        id="e" * 64, name="calm", image="x:1", image_id="", readonly_rootfs=True, user="1000"
    )
    old = audit_document("unix:///e.sock", BAD, calm)
    assert post(api, "/v1/runtime/audits", old, api.analyst).status_code == 201
    renamed = ContainerConfig(**{**{f: getattr(BAD, f) for f in BAD.__slots__}, "name": "web2"})
    new = audit_document("unix:///e.sock", renamed, calm)
    assert post(api, "/v1/runtime/audits", new, api.analyst).status_code == 201

    def names(query: str) -> set[str]:
        page = api.client.get(f"/v1/runtime/containers?{query}", headers=api.reader).json()
        return {c["name"] for c in page["items"] if c["engine"] == "unix:///e.sock"}

    assert names("") == {"web2", "calm"}  # the latest audit only
    assert names("rule=SV-RT-001") == {"web2"}
    assert names("risk=critical") == {"web2"}
    assert names("name=calm") == {"calm"}
    for bad in ("SV-RT-00", "%25", "SV-RT-001%25"):  # a whole rule id, never a pattern
        answer = api.client.get(f"/v1/runtime/containers?rule={bad}", headers=api.reader)
        assert answer.status_code == 422, bad
