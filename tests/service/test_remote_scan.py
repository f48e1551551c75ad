"""`sievert scan --server URL`: the image is walked locally and the server matches its inventory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sievert.service.app import create_app
from tests.clitools import run_sievert
from tests.service.helpers import LiveServer, add_token, settings_for


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, vuln_db: Path
) -> Iterator[tuple[httpx.Client, str]]:
    settings = settings_for(tmp_path_factory.mktemp("remote"), vuln_db)
    token = add_token(settings, "analyst")
    with LiveServer(create_app(settings)) as client:
        yield client, token


def findings(doc: dict[str, object]) -> set[tuple[str, str]]:
    return {(f["id"], f["package"]["name"]) for f in doc["findings"]}  # type: ignore[attr-defined,index]


def test_remote_scan_matches_like_a_local_scan(
    server: tuple[httpx.Client, str], archives: dict[str, Path], vuln_db: Path
) -> None:
    client, token = server
    target = f"docker-archive:{archives['docker']}"
    remote = run_sievert(
        "scan",
        target,
        "--server",
        str(client.base_url),
        "-f",
        "json",
        "--no-cache",
        "-q",
        env={"SIEVERT_SERVER_TOKEN": token},
    )
    assert remote.returncode == 0, remote.stderr
    local = run_sievert("scan", target, "--db", str(vuln_db), "-f", "json", "--no-cache", "-q")
    assert local.returncode == 0, local.stderr
    remote_found = findings(json.loads(remote.stdout))
    assert ("CVE-2024-2961", "libc6") in remote_found
    assert remote_found == findings(json.loads(local.stdout))
    listed = client.get(
        "/v1/images", params={"source": "sbom"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert listed.json()["total"] >= 1  # only the inventory went to the server


def test_remote_scan_errors_are_one_line(
    server: tuple[httpx.Client, str], archives: dict[str, Path]
) -> None:
    client, _ = server
    target = f"docker-archive:{archives['docker']}"
    refused = run_sievert(
        "scan",
        target,
        "--server",
        str(client.base_url),
        "--no-cache",
        "-q",
        env={"SIEVERT_SERVER_TOKEN": "svt_0123456789abcdef_wrong"},
    )
    assert refused.returncode == 3 and "refused" in refused.stderr
    assert "Traceback" not in refused.stderr
    usage = run_sievert(
        "scan",
        target,
        "--server",
        str(client.base_url),
        "--scanners",
        "secret",
        "--no-cache",
    )
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
