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
from sqlalchemy import select

from sievert.service.app import create_app
from sievert.service.database import Database
from sievert.service.models import Image
from sievert.service.settings import Settings
from tests.service.helpers import APP_IMAGE, LiveServer, add_token, settings_for
from tests.source.registry_fixtures import Registry
from tests.source.test_registry_auth import PASSWORD as TOKEN_PW
from tests.source.test_registry_auth import USER as TOKEN_USER
from tests.source.test_registry_auth import TokenServer, htpasswd_registry_at, token_registry_at

pytestmark = [pytest.mark.registry]
USER, PASSWORD = "robot$harbor", "r0bot-secret"
META = "application/vnd.scanner.adapter.metadata+json; version=1.0"
SCAN_REQUEST = "application/vnd.scanner.adapter.scan.request+json; version=1.0"
SCAN_RESPONSE = "application/vnd.scanner.adapter.scan.response+json; version=1.0"
VULN_1_1 = "application/vnd.security.vulnerability.report; version=1.1"
SBOM = "application/vnd.security.sbom.report+json; version=1.0"
OCI = "application/vnd.oci.image.manifest.v1+json"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    root = tmp_path_factory.mktemp("harbor-registry")
    for reg in htpasswd_registry_at(root, USER, PASSWORD):
        reg.push(root, {"1.0": APP_IMAGE}, "library/app", creds=f"{USER}:{PASSWORD}")
        yield reg


class HarborClient:
    """Harbor's scanner client: its headers, MIME types, no redirects followed, 5 s timeout."""

    settings: Settings | None = None
    """The server's settings (to look into its database)."""

    def __init__(self, base: str, token: str) -> None:
        self.http = httpx.Client(
            base_url=f"{base}/harbor/api/v1",
            timeout=5,
            follow_redirects=False,
            headers={"Authorization": f"Bearer {token}"},
        )

    def metadata(self) -> httpx.Response:
        return self.http.get("/metadata", headers={"Accept": META})

    def submit(self, request: dict[str, Any], version: str = "1.1") -> httpx.Response:
        """POST /scan with the scan request MIME type of this version (Harbor 2.x: 1.1)."""
        import json

        kind = f"application/vnd.scanner.adapter.scan.request+json; version={version}"
        return self.http.post(
            "/scan",
            content=json.dumps(request).encode(),
            headers={"Content-Type": kind, "Accept": SCAN_RESPONSE},
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
        harbor.settings = settings
        try:
            yield harbor, token
        finally:
            harbor.http.close()


def harbor_request(host: str, digest: str, mime: str, authorization: str) -> Any:
    """A scan request as Harbor sends it for library/app:1.0 with this pull credential."""
    return {
        "registry": {"url": f"http://{host}", "authorization": authorization},
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


def scan_request(registry: Registry, digest: str, mime: str, password: str = PASSWORD) -> Any:
    """Harbor's request with its robot account's Basic credentials."""
    basic = base64.b64encode(f"{USER}:{password}".encode()).decode()
    return harbor_request(registry.host, digest, mime, f"Basic {basic}")


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
    answer = client.submit(scan_request(registry, digest, mime), version="1.0")  # older Harbor
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


@pytest.fixture(scope="module")
def token_registry(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Registry, TokenServer]]:
    """A registry delegating auth to a JWT token service (as Harbor's registry does), holding
    library/app:1.0; the token service mints real RS256 tokens the registry verifies."""
    root = tmp_path_factory.mktemp("harbor-token-registry")
    for reg, tokens in token_registry_at(root):
        reg.push(root, {"1.0": APP_IMAGE}, "library/app", creds=f"{TOKEN_USER}:{TOKEN_PW}")
        yield reg, tokens


def bearer_request(host: str, digest: str, mime: str, token: str) -> dict[str, Any]:
    """Harbor's scan request carrying a pull token in registry.authorization."""
    return dict(harbor_request(host, digest, mime, f"Bearer {token}"))


def test_bearer_authorization_is_sent_to_the_registry_as_it_is(
    harbor: tuple[HarborClient, str],
    token_registry: tuple[Registry, TokenServer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, _ = harbor
    registry, tokens = token_registry
    pull = tokens.token("repository:library/app:pull", True)
    answer = httpx.get(
        f"http://{registry.host}/v2/library/app/manifests/1.0",
        headers={
            "Accept": "application/vnd.oci.image.manifest.v1+json",
            "Authorization": "Bearer " + pull,
        },
    )
    assert answer.status_code == 200, answer.text
    digest, mime = answer.headers["Docker-Content-Digest"], answer.headers["Content-Type"]
    tokens.requests.clear()
    accepted = client.submit(bearer_request(registry.host, digest, mime, pull))
    assert accepted.status_code == 202, accepted.text
    report = poll(client, accepted.json()["id"], VULN_1_1)
    assert report.status_code == 200, report.text
    assert any(v["id"] == "CVE-2024-2961" for v in report.json()["vulnerabilities"])
    assert tokens.requests == []  # Harbor's token went to the registry; none was asked for
    assert pull not in caplog.text  # never logged
    assert client.settings is not None
    database = Database(client.settings)
    try:
        with database.session() as session:
            kept = session.scalars(select(Image.pull_auth).where(Image.pull_auth != b"")).all()
    finally:
        database.dispose()
    assert kept == []  # the pull credential is erased once the analysis ends


def test_bearer_without_pull_rights_fails_the_scan(
    harbor: tuple[HarborClient, str], token_registry: tuple[Registry, TokenServer]
) -> None:
    client, _ = harbor
    registry, tokens = token_registry
    empty = tokens.token("repository:library/app:pull", False)
    digest = "sha256:" + "ab" * 32
    request = bearer_request(f"localhost:{registry.port}", digest, OCI, empty)
    accepted = client.submit(request)
    assert accepted.status_code == 202, accepted.text
    report = poll(client, accepted.json()["id"], VULN_1_1)
    assert report.status_code == 500
    assert empty not in report.text


def test_unknown_authorization_scheme_is_refused(harbor: tuple[HarborClient, str]) -> None:
    client, _ = harbor
    request = bearer_request("127.0.0.1:1", "sha256:" + "cd" * 32, OCI, "x")
    request["registry"]["authorization"] = "Digest secret-value"
    answer = client.submit(request)
    assert answer.status_code == 422
    assert "secret-value" not in answer.text
