"""Golden files of the runtime audit and host scan formats, byte for byte: an audit of a Docker
container run badly and a hardened one, both running the small scan result's image, and a host
whose running kernel is older than its newest.

Regenerate with `SIEVERT_UPDATE_GOLDEN=1 pytest tests/report/test_runtime_golden.py` and review.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from sievert.model.host import HostReport, HostScan, KernelFinding
from sievert.model.runtime import RuntimeAudit
from sievert.report.host.native import HostJsonWriter
from sievert.report.host.table import HostTableWriter
from sievert.report.runtime.native import RuntimeJsonWriter
from sievert.report.runtime.sarif import RuntimeSarifWriter
from sievert.report.runtime.table import RuntimeTableWriter
from sievert.runtime.audit import audit_containers
from sievert.runtime.inspect import parse_container
from sievert.runtime.rules import RUNTIME_RULES
from tests.report.scan_results import small_scan
from tests.report.test_golden import GOLDEN, UPDATE
from tests.runtime.test_rules import base, merged

BAD = {
    "Name": "/jenkins",
    "Id": "b" * 64,
    "HostConfig": {
        "Privileged": True,
        "PidMode": "host",
        "ReadonlyRootfs": False,
        "SecurityOpt": None,
        "Memory": 0,
        "PortBindings": {"22/tcp": [{"HostIp": "0.0.0.0", "HostPort": "22"}]},
    },
    "Mounts": [
        {
            "Type": "bind",
            "Source": "/var/run/docker.sock",
            "Destination": "/var/run/docker.sock",
            "RW": True,
        },
    ],
    "Config": {"User": "", "Image": "jenkins/jenkins:2.440"},
}


def audit() -> RuntimeAudit:
    """The audit both runtime formats write."""
    containers = [parse_container(merged(base("docker"), BAD)), parse_container(base("docker"))]
    done = audit_containers(containers, "unix:///var/run/docker.sock", lambda _image: small_scan())
    rules = tuple(entry.rule for entry in RUNTIME_RULES)
    return RuntimeAudit(done.engine, done.containers, done.image_scan, rules)


def hosts() -> HostScan:
    """A scanned host needing a reboot and one that could not be reached."""
    scanned = HostReport(
        name="web1",
        target="ssh://deploy@10.0.0.5:22",
        result=small_scan(),
        kernel_release="6.1.0-17-amd64",
        running_kernel_packages=("linux-image-6.1.0-17-amd64 6.1.69-1",),
        newest_kernel="6.1.0-18-amd64",
        reboot_required=(
            "newest installed kernel 6.1.0-18-amd64 is not the running kernel 6.1.0-17-amd64",
        ),
        kernel_findings=(
            KernelFinding(
                "CVE-2023-0002",
                "bash",
                "5.2.15-2+b2",
                "high",
                True,
                ("cwe:CWE-269", "cvss:nvd:3.1:AV:L/S:C"),
                "data",
            ),
        ),
    )
    down = HostReport(
        "db1", "ssh://admin@10.0.0.7:22", error="ssh://admin@10.0.0.7:22: cannot connect: timed out"
    )
    return HostScan((scanned, down))


def _render(
    write: Callable[[Any, io.StringIO], None], subject: Callable[[], Any]
) -> Callable[[], str]:
    def render() -> str:
        out = io.StringIO()
        write(subject(), out)
        return out.getvalue()

    return render


def _version() -> str:
    return "0.0.0-test"


def _uri() -> str:
    return "https://sievert.example/"


RENDERERS: dict[str, Callable[[], str]] = {
    "runtime.table.txt": _render(RuntimeTableWriter(width=160).write, audit),
    "runtime.sievert.json": _render(RuntimeJsonWriter(version=_version).write, audit),
    "runtime.sarif.json": _render(
        RuntimeSarifWriter(version=_version, information_uri=_uri).write, audit
    ),
    "host.table.txt": _render(HostTableWriter(width=160).write, hosts),
    "host.sievert.json": _render(HostJsonWriter(version=_version).write, hosts),
}


@pytest.mark.parametrize("filename", sorted(RENDERERS))
def test_matches_golden(filename: str) -> None:
    actual = RENDERERS[filename]()
    path = GOLDEN / filename
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with SIEVERT_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8")
    assert actual == RENDERERS[filename]()  # deterministic


def test_runtime_sarif_is_valid() -> None:
    schema = json.loads(
        (Path(__file__).parents[1] / "fixtures" / "report" / "sarif-schema-2.1.0.json").read_text()
    )
    document = json.loads(RENDERERS["runtime.sarif.json"]())
    assert not list(Draft202012Validator(schema).iter_errors(document))
