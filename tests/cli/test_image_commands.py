"""The command line as a user runs it: outputs, exit codes, one-line errors, atomic files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clitools import run_sievert as run
from tests.imagebuilder import F, Image, write_docker_archive, write_oci_layout

STATUS = (
    "Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\n"
    "Version: 1:1.2.13.dfsg-1\nSource: zlib\n\n"
)
IMAGE = Image(
    [
        [
            F("etc/os-release", 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'),
            F("var/lib/dpkg/status", STATUS),
        ]
    ]
)


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    return write_oci_layout(tmp_path / "layout", {"v1": IMAGE})


def test_sbom_json_goes_to_stdout_and_progress_to_stderr(layout: Path, tmp_path: Path) -> None:
    proc = run("sbom", f"oci-dir:{layout}:v1", "-f", "json", "--cache-dir", str(tmp_path / "c"))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [(p["name"], p["version"]) for p in doc["packages"]] == [("zlib1g", "1:1.2.13.dfsg-1")]
    assert "layer 1" in proc.stderr  # per-layer progress
    quiet = run("sbom", f"oci-dir:{layout}:v1", "-q", "--cache-dir", str(tmp_path / "c"))
    assert quiet.stderr == ""


def test_every_sbom_format_from_a_docker_archive(tmp_path: Path) -> None:
    archive = write_docker_archive(tmp_path / "img.tar", IMAGE, tag="demo/app:1")
    for fmt in ("table", "json", "cyclonedx-json", "spdx-json"):
        out = tmp_path / f"sbom.{fmt}"
        proc = run("sbom", str(archive), "-q", "--no-cache", "-f", fmt, "-o", str(out))
        assert proc.returncode == 0, proc.stderr
        assert "zlib1g" in out.read_text()


def test_inspect_lists_layers_with_what_they_introduced(layout: Path) -> None:
    proc = run("inspect", f"oci-dir:{layout}:v1", "-q", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    assert "zlib1g" in proc.stdout and "/bin/sh -c #(nop) layer 0" in proc.stdout


def test_missing_target_is_one_line_exit_3_and_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "sbom.json"
    proc = run("sbom", str(tmp_path / "nope.tar"), "-o", str(out), "-q")
    assert proc.returncode == 3
    assert proc.stderr.count("\n") == 1 and "nope.tar" in proc.stderr
    assert proc.stderr.startswith("sievert: error: ")
    assert list(tmp_path.iterdir()) == []


def test_a_corrupt_layer_fails_cleanly_without_partial_output(layout: Path, tmp_path: Path) -> None:
    index = json.loads((layout / "index.json").read_text())
    manifest = json.loads(
        (layout / "blobs/sha256" / index["manifests"][0]["digest"][7:]).read_text()
    )
    blob = layout / "blobs/sha256" / manifest["layers"][0]["digest"][7:]
    blob.write_bytes(blob.read_bytes()[:40])
    out = tmp_path / "out" / "sbom.json"
    out.parent.mkdir()
    proc = run("sbom", f"oci-dir:{layout}:v1", "-o", str(out), "-q", "--no-cache")
    assert proc.returncode == 3
    assert manifest["layers"][0]["digest"] in proc.stderr
    assert list(out.parent.iterdir()) == []


def test_usage_errors_exit_2(layout: Path) -> None:
    assert run("sbom", f"oci-dir:{layout}:v1", "--platform", "linux").returncode == 2
    assert run("sbom", f"oci-dir:{layout}:v1", "-f", "nonsense").returncode == 2
    assert run("no-such-command").returncode == 2


def test_unknown_platform_lists_the_available_ones(tmp_path: Path) -> None:
    arm = Image([[F("etc/os-release", "ID=alpine\n")]], architecture="arm64", variant="v8")
    layout = write_oci_layout(tmp_path / "multi", {"m": [IMAGE, arm]})
    proc = run("sbom", f"oci-dir:{layout}:m", "--platform", "linux/s390x", "-q", "--no-cache")
    assert proc.returncode == 3
    assert "linux/amd64" in proc.stderr and "linux/arm64/v8" in proc.stderr
    ok = run(
        "sbom", f"oci-dir:{layout}:m", "--platform", "linux/arm64", "-q", "--no-cache", "-f", "json"
    )
    assert (
        ok.returncode == 0 and json.loads(ok.stdout)["image"]["platform"]["architecture"] == "arm64"
    )


def test_cache_info_and_clean(layout: Path, tmp_path: Path) -> None:
    cache = str(tmp_path / "c")
    assert run("sbom", f"oci-dir:{layout}:v1", "-q", "--cache-dir", cache).returncode == 0
    assert "1 layer(s)" in run("cache", "info", "--cache-dir", cache).stdout
    assert "removed 1" in run("cache", "clean", "--cache-dir", cache).stdout
    assert "0 layer(s)" in run("cache", "info", "--cache-dir", cache).stdout


def test_demo_runs_from_a_clean_output_folder(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, str(repo / "demo" / "run_demo.py")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=repo,
    )
    assert proc.returncode == 0, proc.stderr
    assert "libssh2-1" in proc.stdout


def test_pkg_types_selects_groups_but_ownership_still_applies(tmp_path: Path) -> None:
    gem = F(
        "usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec",
        'Gem::Specification.new do |s|\n  s.name = "rake"\n  s.version = "13.0.6"\nend\n',
    )
    ruby = (
        "Package: ruby3.1\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.1.2-7\n\n"
    )
    image = Image(
        [
            [
                F("etc/os-release", 'ID=debian\nVERSION_ID="12"\n'),
                F("var/lib/dpkg/status", ruby),
                gem,
                F("var/lib/dpkg/info/ruby3.1.list", "/" + gem.path + "\n"),
            ]
        ]
    )
    layout = write_oci_layout(tmp_path / "l", {"t": image})
    proc = run(
        "sbom", f"oci-dir:{layout}:t", "-q", "--no-cache", "-f", "json", "--pkg-types", "library"
    )
    packages = json.loads(proc.stdout)["packages"]
    assert [(p["type"], p["name"]) for p in packages] == [("gem", "rake")]
    assert packages[0]["owner"].startswith("pkg:deb/debian/ruby3.1")
    assert run("sbom", f"oci-dir:{layout}:t", "--pkg-types", "nope").returncode == 2


def test_inspect_json_lists_layers_and_what_they_introduced(layout: Path, tmp_path: Path) -> None:
    out = tmp_path / "layers.json"
    proc = run("inspect", f"oci-dir:{layout}:v1", "-q", "--no-cache", "-f", "json", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert [layer["index"] for layer in doc["layers"]] == list(range(len(doc["layers"])))
    introduced = {p["name"]: layer["index"] for layer in doc["layers"] for p in layer["packages"]}
    assert introduced and all(layer["diffId"].startswith("sha256:") for layer in doc["layers"])


def test_every_command_shares_the_same_options() -> None:
    """-f/-o/-q/--db/--cache-dir are one definition each: the same help on every command."""
    import click

    from sievert.cli.main import cli

    helps: dict[str, set[str]] = {}
    commands = [
        ("sbom",), ("inspect",), ("scan",), ("config",), ("db", "update"), ("db", "status"),
        ("vuln", "show"), ("vuln", "search"), ("policy", "eval"), ("cache", "info"),
    ]  # fmt: skip
    shared = ("-o", "-q", "--db", "--cache-dir")
    ctx = click.Context(cli)
    for path in commands:
        command: click.Command | None = cli
        for name in path:
            assert isinstance(command, click.Group)
            command = command.get_command(ctx, name)
        assert command is not None
        for param in command.params:
            if isinstance(param, click.Option) and param.opts[0] in shared:
                helps.setdefault(param.opts[0], set()).add(param.help or "")
            if isinstance(param, click.Option) and param.opts[0] == "-f":
                assert param.opts == ["-f", "--format"] and param.name == "fmt"
    assert set(helps) == {"-o", "-q", "--db", "--cache-dir"}
    assert all(len(texts) == 1 for texts in helps.values()), helps
