"""`sievert scan --server URL TARGET` against a real `sievert server` process: the image is walked
here, only the layer analyses the server lacks are uploaded, then the image's description; the
result is the one a local scan gives with the same DB, and the image is stored and certified."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.clitools import run_sievert
from tests.imagebuilder import F, Image, write_docker_archive
from tests.service.helpers import APP_IMAGE, BASE_LAYER, ServerProcess, bearer

GATE = """version: 1
policies:
  - id: gate
    rules:
      - id: fixable-high
        action: stop
        when: {severity: high, fix_available: true}
default: gate
"""
OTHER_IMAGE = Image(
    [
        BASE_LAYER,
        [F("srv/lib/urllib3-1.24.1.dist-info/METADATA", "Name: urllib3\nVersion: 1.24.1\n")],
        [F("srv/config.yaml", "password: hunter2\n")],
    ],
    history=["/bin/sh -c #(nop) ADD file:base in /", "RUN pip install urllib3", "COPY . /srv"],
)
"""The app image's Debian base plus two layers of its own."""
SCANNERS = "vuln,config,secret"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, vuln_db: Path) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("remote")
    with ServerProcess(root, vuln_db) as server:
        admin, first, second, reader = (
            server.token(r) for r in ("admin", "analyst", "analyst", "read-only")
        )
        with httpx.Client(base_url=server.url, timeout=30) as client:
            client.put("/v1/policies/gate", content=GATE.encode(), headers=bearer(admin))
            attached = client.post(
                "/v1/policy-attachments",
                json={"pattern": "team/*", "policy": "gate"},
                headers=bearer(admin),
            )
            assert attached.status_code == 201, attached.text
            yield {
                "server": server,
                "client": client,
                "first": first,
                "second": second,
                "reader": reader,
                "app": write_docker_archive(root / "app.tar", APP_IMAGE, tag="team/app:1"),
                "other": write_docker_archive(root / "other.tar", OTHER_IMAGE, tag="team/o:1"),
            }
    log = (root / "server.log").read_text()
    assert "Traceback" not in log, log


def remote(
    world: dict[str, Any], image: str, token: str, *extra: str
) -> tuple[dict[str, Any], str]:
    proc = run_sievert(
        "scan",
        f"docker-archive:{world[image]}",
        "--server",
        world["server"].url,
        "--scanners",
        SCANNERS,
        "-f",
        "json",
        "--no-cache",
        *extra,
        env={"SIEVERT_SERVER_TOKEN": token},
    )
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout), proc.stderr


