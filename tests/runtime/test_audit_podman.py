"""`sievert runtime audit` against real podman containers started here (private storage, the
Docker-compatible API on a socket of its own): exactly the expected rule ids per container, the
image's vulnerabilities beside them, one risk each, SARIF, --fail-on and a runtime policy."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from demo.feeds import write_mirror
from jsonschema import Draft202012Validator

from tests.clitools import run_sievert
from tests.podman_fixtures import Podman, podman_service
from tests.runtime.busybox_image import write_busybox_archive

pytestmark = pytest.mark.engine

SARIF_SCHEMA = Path(__file__).parents[1] / "fixtures" / "report" / "sarif-schema-2.1.0.json"
IMAGE = "localhost/sievert/rt-busybox:v1"
SLEEP = ("sleep", "3000")
CONTAINERS = {
    "bad": ("--privileged", "--pid=host", "-v", "/etc:/host-etc", IMAGE, *SLEEP),
    "hardened": (
        "--read-only",
        "--cap-drop=ALL",
        "--security-opt",
        "no-new-privileges",
        "--memory",
        "64m",
        "--cpus",
        "0.5",
        "--pids-limit",
        "50",
        "--user",
        "1000",
        IMAGE,
        *SLEEP,
    ),
    "sshd": (
        "--cap-add",
        "SYS_ADMIN",
        "--security-opt",
        "seccomp=unconfined",
        "--restart",
        "always",
        IMAGE,
        "/usr/sbin/sshd",
    ),
}
EXPECTED = {
    "bad": {
        "SV-RT-001", "SV-RT-004", "SV-RT-007", "SV-RT-011", "SV-RT-012", "SV-RT-013",
        "SV-RT-014", "SV-RT-015",
    },
    "hardened": set(),
    "sshd": {
        "SV-RT-002", "SV-RT-009", "SV-RT-011", "SV-RT-012", "SV-RT-013", "SV-RT-014",
        "SV-RT-015", "SV-RT-017", "SV-RT-020",
    },
}  # fmt: skip


@dataclass
class World:
    """The engine, the running containers' names and a database."""

    podman: Podman
    names: dict[str, str]
    db: Path
    root: Path

    def audit(self, *args: str) -> Any:
        """Run the command against this engine; the completed process."""
        env = {"DOCKER_HOST": f"unix://{self.podman.socket}"}
        cache = str(self.root / "cache")
        return run_sievert(
            "runtime", "audit", "--db", str(self.db), "--cache-dir", cache, "-q", *args, env=env
        )

    def by_name(self, document: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """The JSON report's containers by their role in this test."""
        roles = {name: role for role, name in self.names.items()}
        return {roles[c["name"]]: c for c in document["containers"] if c["name"] in roles}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("runtime")
    with podman_service(root / "podman") as podman:
        archive = write_busybox_archive(root / "busybox.tar", IMAGE)
        podman.run("load", "-q", "-i", str(archive))
        tag = uuid.uuid4().hex[:8]
        names = {role: f"sievert-rt-{role}-{tag}" for role in CONTAINERS}
        for role, args in CONTAINERS.items():
            podman.run("run", "-d", "--name", names[role], "--network", "none", *args)
        db = root / "vuln.db"
        mirror = write_mirror(root / "mirror")
        proc = run_sievert("db", "update", "--mirror", str(mirror), "--db", str(db), "-q")
        assert proc.returncode == 0, proc.stderr
        yield World(podman, names, db, root)


def test_each_container_raises_exactly_its_rules(world: World) -> None:
    proc = world.audit("-f", "json")
    assert proc.returncode == 0, proc.stderr
    containers = world.by_name(json.loads(proc.stdout))
    assert set(containers) == set(EXPECTED)
    for role, expected in EXPECTED.items():
        assert {f["ruleId"] for f in containers[role]["findings"]} == expected, role
    bad = containers["bad"]
    assert bad["imageId"].startswith("sha256:") and bad["image"] == IMAGE


def test_containers_are_linked_to_their_image_scan(world: World) -> None:
    proc = world.audit("-f", "json")
    containers = world.by_name(json.loads(proc.stdout))
    for role in EXPECTED:
        scan = containers[role]["imageScan"]
        assert scan["distro"] == "debian 12" and scan["packages"] >= 2  # dpkg + binaries
        libc = next(p for p in scan["vulnerablePackages"] if p["name"] == "libc6")
        assert "CVE-2024-2961" in {v["id"] for v in libc["vulnerabilities"]}
    # privileged with the host's PID namespace and a high vulnerability: critical
    assert containers["bad"]["risk"]["severity"] == "critical"
    assert "SV-RT-001" in containers["bad"]["risk"]["reason"]
    # nothing wrong in how it runs: the image's worst vulnerability decides
    assert containers["hardened"]["risk"] == {"severity": "high", "reason": "image: CVE-2024-2961"}


def test_skip_image_scan_and_table(world: World) -> None:
    proc = world.audit("--skip-image-scan", "-f", "json")
    containers = world.by_name(json.loads(proc.stdout))
    assert containers["hardened"]["risk"]["severity"] == "none"
    assert containers["hardened"]["imageScan"] is None
    assert containers["bad"]["risk"]["severity"] == "critical"
    table = world.audit()
    assert table.returncode == 0, table.stderr
    assert f"{world.names['bad']} ({IMAGE}" in table.stdout
    assert "SV-RT-001" in table.stdout and "libc6 2.36-9+deb12u4: CVE-2024-2961" in table.stdout


def test_sarif_is_valid_and_locates_findings_at_containers(world: World) -> None:
    proc = world.audit("-f", "sarif", "--skip-image-scan")
    document = json.loads(proc.stdout)
    schema = json.loads(SARIF_SCHEMA.read_text())
    assert not list(Draft202012Validator(schema).iter_errors(document))
    results = document["runs"][0]["results"]
    bad = world.names["bad"]
    ids = {r["ruleId"] for r in results if r["properties"]["container"] == bad}
    assert ids == EXPECTED["bad"]
    rules = {r["id"]: r for r in document["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["SV-RT-001"]["properties"]["cis-docker-benchmark"] == "5.5"


def test_fail_on_and_severity(world: World) -> None:
    proc = world.audit("--skip-image-scan", "--fail-on", "critical", "-f", "json")
    assert proc.returncode == 1
    assert world.names["bad"] in proc.stderr and world.names["sshd"] not in proc.stderr
    only = world.audit("--skip-image-scan", "--severity", "critical,high", "-f", "json")
    containers = world.by_name(json.loads(only.stdout))
    assert {f["ruleId"] for f in containers["sshd"]["findings"]} == {"SV-RT-002", "SV-RT-009"}


def test_policy_with_runtime_predicates(world: World, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "version: 1\n"
        "default: runtime\n"
        "policies:\n"
        "  - id: runtime\n"
        "    rules:\n"
        "      - id: no-host-pid\n"
        "        action: stop\n"
        "        when: {host_namespace: [pid, network]}\n"
        "      - id: no-sys-admin\n"
        "        action: stop\n"
        "        when: {capability_added: ['SYS_*']}\n"
        "      - id: high-runtime\n"
        "        action: warn\n"
        "        when: {runtime_severity: high}\n"
        "      - id: image-high\n"
        "        action: warn\n"
        "        when: {severity: high}\n"
    )
    proc = world.audit("--policy", str(policy), "-f", "json")
    assert proc.returncode == 1, proc.stderr
    containers = world.by_name(json.loads(proc.stdout))
    verdicts = {
        role: (c["verdict"]["action"], sorted(t["rule"] for t in c["verdict"]["triggered"]))
        for role, c in containers.items()
    }
    assert verdicts == {
        "bad": ("stop", ["high-runtime", "image-high", "no-host-pid"]),
        "sshd": ("stop", ["high-runtime", "image-high", "no-sys-admin"]),
        "hardened": ("warn", ["image-high"]),
    }


def test_no_engine_is_one_clear_line(tmp_path: Path) -> None:
    env = {"DOCKER_HOST": f"unix://{tmp_path}/absent.sock"}
    proc = run_sievert("runtime", "audit", "--skip-image-scan", env=env)
    assert proc.returncode == 3
    assert proc.stderr.strip().startswith("sievert: error:") and "absent.sock" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
