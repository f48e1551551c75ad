"""Every route in the OpenAPI document refuses callers without a token, and every write refuses
a read-only token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sievert.service.app import create_app
from tests.service.helpers import LiveServer, add_token, bearer, settings_for

PUBLIC = {"/healthz", "/readyz"}
ADMIN_READS = {"/v1/tokens"}
"""Reads only an admin may make (token listing)."""


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, vuln_db: Path
) -> Iterator[tuple[httpx.Client, str]]:
    root = tmp_path_factory.mktemp("walk")
    settings = settings_for(root, vuln_db)
    reader = add_token(settings, "read-only")
    with LiveServer(create_app(settings)) as client:
        yield client, reader


def operations(client: httpx.Client) -> list[tuple[str, str]]:
    document = client.get("/openapi.json").json()
    found = []
    for path, item in document["paths"].items():
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                found.append((method.upper(), re.sub(r"\{[^}]+\}", "1", path)))
    return found


def test_the_document_lists_the_writes(live: tuple[httpx.Client, str]) -> None:
    client, _ = live
    writes = [op for op in operations(client) if op[0] != "GET"]
    assert ("POST", "/v1/images") in writes and ("POST", "/v1/tokens") in writes
    assert ("POST", "/v1/runtime/audits") in writes and ("POST", "/v1/hosts") in writes
    reads = [op for op in operations(client) if op[0] == "GET"]
    assert {("GET", "/v1/runtime/audits/1"), ("GET", "/v1/hosts/1")} <= set(reads)
    assert len(writes) >= 8


def test_every_route_needs_a_token(live: tuple[httpx.Client, str]) -> None:
    client, _ = live
    for method, path in operations(client):
        if path in PUBLIC:
            continue
        answer = client.request(method, path, content=b"{}")
        assert answer.status_code == 401, (method, path, answer.status_code)
        bad = client.request(method, path, content=b"{}", headers=bearer("svt_00_nope"))
        assert bad.status_code == 401, (method, path, bad.status_code)


def test_read_only_token_reads_but_every_write_is_refused(live: tuple[httpx.Client, str]) -> None:
    client, reader = live
    for method, path in operations(client):
        answer = client.request(
            method,
            path,
            content=b"{}",
            headers={**bearer(reader), "Content-Type": "application/json"},
        )
        if method == "GET" and path in ADMIN_READS:
            assert answer.status_code == 403, (method, path, answer.status_code)
        elif method == "GET":
            assert answer.status_code not in (401, 403), (method, path, answer.text)
        else:
            assert answer.status_code == 403, (method, path, answer.status_code, answer.text)
