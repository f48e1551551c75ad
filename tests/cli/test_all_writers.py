"""Every writer of every command on every image: exit code, schema validity, never a traceback.

Targets are the three real images of ../shared (as oci-dir: and as docker-archive:, skipped
only where ../shared is absent) and every synthetic image the tests build, plus one image of
messy real-world metadata. Each image is scanned once per format, in-process.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from demo.feeds import write_mirror
from demo.run_demo import layer_members

import sievert.cli.config_commands
import sievert.cli.db_commands
import sievert.cli.image_commands
import sievert.cli.policy_commands
import sievert.cli.scan_commands
import sievert.cli.vuln_commands  # noqa: F401 - the commands attach themselves to `cli`
from sievert.cli.main import cli
from sievert.errors import EXIT_OK, EXIT_POLICY
from sievert.report.plugins import config_writer_names, scan_writer_names, writer_names
from tests import test_pipeline as pipeline_tests
from tests.checks.dockerfile.labelled import write_corpus
from tests.checks.image import test_layers as layer_check_tests
from tests.cli import test_hostile_images as hostile_tests
from tests.cli import test_image_commands as image_command_tests
from tests.cli import test_scan as scan_tests
from tests.cli import test_scan_secrets as secret_tests
from tests.conftest import REPO_ROOT, SHARED_IMAGES
from tests.imagebuilder import F, Image, write_oci_layout
from tests.schemas import cyclonedx_errors, gitlab_errors, junit_errors, sarif_errors, spdx_errors
from tests.source import test_detect as detect_tests
from tests.source import test_engine_archive as engine_archive_tests
from tests.source import test_formats as format_tests
from tests.source import test_registry as registry_tests
from tests.test_base_advice import app_image

REAL_TAGS = ("bookworm", "bookworm-apps", "alpine-3.23")
SBOM_FORMATS = tuple(writer_names())
SCAN_FORMATS = tuple(scan_writer_names())
CONFIG_FORMATS = tuple(config_writer_names())
TEMPLATE = REPO_ROOT / "contrib" / "templates" / "csv.j2"
POLICY = REPO_ROOT / "demo" / "policy.yaml"


def messy_image() -> Image:
    """Licence and version text as real packages ship it, the kind that broke writers before."""
    status = "".join(
        f"Package: {name}\nStatus: install ok installed\nArchitecture: amd64\n"
        f"Version: {version}\n\n"
        for name, version in (
            ("libfoo1", "1.2-3"),
            ("libbar2", "2:1.0~rc1+dfsg-1"),
            ("weird", "not a version!"),
            ("ünïcode", "1.0-1"),
        )
    )
    copyright_texts = {
        "libfoo1": "Files: *\nLicense: and/or GPL-3+\n\nFiles: b\nLicense: (MIT\n",
        "libbar2": "Files: *\nLicense: GPL-2+ with OpenSSL exception\nLicense: Apache-2.0 WITH\n",
        "weird": "License: LicenseRef-odd/with:slashes\nLicense: MIT OR OR BSD\n",
    }
    apk = "P:musl\nV:1.2.5-r0\nA:x86_64\nL:MIT and/or (BSD\no:musl\n\nP:odd\nV:??\nL:\n\n"
    return Image(
        [
            [
                F("etc/os-release", 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'),
                F("var/lib/dpkg/status", status),
                *(F(f"usr/share/doc/{n}/copyright", t) for n, t in copyright_texts.items()),
                F("lib/apk/db/installed", apk),
            ],
            [
                F(
                    "app/node_modules/left/package.json",
                    json.dumps({"name": "left", "version": "1.0.0", "license": "and/or GPL-3+"}),
                ),
                F(
                    "app/node_modules/obj/package.json",
                    json.dumps(
                        {"name": "obj", "version": "x.y", "license": {"type": "(MIT", "url": 1}}
                    ),
                ),
                F(
                    "app/lib/odd-1.0.dist-info/METADATA",
                    "Name: odd\nVersion: 1.0.dev-1+local!\nLicense: BSD-3-Clause and/or\n"
                    "License-Expression: MIT AND (\n",
                ),
            ],
        ]
    )


def demo_image() -> Image:
    """The image `make demo` scans (demo/image)."""
    spec = json.loads((REPO_ROOT / "demo" / "image" / "image.json").read_text())
    return Image(
        layers=[
            layer_members(REPO_ROOT / "demo" / "image" / layer["dir"], layer.get("whiteouts", []))
            for layer in spec["layers"]
        ],
        config=spec["config"],
        history=[layer["created_by"] for layer in spec["layers"]],
    )


SYNTHETIC: dict[str, Callable[[], Image]] = {
    "messy": messy_image,
    "demo": demo_image,
    "cli_image_commands": lambda: image_command_tests.IMAGE,
    "cli_hostile_images": lambda: hostile_tests.GOOD,
    "cli_scan": lambda: scan_tests.IMAGE,
    "cli_scan_secrets": lambda: secret_tests.IMAGE,
    "pipeline": pipeline_tests.three_layer_image,
    "checks_layers": lambda: layer_check_tests.IMAGE,
    "base_advice_app": app_image,
    "source_formats_zstd": lambda: format_tests.sample("zstd"),
    "source_registry": registry_tests.two_layers,
    "source_engine_archive": engine_archive_tests.image,
    "source_detect": detect_tests.tiny,
}
"""Every image the tests build (module constants and argument-free builders), by name."""

TARGETS = (
    *(f"real:{tag}" for tag in REAL_TAGS),
    *(f"real-archive:{tag}" for tag in REAL_TAGS),
    *(f"synthetic:{name}" for name in SYNTHETIC),
)


@dataclass(frozen=True)
class Run:
    """One CLI run: exit code, stdout, stderr."""

    code: int
    out: str
    err: str


def invoke(*args: str) -> Run:
    """`sievert ARGS` in-process; an exception escaping the CLI fails the test."""
    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


def assert_clean(run: Run, *codes: int) -> None:
    """The exit code is one of `codes` and stderr shows no traceback."""
    assert "Traceback" not in run.err, run.err
    assert "internal error" not in run.err, run.err
    assert run.code in (codes or (EXIT_OK,)), run.err


def docker_archive(layout: Path, tag: str, dest: Path) -> Path:
    """A `docker save` tar of one tag of an OCI layout (layers kept compressed)."""
    index = json.loads((layout / "index.json").read_text())
    (entry,) = [
        m
        for m in index["manifests"]
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag
    ]
    manifest = json.loads(_blob(layout, entry["digest"]).read_bytes())
    config = manifest["config"]["digest"].split(":")[1]
    layers = [layer["digest"].split(":")[1] for layer in manifest["layers"]]
    with tarfile.open(dest, "w") as tar:
        tar.add(_blob(layout, manifest["config"]["digest"]), f"{config}.json")
        for digest in layers:
            tar.add(layout / "blobs" / "sha256" / digest, f"{digest}/layer.tar")
        doc = [
            {
                "Config": f"{config}.json",
                "RepoTags": [f"sievert/{tag}:latest"],
                "Layers": [f"{d}/layer.tar" for d in layers],
            }
        ]
        data = json.dumps(doc).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return dest


def _blob(layout: Path, digest: str) -> Path:
    return layout / "blobs" / digest.replace(":", "/")


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database built from the demo feed mirror (the upstream formats, small)."""
    root = tmp_path_factory.mktemp("writers-demo-db")
    db = root / "vuln.db"
    run = invoke(
        "db", "update", "-q", "--mirror", str(write_mirror(root / "mirror")), "--db", str(db)
    )
    assert_clean(run)
    return db


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Layouts, archives and the layer cache of this module."""
    return tmp_path_factory.mktemp("writers")


@dataclass(frozen=True)
class Subject:
    """A target reference and the database to scan it with."""

    ref: str
    db: Path


@pytest.fixture(scope="session")
def subjects(
    request: pytest.FixtureRequest, workdir: Path, demo_db: Path
) -> Callable[[str], Subject]:
    """Target name -> reference and database, building each image once on first use."""

    @cache
    def subject(target: str) -> Subject:
        kind, name = target.split(":", 1)
        if kind == "synthetic":
            layout = write_oci_layout(workdir / f"layout-{name}", {"t": SYNTHETIC[name]()})
            return Subject(f"oci-dir:{layout}:t", demo_db)
        if not SHARED_IMAGES.is_dir():
            pytest.skip("../shared/images not present (fresh clone): real-image test skipped")
        db: Path = request.getfixturevalue("real_db")
        if kind == "real":
            return Subject(f"oci-dir:{SHARED_IMAGES}:{name}", db)
        archive = docker_archive(SHARED_IMAGES, name, workdir / f"{name}.tar")
        return Subject(f"docker-archive:{archive}", db)

    return subject


@pytest.fixture(scope="session")
def scans(workdir: Path, subjects: Callable[[str], Subject]) -> Callable[[str, str], Run]:
    """(target, format) -> the run of `sievert scan` with every scanner, once per session."""

    @cache
    def scan(target: str, fmt: str) -> Run:
        subject = subjects(target)
        extra = ("--template", str(TEMPLATE)) if fmt == "template" else ()
        return invoke(
            "scan",
            subject.ref,
            "-q",
            "--cache-dir",
            str(workdir / "cache"),
            "--db",
            str(subject.db),
            "--scanners",
            "vuln,config,secret",
            "-f",
            fmt,
            *extra,
        )

    return scan


@pytest.mark.parametrize("fmt", SBOM_FORMATS)
@pytest.mark.parametrize("target", TARGETS)
def test_sbom(target: str, fmt: str, subjects: Callable[[str], Subject], workdir: Path) -> None:
    subject = subjects(target)
    run = invoke("sbom", subject.ref, "-q", "--cache-dir", str(workdir / "cache"), "-f", fmt)
    assert_clean(run)
    check_document(fmt, run.out)


@pytest.mark.parametrize("fmt", SCAN_FORMATS)
@pytest.mark.parametrize("target", TARGETS)
def test_scan(target: str, fmt: str, scans: Callable[[str, str], Run]) -> None:
    run = scans(target, fmt)
    assert_clean(run)
    check_document(fmt, run.out)


@pytest.mark.parametrize("fmt", ["table", "json"])
@pytest.mark.parametrize("target", TARGETS)
def test_policy_eval(
    target: str, fmt: str, scans: Callable[[str, str], Run], tmp_path: Path
) -> None:
    result = tmp_path / "result.json"
    result.write_text(scans(target, "json").out)
    run = invoke("policy", "eval", str(result), "--policy", str(POLICY), "-f", fmt)
    assert_clean(run, EXIT_OK, EXIT_POLICY)
    if fmt == "json":
        assert json.loads(run.out)["action"] in ("go", "warn", "stop")


@pytest.mark.parametrize("fmt", ["table", "json"])
@pytest.mark.parametrize("target", TARGETS)
def test_vuln_show(
    target: str, fmt: str, scans: Callable[[str, str], Run], subjects: Callable[[str], Subject]
) -> None:
    findings = json.loads(scans(target, "json").out)["findings"]
    ids = sorted({f["vulnerability"]["id"] for f in findings}) or ["CVE-2024-2961"]
    run = invoke("vuln", "show", ids[0], "--db", str(subjects(target).db), "-f", fmt)
    assert_clean(run)
    if fmt == "json":
        assert json.loads(run.out)["id"] == ids[0]


DOCKERFILES = ("demo", "cases", "labelled")
"""The demo's Dockerfile, the rule case folders, and the labelled corpus the tests write."""


