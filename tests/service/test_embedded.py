"""The embedded service (SQLite, in-process analyses) through its HTTP API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sievert.service.app import create_app
from sievert.service.settings import Settings
from tests.service.helpers import LiveServer, add_token, bearer, settings_for, wait_status


@pytest.fixture
def service(tmp_path: Path, vuln_db: Path) -> Iterator[tuple[httpx.Client, Settings]]:
    settings = settings_for(tmp_path, vuln_db, max_upload=1024 * 1024)
    with LiveServer(create_app(settings)) as client:
        yield client, settings


def services_of(client: httpx.Client) -> Any:
    """The services of the app the live server runs (same process)."""
    return client.sievert_app.state.services  # type: ignore[attr-defined]


def upload(client: httpx.Client, token: str, path: Path, name: str = "example/app:1") -> Any:
    return client.post(
        "/v1/images/archive",
        params={"name": name},
        content=path.read_bytes(),
        headers={**bearer(token), "Content-Type": "application/x-tar"},
    )


@pytest.mark.parametrize("kind", ["docker", "oci"])
def test_uploaded_archive_is_analysed_with_layers_packages_vulns_and_secrets(
    service: tuple[httpx.Client, Settings], archives: dict[str, Path], kind: str
) -> None:
    client, settings = service
    token = add_token(settings, "analyst")
    answer = upload(client, token, archives[kind])
    assert answer.status_code == 202, answer.text
    image = answer.json()
    assert image["status"] == "queued"
    done = wait_status(client, image["id"], bearer(token))
    assert done["status"] == "analysed", done
    assert done["manifest_digest"].startswith("sha256:") or kind == "docker"
    assert [layer["created_by"] for layer in done["layers"]] == [
        "/bin/sh -c #(nop) ADD file:base in /",
        "RUN pip install requests==2.19.1",
    ]
    assert done["summary"]["high"] + done["summary"]["critical"] >= 1
    headers = bearer(token)
    packages = client.get(f"/v1/images/{image['id']}/packages", headers=headers).json()
    names = {p["name"]: p for p in packages["items"]}
    assert {"libc6", "curl", "requests"} <= set(names)
    assert names["requests"]["introduced_by"] == 1
    assert names["requests"]["introduced_by_created_by"] == "RUN pip install requests==2.19.1"
    files = client.get(
        f"/v1/images/{image['id']}/packages/{names['requests']['id']}/files", headers=headers
    ).json()
    assert any("requests-2.19.1.dist-info" in f for f in files["files"])
    vulns = client.get(f"/v1/images/{image['id']}/vulnerabilities", headers=headers).json()
    libc = [v for v in vulns["items"] if v["vuln_id"] == "CVE-2024-2961"]
    assert libc and libc[0]["package_name"] == "libc6"
    assert libc[0]["layer_created_by"] == "/bin/sh -c #(nop) ADD file:base in /"
    assert libc[0]["fix_state"] == "fixed" and libc[0]["fixed_versions"]
    secrets = client.get(
        f"/v1/images/{image['id']}/checks", params={"kind": "secret"}, headers=headers
    ).json()
    assert secrets and secrets[0]["path"] == "/app/.env"
    assert "AKIAZ3MSJV4WWNKWW5FG" not in str(secrets)
    report = client.get(f"/v1/images/{image['id']}/report", headers=headers).json()
    assert {f["id"] for f in report["findings"]} == {v["vuln_id"] for v in vulns["items"]}
    assert not list((settings.storage_dir).glob("upload-*"))


def test_second_image_on_the_same_base_reuses_the_base_layer_analysis(
    service: tuple[httpx.Client, Settings], archives: dict[str, Path]
) -> None:
    client, settings = service
    token = add_token(settings, "analyst")
    first = upload(client, token, archives["docker"]).json()
    assert wait_status(client, first["id"], bearer(token))["status"] == "analysed"
    store = services_of(client).analyser.layers
    misses = store.misses
    second = upload(client, token, archives["oci"]).json()
    assert wait_status(client, second["id"], bearer(token))["status"] == "analysed"
    assert store.misses == misses  # both layers came from the fleet's store


def test_list_filters_and_pages(
    service: tuple[httpx.Client, Settings], archives: dict[str, Path]
) -> None:
    client, settings = service
    token = add_token(settings, "analyst")
    ids = [
        upload(client, token, archives["docker"], f"team/app{n}:1").json()["id"] for n in range(3)
    ]
    for image_id in ids:
        wait_status(client, image_id, bearer(token))
    page = client.get("/v1/images", params={"limit": 2}, headers=bearer(token)).json()
    assert page["total"] == 3 and [i["id"] for i in page["items"]] == ids[::-1][:2]
    rest = client.get("/v1/images", params={"limit": 2, "offset": 2}, headers=bearer(token))
    assert [i["id"] for i in rest.json()["items"]] == ids[:1]
    hits = client.get("/v1/images", params={"reference": "app1"}, headers=bearer(token)).json()
    assert [i["reference"] for i in hits["items"]] == ["team/app1:1"]
    done = client.get("/v1/images", params={"status": "analysed"}, headers=bearer(token)).json()
    assert done["total"] == 3


def test_bad_uploads_are_refused_without_leftovers(
    service: tuple[httpx.Client, Settings], tmp_path: Path
) -> None:
    client, settings = service
    token = add_token(settings, "analyst")
    big = tmp_path / "big.tar"
    big.write_bytes(b"\0" * (settings.max_upload + 1))
    assert upload(client, token, big).status_code == 413
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar at all" * 100)
    assert upload(client, token, junk).status_code == 422
    empty = tmp_path / "empty.tar"
    empty.write_bytes(b"")
    assert upload(client, token, empty).status_code == 422
    assert not list(settings.storage_dir.glob("upload-*"))


def test_hostile_archive_ends_failed_with_a_reason(
    service: tuple[httpx.Client, Settings], tmp_path: Path
) -> None:
    import io
    import tarfile

    client, settings = service
    token = add_token(settings, "analyst")
    broken = tmp_path / "broken.tar"
    with tarfile.open(broken, "w") as tar:
        data = b"[{not json"
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    image = upload(client, token, broken).json()
    done = wait_status(client, image["id"], bearer(token))
    assert done["status"] == "failed" and done["reason"]


def test_sbom_upload_is_matched(
    service: tuple[httpx.Client, Settings], archives: dict[str, Path]
) -> None:
    from tests.clitools import run_sievert

    client, settings = service
    token = add_token(settings, "analyst")
    sbom = run_sievert("sbom", f"docker-archive:{archives['docker']}", "-f", "cyclonedx-json")
    assert sbom.returncode == 0, sbom.stderr
    answer = client.post(
        "/v1/images/sbom",
        params={"name": "example/app:sbom"},
        content=sbom.stdout.encode(),
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert answer.status_code == 202, answer.text
    done = wait_status(client, answer.json()["id"], bearer(token))
    assert done["status"] == "analysed", done
    vulns = client.get(f"/v1/images/{done['id']}/vulnerabilities", headers=bearer(token)).json()
    assert "CVE-2024-2961" in {v["vuln_id"] for v in vulns["items"]}
    bad = client.post(
        "/v1/images/sbom",
        content=b"{}",
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert bad.status_code == 422


def test_tokens_and_roles(
    service: tuple[httpx.Client, Settings], archives: dict[str, Path]
) -> None:
    client, settings = service
    reader = add_token(settings, "read-only")
    admin = add_token(settings, "admin")
    assert client.get("/v1/images").status_code == 401
    assert client.get("/v1/images", headers=bearer("svt_0123456789abcdef_nope")).status_code == 401
    assert client.get("/v1/images", headers=bearer(reader)).status_code == 200
    assert upload(client, reader, archives["docker"]).status_code == 403
    made = client.post("/v1/tokens", json={"role": "analyst"}, headers=bearer(admin))
    assert made.status_code == 201
    new = made.json()["token"]
    assert client.post("/v1/tokens", json={"role": "admin"}, headers=bearer(new)).status_code == 403
    listed = client.get("/v1/tokens", headers=bearer(admin)).json()
    assert all("token" not in t and "secret_hash" not in t for t in listed)
    assert (
        client.delete(f"/v1/tokens/{made.json()['id']}", headers=bearer(admin)).status_code == 204
    )
    assert client.get("/v1/images", headers=bearer(new)).status_code == 401


def test_registry_password_is_stored_encrypted_and_never_returned(
    service: tuple[httpx.Client, Settings],
) -> None:
    from sievert.service.database import Database
    from sievert.service.models import Registry

    client, settings = service
    admin = add_token(settings, "admin")
    body = {"host": "registry.example:5000", "username": "bot", "password": "s3cr3t-pass"}
    answer = client.put("/v1/registries", json=body, headers=bearer(admin))
    assert answer.status_code == 200 and "s3cr3t-pass" not in answer.text
    assert answer.json()["has_password"] is True
    assert "s3cr3t-pass" not in client.get("/v1/registries", headers=bearer(admin)).text
    db = Database(settings)
    with db.session() as session:
        row = session.query(Registry).one()
        assert b"s3cr3t-pass" not in row.secret
    db.dispose()
