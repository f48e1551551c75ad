"""Policies (upload, versions, attach, evaluate), certifications and the Vulners-like queries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sievert.service.app import create_app
from tests.service.helpers import LiveServer, add_token, bearer, settings_for, wait_status

GATE = """version: 1
policies:
  - id: gate
    description: Stop on high or critical vulnerabilities with a fix
    rules:
      - id: fixable-high
        action: stop
        description: High or critical vulnerabilities that have a fix
        when: {severity: high, fix_available: true}
default: gate
"""
LENIENT = """version: 1
policies:
  - id: lenient
    rules:
      - id: exploited
        action: stop
        when: {kev: true}
default: lenient
"""


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, vuln_db: Path, archives: dict[str, Path]
) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("policies")
    settings = settings_for(root, vuln_db)
    admin, analyst, reader = (add_token(settings, r) for r in ("admin", "analyst", "read-only"))
    with LiveServer(create_app(settings)) as client:
        put = client.put("/v1/policies/gate", content=GATE.encode(), headers=bearer(admin))
        assert put.status_code == 200, put.text
        attach = client.post(
            "/v1/policy-attachments",
            json={"pattern": "team/*", "policy": "gate"},
            headers=bearer(admin),
        )
        assert attach.status_code == 201, attach.text
        answer = client.post(
            "/v1/images/archive",
            params={"name": "team/app:1"},
            content=archives["docker"].read_bytes(),
            headers={**bearer(analyst), "Content-Type": "application/x-tar"},
        )
        image = wait_status(client, answer.json()["id"], bearer(analyst))
        assert image["status"] == "analysed", image
        yield {
            "client": client,
            "admin": admin,
            "analyst": analyst,
            "reader": reader,
            "image": image,
        }


def test_policy_versions_are_content_addressed(world: dict[str, Any]) -> None:
    client: httpx.Client = world["client"]
    admin = bearer(world["admin"])
    same = client.put("/v1/policies/gate", content=GATE.encode(), headers=admin).json()
    assert same["version"] == 1
    changed = GATE.replace("action: stop", "action: warn")
    second = client.put("/v1/policies/gate", content=changed.encode(), headers=admin).json()
    assert second["version"] == 2 and second["digest"] != same["digest"]
    text = client.get("/v1/policies/gate/versions/1", headers=admin).json()["text"]
    assert text == GATE
    client.put("/v1/policies/gate", content=GATE.encode(), headers=admin)  # v3: back to stop
    bad = client.put("/v1/policies/gate", content=b"version: 1\npolicies: 7\n", headers=admin)
    assert bad.status_code == 422
    as_analyst = bearer(world["analyst"])
    by_analyst = client.put("/v1/policies/x", content=GATE.encode(), headers=as_analyst)
    assert by_analyst.status_code == 200  # analysts upload policies, as in the UI
    as_reader = bearer(world["reader"])
    by_reader = client.put("/v1/policies/x", content=GATE.encode(), headers=as_reader)
    assert by_reader.status_code == 403


def test_analysis_is_certified_and_approval_follows_the_latest(world: dict[str, Any]) -> None:
    client: httpx.Client = world["client"]
    image_id = world["image"]["id"]
    certs = client.get(f"/v1/images/{image_id}/certifications", headers=bearer(world["reader"]))
    first = certs.json()[-1]  # made right after the analysis
    assert first["verdict"] == "stop" and first["policy_name"] == "gate"
    assert first["policy_version"] == 1 and first["policy_digest"].startswith("sha256:")
    assert first["db_built"] and first["image_digest"]
    assert first["reasons"][0]["rule_id"] == "fixable-high"
    assert any("CVE-2024-2961" in f for f in first["reasons"][0]["findings"])
    assert (
        client.get(f"/v1/images/{image_id}", headers=bearer(world["reader"])).json()["approved"]
        is False
    )
    admin = bearer(world["admin"])
    client.put("/v1/policies/lenient", content=LENIENT.encode(), headers=admin)
    evaluated = client.post(
        f"/v1/images/{image_id}/evaluate",
        params={"policy": "lenient"},
        headers=bearer(world["analyst"]),
    )
    assert evaluated.status_code == 201, evaluated.text
    assert evaluated.json()["verdict"] == "go"
    assert (
        client.get(f"/v1/images/{image_id}", headers=bearer(world["reader"])).json()["approved"]
        is True
    )
    again = client.post(f"/v1/images/{image_id}/evaluate", headers=bearer(world["analyst"])).json()
    assert again["policy_name"] == "gate" and again["verdict"] == "stop"
    assert (
        client.get(f"/v1/images/{image_id}", headers=bearer(world["reader"])).json()["approved"]
        is False
    )
    refused = client.post(f"/v1/images/{image_id}/evaluate", headers=bearer(world["reader"]))
    assert refused.status_code == 403


def test_vulnerability_by_id(world: dict[str, Any]) -> None:
    client: httpx.Client = world["client"]
    doc = client.get("/v1/vulnerabilities/CVE-2024-2961", headers=bearer(world["reader"])).json()
    assert doc["id"] == "CVE-2024-2961"
    assert doc["cvss"] and doc["cvss"][0]["explained"]
    assert any(a["package"] == "glibc" for a in doc["affected"])
    assert set(doc["exploitation"]) == {"kev", "epss", "exploits"}
    assert doc["stored_images"] == 1
    missing = client.get("/v1/vulnerabilities/CVE-1999-99999", headers=bearer(world["reader"]))
    assert missing.status_code == 404


def test_vulnerabilities_of_a_package_version(world: dict[str, Any]) -> None:
    client: httpx.Client = world["client"]
    found = client.get(
        "/v1/vulnerabilities",
        params={"package": "requests", "version": "2.19.1", "ecosystem": "PyPI"},
        headers=bearer(world["reader"]),
    ).json()
    assert found and all(s["package"] == "requests" for s in found)
    fixed = client.get(
        "/v1/vulnerabilities",
        params={"package": "requests", "version": "99.0", "ecosystem": "PyPI"},
        headers=bearer(world["reader"]),
    ).json()
    assert len(fixed) < len(found)


def test_images_with_a_package_or_affected_by_a_vulnerability(world: dict[str, Any]) -> None:
    client: httpx.Client = world["client"]
    reader = bearer(world["reader"])
    image_id = world["image"]["id"]
    with_pkg = client.get("/v1/packages/images", params={"name": "libc6"}, headers=reader).json()
    assert [i["id"] for i in with_pkg["items"]] == [image_id]
    none = client.get(
        "/v1/packages/images", params={"name": "libc6", "version": "0"}, headers=reader
    ).json()
    assert none["total"] == 0
    affected = client.get("/v1/vulnerabilities/CVE-2024-2961/images", headers=reader).json()
    assert [i["id"] for i in affected["items"]] == [image_id]