def local(world: dict[str, Any], image: str, vuln_db: Path) -> dict[str, Any]:
    proc = run_sievert(
        "scan",
        f"docker-archive:{world[image]}",
        "--db",
        str(vuln_db),
        "--scanners",
        SCANNERS,
        "-f",
        "json",
        "--no-cache",
        "-q",
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def stats(world: dict[str, Any]) -> dict[str, int]:
    answer = world["client"].get("/v1/layers/stats", headers=bearer(world["reader"]))
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def facts(doc: dict[str, Any]) -> dict[str, set[tuple[str, ...]]]:
    """What must be equal between a remote and a local scan."""
    return {
        "findings": {
            (f["id"], f["package"]["name"], f["package"]["version"]) for f in doc["findings"]
        },
        "packages": {
            (p["name"], p["version"], p["type"], p["layer"]["index"]) for p in doc["packages"]
        },
        "config": {(c["ruleId"], c["message"], c["layerIndex"]) for c in doc["configFindings"]},
        "secrets": {(s["ruleId"], s["path"], s["layerIndex"]) for s in doc["secretFindings"]},
    }


def test_only_missing_layers_travel_and_results_equal_a_local_scan(
    world: dict[str, Any], vuln_db: Path
) -> None:
    before = stats(world)
    first, said = remote(world, "app", world["first"], "--image-ref", "team/app:1")
    assert "sent 2 of 2 layer analyses" in said
    after_first = stats(world)
    assert after_first["uploaded"] - before["uploaded"] == 2
    assert after_first["uploads_stored"] - before["uploads_stored"] == 2
    assert facts(first) == facts(local(world, "app", vuln_db))
    assert ("CVE-2024-2961", "libc6", "2.36-9+deb12u4") in facts(first)["findings"]
    assert facts(first)["secrets"]  # the planted AWS key, found by the server

    second, said = remote(world, "other", world["first"], "--image-ref", "team/o:1")
    assert "sent 2 of 3 layer analyses" in said  # the shared Debian base is not sent again
    after_second = stats(world)
    assert after_second["uploads_stored"] - after_first["uploads_stored"] == 2
    assert after_second["uploaded"] - after_first["uploaded"] == 2
    assert facts(second) == facts(local(world, "other", vuln_db))

    again, said = remote(world, "other", world["first"])
    assert "sent 0 of 3 layer analyses" in said
    assert facts(again) == facts(second)


def test_described_images_are_stored_and_certified_like_any_image(world: dict[str, Any]) -> None:
    remote(world, "app", world["first"], "--image-ref", "team/app:2")
    client, reader = world["client"], bearer(world["reader"])
    listed = client.get(
        "/v1/images", params={"source": "client", "reference": "team/app:2"}, headers=reader
    ).json()
    assert listed["total"] == 1
    image = listed["items"][0]
    assert image["status"] == "analysed" and image["package_count"] >= 4
    assert image["approved"] is False  # the gate stops on fixable high findings
    certs = client.get(f"/v1/images/{image['id']}/certifications", headers=reader).json()
    assert certs and certs[0]["verdict"] == "stop" and certs[0]["policy_name"] == "gate"
    layers = client.get(f"/v1/images/{image['id']}", headers=reader).json()["layers"]
    assert [layer["created_by"] for layer in layers][1] == "RUN pip install requests==2.19.1"
    vulns = client.get(f"/v1/images/{image['id']}/vulnerabilities", headers=reader).json()
    assert any(v["vuln_id"] == "CVE-2024-2961" for v in vulns["items"])


def test_uploads_are_kept_per_uploader_and_cannot_poison_others(
    world: dict[str, Any], vuln_db: Path
) -> None:
    client, server = world["client"], world["server"]
    remote(world, "app", world["first"])
    missing = _missing(world, world["second"])
    assert len(missing) == 2  # another uploader's analyses are not offered to this one
    forged = _forged_base(missing[0])
    answer = client.put(
        f"/v1/layers/{missing[0]}",
        params=_spec(world),
        content=forged,
        headers=bearer(world["second"]),
    )
    assert answer.status_code == 201, answer.text
    victim, _ = remote(world, "app", world["first"])  # the first uploader: its own analyses
    assert ("CVE-2024-2961", "libc6", "2.36-9+deb12u4") in facts(victim)["findings"]
    assert facts(victim) == facts(local(world, "app", vuln_db))
    forger, said = remote(world, "app", world["second"])
    assert "sent 1 of 2 layer analyses" in said
    assert ("CVE-2024-2961", "libc6", "2.36-9+deb12u4") not in facts(forger)["findings"]
    assert server.url  # only the forger's own described images see its forgery


def test_layers_the_server_walked_are_shared_with_every_client(world: dict[str, Any]) -> None:
    client = world["client"]
    answer = client.post(
        "/v1/images/archive",
        params={"name": "team/walked:1"},
        content=world["other"].read_bytes(),
        headers={**bearer(world["second"]), "Content-Type": "application/x-tar"},
    )
    assert answer.status_code == 202
    _wait(client, answer.json()["id"], world["reader"])
    _, said = remote(world, "other", world["second"])
    assert "sent 0 of 3 layer analyses" in said


def test_sbom_route_still_works(world: dict[str, Any], tmp_path: Path) -> None:
    sbom = tmp_path / "app.cdx.json"
    made = run_sievert(
        "sbom", f"docker-archive:{world['app']}", "-f", "cyclonedx-json", "-o", str(sbom), "-q"
    )
    assert made.returncode == 0, made.stderr
    proc = run_sievert(
        "scan",
        "--sbom",
        str(sbom),
        "--server",
        world["server"].url,
        "-f",
        "json",
        "-q",
        env={"SIEVERT_SERVER_TOKEN": world["first"]},
    )
    assert proc.returncode == 0, proc.stderr
    found = {(f["id"], f["package"]["name"]) for f in json.loads(proc.stdout)["findings"]}
    assert ("CVE-2024-2961", "libc6") in found


def test_remote_scan_errors_are_one_line(world: dict[str, Any], tmp_path: Path) -> None:
    target = f"docker-archive:{world['app']}"
    url = world["server"].url
    refused = run_sievert(
        "scan", target, "--server", url, "--no-cache", "-q",
        env={"SIEVERT_SERVER_TOKEN": "svt_0123456789abcdef_wrong"},
    )  # fmt: skip
    assert refused.returncode == 3 and "refused" in refused.stderr
    read_only = run_sievert(
        "scan", target, "--server", url, "--no-cache", "-q",
        env={"SIEVERT_SERVER_TOKEN": world["reader"]},
    )  # fmt: skip
    assert read_only.returncode == 3 and "refused (403)" in read_only.stderr
    (tmp_path / "root" / "etc").mkdir(parents=True)
    directory = run_sievert(
        "scan", f"dir:{tmp_path / 'root'}", "--server", url, "--no-cache", "-q",
        env={"SIEVERT_SERVER_TOKEN": world["first"]},
    )  # fmt: skip
    assert directory.returncode == 2 and "--sbom" in directory.stderr
    advice = run_sievert("scan", target, "--server", url, "--base-advice", "--no-cache")
    assert advice.returncode == 2
    for proc in (refused, read_only, directory, advice):
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def _spec(world: dict[str, Any]) -> dict[str, str]:
    from sievert.pipeline.remote import server_spec

    return {"version": server_spec("docker-archive").version, "source_kind": "docker-archive"}


def _missing(world: dict[str, Any], token: str) -> list[str]:
    from tests.imagebuilder import layer_tar, sha256

    diff_ids = [sha256(layer_tar(layer)) for layer in APP_IMAGE.layers]
    answer = world["client"].post(
        "/v1/layers/missing",
        json={**_spec(world), "diff_ids": diff_ids},
        headers=bearer(token),
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["missing"]  # type: ignore[no-any-return]


def _forged_base(diff_id: str) -> bytes:
    from sievert.source.layerindex import Entry, LayerIndex

    status = b"Package: libc6\nStatus: install ok installed\nVersion: 9.99-1\n\n"
    return LayerIndex(
        diff_id,
        (Entry("etc/os-release", "file", 10), Entry("var/lib/dpkg/status", "file", len(status))),
        {"etc/os-release": b'ID=debian\nVERSION_ID="12"\n', "var/lib/dpkg/status": status},
    ).to_bytes()


def _wait(client: httpx.Client, image_id: int, token: str) -> None:
    from tests.service.helpers import wait_status

    assert wait_status(client, image_id, bearer(token))["status"] == "analysed"
