"""Harbor's Pluggable Scanner API v1.2, driven by a client sending exactly Harbor's requests
against a real docker-registry (htpasswd auth) holding an image pushed with skopeo."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sievert.service.app import create_app
from tests.service.helpers import APP_IMAGE, LiveServer, add_token, settings_for
from tests.source.registry_fixtures import Registry, start_registry
from tests.source.test_registry_auth import bcrypt_hash

pytestmark = [pytest.mark.registry]
USER, PASSWORD = "robot$harbor", "r0bot-secret"
META = "application/vnd.scanner.adapter.metadata+json; version=1.0"
SCAN_REQUEST = "application/vnd.scanner.adapter.scan.request+json; version=1.0"
SCAN_RESPONSE = "application/vnd.scanner.adapter.scan.response+json; version=1.0"
VULN_1_1 = "application/vnd.security.vulnerability.report; version=1.1"
SBOM = "application/vnd.security.sbom.report+json; version=1.0"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    root = tmp_path_factory.mktemp("harbor-registry")
    htpasswd = root / "htpasswd"
    htpasswd.write_text(f"{USER}:{bcrypt_hash(PASSWORD)}\n")
    auth = f"auth:\n  htpasswd:\n    realm: harbor-test\n    path: {htpasswd}\n"
    gen = start_registry(root / "registry", auth)
    reg = next(gen)
    reg.push(root, {"1.0": APP_IMAGE}, "library/app", creds=f"{USER}:{PASSWORD}")
    yield reg
    next(gen, None)


class HarborClient:
    """Harbor's scanner client: its headers, MIME types, no redirects followed, 5 s timeout."""

    def __init__(self, base: str, token: str) -> None:
        self.http = httpx.Client(
            base_url=f"{base}/harbor/api/v1",
            timeout=5,
            follow_redirects=False,
            headers={"Authorization": f"Bearer {token}"},
        )

    def metadata(self) -> httpx.Response:
        return self.http.get("/metadata", headers={"Accept": META})

    def submit(self, request: dict[str, Any]) -> httpx.Response:
        import json

        return self.http.post(
            "/scan",
            content=json.dumps(request).encode(),
            headers={"Content-Type": SCAN_REQUEST, "Accept": SCAN_RESPONSE},
        )

    def report(self, scan_id: str, mime: str, sbom_type: str = "") -> httpx.Response:
        params = {"sbom_media_type": sbom_type} if sbom_type else None
        return self.http.get(f"/scan/{scan_id}/report", headers={"Accept": mime}, params=params)


def manifest_digest(registry: Registry, repo: str, tag: str) -> tuple[str, str]:
    answer = httpx.get(
        f"http://{registry.host}/v2/{repo}/manifests/{tag}",
        headers={
            "Accept": "application/vnd.oci.image.manifest.v1+json, "
            "application/vnd.docker.distribution.manifest.v2+json"
        },
        auth=(USER, PASSWORD),
    )
    assert answer.status_code == 200, answer.text
    return answer.headers["Docker-Content-Digest"], answer.headers["Content-Type"]


@pytest.fixture(scope="module")
def harbor(
    tmp_path_factory: pytest.TempPathFactory, vuln_db: Path, registry: Registry
) -> Iterator[tuple[HarborClient, str]]:
    settings = settings_for(tmp_path_factory.mktemp("harbor"), vuln_db, harbor_refresh=1)
    token = add_token(settings, "analyst")
    with LiveServer(create_app(settings)) as client:
        harbor = HarborClient(str(client.base_url), token)
        try:
            yield harbor, token
        finally:
            harbor.http.close()


def scan_request(registry: Registry, digest: str, mime: str, password: str = PASSWORD) -> Any:
    basic = base64.b64encode(f"{USER}:{password}".encode()).decode()
    return {
        "registry": {"url": f"http://{registry.host}", "authorization": f"Basic {basic}"},
        "artifact": {
            "repository": "library/app",
            "digest": digest,
            "tag": "1.0",
            "mime_type": mime,
        },
        "enabled_capabilities": [
            {"type": "vulnerability", "produces_mime_types": [VULN_1_1]},
            {
                "type": "sbom",
                "produces_mime_types": [SBOM],
                "parameters": {"sbom_media_types": ["application/spdx+json"]},
            },
        ],
    }