@pytest.fixture(scope="session")
def dockerfiles(workdir: Path) -> dict[str, Path]:
    """Where each set of Dockerfiles is (the labelled corpus written once per session)."""
    corpus = workdir / "labelled"
    write_corpus(corpus)
    return {
        "demo": REPO_ROOT / "demo" / "Dockerfile",
        "cases": REPO_ROOT / "tests" / "checks" / "dockerfile" / "cases",
        "labelled": corpus,
    }


@pytest.mark.parametrize("fmt", CONFIG_FORMATS)
@pytest.mark.parametrize("where", DOCKERFILES)
def test_config(where: str, fmt: str, dockerfiles: dict[str, Path]) -> None:
    run = invoke("config", str(dockerfiles[where]), "-f", fmt)
    assert_clean(run)
    check_document(fmt, run.out)


def check_document(fmt: str, text: str) -> None:
    """The output parses and is valid against its format's schema."""
    assert text.strip(), f"empty {fmt} output"
    CHECKS.get(fmt, _nonempty)(text)


def _json(text: str) -> Any:
    return json.loads(text)


def _nonempty(text: str) -> None:
    assert text.strip()


def _html(text: str) -> None:
    assert text.lstrip().lower().startswith("<!doctype html>")
    assert text.rstrip().endswith("</html>")


CHECKS: dict[str, Callable[[str], object]] = {
    "json": _json,
    "cyclonedx-json": lambda text: _assert_none(cyclonedx_errors(text)),
    "cyclonedx-vex": lambda text: _assert_none(cyclonedx_errors(text)),
    "spdx-json": lambda text: _assert_none(spdx_errors(json.loads(text))),
    "sarif": lambda text: _assert_none(sarif_errors(json.loads(text))),
    "junit": lambda text: _assert_none(junit_errors(text)),
    "gitlab": lambda text: _assert_none(gitlab_errors(json.loads(text))),
    "html": _html,
}


def _assert_none(errors: list[str]) -> None:
    assert errors == [], errors[:5]
