"""`sievert scan` end to end on a feed mirror written in the upstream formats (demo/feeds.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from demo.feeds import write_mirror

from tests.clitools import run_sievert as run
from tests.imagebuilder import F, Image, write_oci_layout

STATUS = "".join(
    f"Package: {name}\nStatus: install ok installed\nArchitecture: amd64\n"
    f"Source: {source}\nVersion: {version}\n\n"
    for name, source, version in (
        ("libc6", "glibc", "2.36-9+deb12u4"),
        ("libpam0g", "pam", "1.5.2-6+deb12u3"),
        ("curl", "curl", "7.88.1-10+deb12u4"),
    )
)
IMAGE = Image(
    [
        [
            F("etc/os-release", 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'),
            F("var/lib/dpkg/status", STATUS),
        ],
        [F("app/lib/requests-2.19.1.dist-info/METADATA", "Name: requests\nVersion: 2.19.1\n")],
    ]
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    root = tmp_path_factory.mktemp("scan")
    mirror = write_mirror(root / "mirror")
    db = str(root / "vuln.db")
    proc = run("db", "update", "--mirror", str(mirror), "--db", db, "-q")
    assert proc.returncode == 0, proc.stderr
    layout = write_oci_layout(root / "layout", {"app": IMAGE})
    return f"oci-dir:{layout}:app", db


def scan_json(target: str, db: str, *extra: str) -> dict[str, object]:
    proc = run("scan", target, "--db", db, "--no-cache", "-q", "-f", "json", *extra)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def ids(doc: dict[str, object]) -> set[tuple[str, str]]:
    return {(f["vulnerability"]["id"], f["package"]["name"]) for f in doc["findings"]}  # type: ignore[attr-defined,index]


def test_findings_respect_fixed_versions_and_states(world: tuple[str, str]) -> None:
    target, db = world
    found = ids(scan_json(target, db))
    assert ("CVE-2024-2961", "libc6") in found  # fixed in +deb12u6, installed +deb12u4
    assert ("CVE-2023-4911", "libc6") not in found  # fixed in +deb12u3, below what is installed
    assert ("CVE-2024-22365", "libpam0g") not in found  # installed exactly at the fix
    assert ("CVE-2024-10041", "libpam0g") in found  # no-dsa: open, no fix
    assert ("CVE-2023-38545", "curl") not in found  # fixed at the installed version
    assert ("CVE-2018-18074", "requests") in found  # PYSEC record, reported under its CVE


def test_json_findings_carry_evidence_layer_and_exploitation(world: tuple[str, str]) -> None:
    target, db = world
    doc = scan_json(target, db)
    finding = next(f for f in doc["findings"] if f["vulnerability"]["id"] == "CVE-2024-2961")  # type: ignore[attr-defined,index]
    assert finding["evidence"]["source"] == "debian-tracker"
    assert finding["evidence"]["matchedBy"] == "source-package"
    assert finding["fixedVersions"] == ["2.36-9+deb12u6"]
    assert finding["vulnerability"]["epss"]["score"] == pytest.approx(0.89)
    requests = next(f for f in doc["findings"] if f["package"]["name"] == "requests")  # type: ignore[attr-defined,index]
    assert requests["package"]["introducedBy"]["index"] == 1


def test_filters_and_fail_on(world: tuple[str, str]) -> None:
    target, db = world
    fixed_only = scan_json(target, db, "--ignore-unfixed")
    assert all(f["fixState"] == "fixed" for f in fixed_only["findings"])  # type: ignore[attr-defined,index]
    assert run("scan", target, "--db", db, "--no-cache", "-q", "--fail-on", "high").returncode == 1
    assert (
        run("scan", target, "--db", db, "--no-cache", "-q", "--fail-on", "critical").returncode == 0
    )
    assert run("scan", target, "--db", db, "--no-cache", "-q", "--fail-on", "worse").returncode == 2


def test_scan_of_an_sbom_matches_the_image_scan(world: tuple[str, str], tmp_path: Path) -> None:
    target, db = world
    sbom = tmp_path / "bom.json"
    assert (
        run("sbom", target, "--no-cache", "-q", "-f", "cyclonedx-json", "-o", str(sbom)).returncode
        == 0
    )
    from_sbom = run("scan", "--sbom", str(sbom), "--db", db, "-f", "json")
    assert from_sbom.returncode == 0, from_sbom.stderr
    assert ids(json.loads(from_sbom.stdout)) == ids(scan_json(target, db))


def test_missing_database_is_a_clear_error(world: tuple[str, str], tmp_path: Path) -> None:
    target, _ = world
    proc = run("scan", target, "--db", str(tmp_path / "none.db"), "--no-cache", "-q")
    assert proc.returncode == 3
    assert "sievert db update" in proc.stderr and "none.db" in proc.stderr


def test_vuln_commands(world: tuple[str, str]) -> None:
    _, db = world
    show = run("vuln", "show", "CVE-2023-4911", "--db", db)
    assert (
        show.returncode == 0 and "Attack vector: Local" in show.stdout and "CISA KEV" in show.stdout
    )
    search = run(
        "vuln", "search", "pam", "1.5.2-6+deb12u1", "--distro", "debian:bookworm", "--db", db
    )
    assert "CVE-2024-22365" in search.stdout and "CVE-2024-10041" in search.stdout
    fixed = run(
        "vuln", "search", "pam", "1.5.2-6+deb12u3", "--distro", "debian:bookworm", "--db", db
    )
    assert "CVE-2024-22365" not in fixed.stdout
    assert (
        run("vuln", "compare-versions", "deb", "1.0~rc1", "1.0").stdout.strip() == "1.0~rc1 < 1.0"
    )
    assert run("vuln", "show", "CVE-1999-0001", "--db", db).returncode == 3


DOCKERFILE = """FROM debian:bookworm
RUN apt-get update && apt-get install -y curl
COPY lib /app/lib
"""


def test_dockerfile_maps_layers_to_instructions_and_runs_its_rules(
    world: tuple[str, str], tmp_path: Path
) -> None:
    _, db = world
    history = [
        "ADD rootfs.tar / # debian:bookworm",
        "RUN /bin/sh -c apt-get update && apt-get install -y curl",
        "COPY lib /app/lib # buildkit",
    ]
    image = Image([IMAGE.layers[0], [F("var/cache/x", "1")], IMAGE.layers[1]], history=history)
    layout = write_oci_layout(tmp_path / "layout", {"app": image})
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(DOCKERFILE)
    target = f"oci-dir:{layout}:app"
    doc = scan_json(target, db, "--dockerfile", str(dockerfile))
    requests = next(f for f in doc["findings"] if f["package"]["name"] == "requests")  # type: ignore[attr-defined,index]
    source = requests["package"]["introducedBy"]["dockerfile"]
    assert (source["path"], source["startLine"]) == (str(dockerfile), 3)
    assert source["instruction"] == "COPY lib /app/lib"
    rules = {f["ruleId"] for f in doc["configFindings"]}  # type: ignore[attr-defined,index]
    assert "SV-DF-001" in rules or any(r.startswith("SV-DF-") for r in rules)
    sarif = json.loads(
        run(
            "scan",
            target,
            "--db",
            db,
            "--no-cache",
            "-q",
            "-f",
            "sarif",
            "--dockerfile",
            str(dockerfile),
        ).stdout
    )
    located = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "CVE-2018-18074"]
    region = located[0]["locations"][0]["physicalLocation"]
    assert region["artifactLocation"]["uri"].endswith("Dockerfile")
    assert region["region"]["startLine"] == 3
    table = run("scan", target, "--db", db, "--no-cache", "-q", "--dockerfile", str(dockerfile))
    assert "Dockerfile:3" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--fail-on", "worse"), "--fail-on: unknown severity 'worse'"),
        (("--severity", "high,severe"), "--severity: unknown severity 'severe'"),
        (("--show-suppressed", "-f", "sarif"), "-f sarif has no place for suppressed findings"),
        (("-f", "template"), "-f template needs --template"),
    ],
)
def test_arguments_are_checked_before_any_work(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    out = tmp_path / "out.json"
    missing_db = tmp_path / "none.db"
    proc = run("scan", "oci-dir:/nowhere:app", "--db", str(missing_db), "-o", str(out), *args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []
