"""The UI's Containers and Hosts pages: what the latest runtime audit of each engine and the
latest host scans stored, filtered and linked, to readers only."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from sievert.model.runtime import ContainerConfig
from sievert.service.app import create_app
from tests.service.helpers import add_token, bearer, settings_for
from tests.service.test_fleet_routes import BAD, HOSTS, audit_document
from tests.service.uihelpers import sign_in

with warnings.catch_warnings():
    # Starlette asks for its httpx fork ("httpx2"); the TestClient works the same with httpx.
    warnings.filterwarnings("ignore", message=".*httpx2")
    from fastapi.testclient import TestClient

QUIET = ContainerConfig(id="b" * 64, name="worker", image="example/worker:2", image_id="")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, vuln_db: Path) -> Iterator[TestClient]:
    """A signed-in reader's client on a service holding an audit of two containers (then a
    newer audit of the same engine holding one) and a host scan of two hosts."""
    root = tmp_path_factory.mktemp("ui-fleet")
    settings = settings_for(root, vuln_db)
    analyst = bearer(add_token(settings, "analyst"))
    reader = add_token(settings, "read-only")
    with TestClient(create_app(settings)) as client:
        for document in (
            audit_document("unix:///old.sock", BAD, QUIET),
            audit_document("unix:///run.sock", QUIET),
            audit_document("unix:///run.sock", BAD, QUIET),
        ):
            sent = client.post("/v1/runtime/audits", content=json.dumps(document), headers=analyst)
            assert sent.status_code == 201, sent.text
        sent = client.post("/v1/hosts", content=json.dumps(HOSTS), headers=analyst)
        assert sent.status_code == 201, sent.text
        assert sign_in(client, token=reader).status_code == 303
        yield client


def _rows(html: str) -> int:
    return html.count("<tr>") - 1  # the header row


def test_containers_lists_the_latest_audit_of_each_engine(fleet: TestClient) -> None:
    page = fleet.get("/containers")
    assert page.status_code == 200
    assert "4 containers" in page.text  # old.sock's two, run.sock's latest two
    assert page.text.count("unix:///run.sock") == 2 and page.text.count("unix:///old.sock") == 2
    assert 'href="/containers?rule=SV-RT-001"' in page.text
    assert 'aria-current="page"' in page.text and ">Containers</a>" in page.text


@pytest.mark.parametrize(
    ("query", "count"),
    [("rule=SV-RT-001", 2), ("risk=critical", 2), ("name=worker", 2), ("risk=low&name=web", 0)],
)
def test_containers_filter(fleet: TestClient, query: str, count: int) -> None:
    table = fleet.get(f"/containers?{query}", headers={"HX-Request": "true"})
    assert table.status_code == 200
    assert "<h1>" not in table.text  # the table alone for htmx
    noun = "container" if count == 1 else "containers"
    assert f"{count} {noun}" in table.text
    assert _rows(table.text) == max(count, 1)


def test_hosts_show_the_latest_report_of_each_host(fleet: TestClient) -> None:
    page = fleet.get("/hosts")
    assert page.status_code == 200
    assert "db1" in page.text and "5.14.0-362.8.1.el9_3.x86_64" in page.text
    assert "<strong>required</strong>" in page.text
    assert "cannot connect" in page.text  # the unreachable host, with its error
    detail = fleet.get("/hosts/1")
    assert detail.status_code == 200
    assert 'href="/vulns/CVE-2024-1086"' in detail.text and "cwe:CWE-416" in detail.text
    assert "newest installed: 5.14.0-427.13.1.el9_4.x86_64" in detail.text
    assert fleet.get("/hosts/999").status_code == 404


@pytest.mark.parametrize(
    "query", ["rule=%3Cscript%3E", "risk=everything", "page=0", "name=" + "x" * 400]
)
def test_hostile_filters_are_refused(fleet: TestClient, query: str) -> None:
    assert fleet.get(f"/containers?{query}").status_code == 422


def test_the_pages_need_a_session(fleet: TestClient, tmp_path: Path, vuln_db: Path) -> None:
    with TestClient(create_app(settings_for(tmp_path, vuln_db))) as stranger:
        for path in ("/containers", "/hosts", "/hosts/1"):
            answer = stranger.get(path, follow_redirects=False)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