def poll(harbor: HarborClient, scan_id: str, mime: str, sbom: str = "") -> httpx.Response:
    deadline = time.monotonic() + 60
    while True:
        answer = harbor.report(scan_id, mime, sbom)
        if answer.status_code != 302:
            return answer
        assert answer.headers["Refresh-After"] == "1"
        assert answer.headers["Retry-After"] == "1"
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_metadata(harbor: tuple[HarborClient, str]) -> None:
    client, _ = harbor
    answer = client.metadata()
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith(
        "application/vnd.scanner.adapter.metadata+json"
    )
    body = answer.json()
    assert body["scanner"]["name"] == "Sievert"
    types = {c["type"]: c for c in body["capabilities"]}
    assert VULN_1_1 in types["vulnerability"]["produces_mime_types"]
    assert types["sbom"]["additional_attributes"]["sbom_media_types"]
    assert body["properties"]["harbor.scanner-adapter/vulnerability-database-updated-at"]


def test_scan_then_reports(harbor: tuple[HarborClient, str], registry: Registry) -> None:
    client, _ = harbor
    digest, mime = manifest_digest(registry, "library/app", "1.0")
    started = time.monotonic()
    answer = client.submit(scan_request(registry, digest, mime))
    assert time.monotonic() - started < 5
    assert answer.status_code == 202, answer.text
    assert answer.headers["Content-Type"] == SCAN_RESPONSE
    scan_id = answer.json()["id"]
    first = client.report(scan_id, VULN_1_1)
    assert first.status_code in (200, 302)
    report = poll(client, scan_id, VULN_1_1)
    assert report.status_code == 200, report.text
    assert report.headers["Content-Type"] == VULN_1_1
    body = report.json()
    assert body["artifact"]["digest"] == digest
    assert body["severity"] in ("High", "Critical")
    libc = [v for v in body["vulnerabilities"] if v["id"] == "CVE-2024-2961"]
    assert libc and libc[0]["package"] == "libc6" and libc[0]["fix_version"]
    assert libc[0]["severity"] in ("Unknown", "Negligible", "Low", "Medium", "High", "Critical")
    assert libc[0]["vendor_attributes"]["layer"]["diff_id"].startswith("sha256:")
    sbom = poll(client, scan_id, SBOM, "application/spdx+json")
    assert sbom.status_code == 200 and sbom.headers["Content-Type"] == SBOM
    assert sbom.json()["media_type"] == "application/spdx+json"
    assert sbom.json()["sbom"]["spdxVersion"] == "SPDX-2.3"
    cdx = poll(client, scan_id, SBOM, "application/vnd.cyclonedx+json")
    assert cdx.json()["sbom"]["bomFormat"] == "CycloneDX"
    assert client.report(scan_id, SBOM).status_code == 400
    assert client.report(scan_id, "application/x-unknown").status_code == 501


def test_bad_requests(harbor: tuple[HarborClient, str], registry: Registry) -> None:
    client, _ = harbor
    digest, mime = manifest_digest(registry, "library/app", "1.0")
    bad_json = client.http.post("/scan", content=b"{nope", headers={"Content-Type": SCAN_REQUEST})
    assert bad_json.status_code == 400
    assert bad_json.json()["error"]["message"]
    request = scan_request(registry, digest, mime)
    request["artifact"]["digest"] = "latest"
    assert client.submit(request).status_code == 422
    assert client.report("no-such-id", VULN_1_1).status_code == 404


def test_wrong_registry_credentials_end_in_500(
    harbor: tuple[HarborClient, str], registry: Registry
) -> None:
    client, _ = harbor
    digest, mime = manifest_digest(registry, "library/app", "1.0")
    request = scan_request(registry, digest, mime, password="wrong")
    request["artifact"]["repository"] = "library/app"
    request["registry"]["url"] = f"http://localhost:{registry.port}"  # another reference
    answer = client.submit(request)
    assert answer.status_code == 202
    report = poll(client, answer.json()["id"], VULN_1_1)
    assert report.status_code == 500
    assert report.headers["Content-Type"].startswith("application/vnd.scanner.adapter.error+json")
    assert "error" in report.json()
