"""Silent wrong answers, terminal escapes, tracebacks and quadratic work on hostile input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hostile.runner import assert_limit, assert_one_line_error, run_bounded
from tests.imagebuilder import F, Image, write_oci_layout

ESC = "\x1b]0;owned\x07\x1b[2J"
"""Retitle the terminal, then clear the screen."""

# --- silent wrong answers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "key"),
    [
        ({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": "abc"}, "components"),
        ({"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "packages": "x"}, "packages"),
    ],
)
def test_wrongly_typed_sbom_is_an_error(
    document: dict[str, object], key: str, small_db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    out = tmp_path / "out.json"
    proc = run_bounded("scan", "--sbom", str(path), "--db", str(small_db), "-o", str(out))
    assert_one_line_error(proc, 3, "bad.json", f"`{key}` must be an array, not a string")
    assert not out.exists()


# --- terminal escape injection ---------------------------------------------------------------


def hostile_image(tmp_path: Path) -> Path:
    status = (
        f"Package: evil{ESC}\nStatus: install ok installed\nArchitecture: amd64\n"
        f"Version: 1.0{ESC}\n\n"
    )
    debian = [F("etc/os-release", "ID=debian\nVERSION_ID=12\n"), F("var/lib/dpkg/status", status)]
    image = Image([debian], history=[f"/bin/sh -c echo {ESC}"])
    return write_oci_layout(tmp_path / "layout", {"t": image})


@pytest.mark.parametrize("command", ["sbom", "inspect"])
def test_control_characters_from_an_image_are_escaped(command: str, tmp_path: Path) -> None:
    layout = hostile_image(tmp_path)
    proc = run_bounded(command, f"oci-dir:{layout}:t", "-q", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "evil\\x1b]0;owne" in proc.stdout


def test_control_characters_in_scan_table_and_markdown(small_db: Path, tmp_path: Path) -> None:
    name = f"leftpad{ESC}"
    component = {
        "type": "library",
        "name": name,
        "version": "1.0.0",
        "purl": "pkg:npm/leftpad@1.0.0",
    }
    sbom = tmp_path / "sbom.json"
    sbom.write_text(
        json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [component]})
    )
    for fmt in ("table", "markdown"):
        proc = run_bounded("scan", "--sbom", str(sbom), "--db", str(small_db), "-f", fmt)
        assert proc.returncode == 0, proc.stderr
        assert "\x1b" not in proc.stdout, fmt


def test_control_characters_in_error_lines(tmp_path: Path) -> None:
    proc = run_bounded("policy", "validate", str(tmp_path / f"no{ESC}such.yaml"))
    line = assert_one_line_error(proc, 3, "no\\x1b]0;owned")
    assert "\x1b" not in line


# --- more tracebacks -------------------------------------------------------------------------

SECRET_CONFIGS = {
    "types": b"allow_paths: 5\n",
    "max-size": b"max_size: [1]\n",
    "binary": b"\x00\x01\x02\xff\xfe",
    "list": b"- a\n- b\n",
}


@pytest.mark.parametrize("case", sorted(SECRET_CONFIGS))
def test_bad_secret_config(case: str, layout: Path, tmp_path: Path) -> None:
    config = tmp_path / "secrets.yaml"
    config.write_bytes(SECRET_CONFIGS[case])
    args = ("scan", f"oci-dir:{layout}:t", "-q", "--no-cache", "--scanners", "secret")
    proc = run_bounded(*args, "--secret-config", str(config), "-o", str(tmp_path / "out"))
    assert_one_line_error(proc, 2, "--secret-config", "secrets.yaml")
    assert not (tmp_path / "out").exists()


TEMPLATES = {
    "recursive": (b"{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", 2, "recursion"),
    "binary": (b"\xff\xfe\x00\x01binary", 2, "not UTF-8"),
    "huge-string": (b'{{ "x" * 10000000000 }}', 3, "SIEVERT_MAX_TEMPLATE_OUTPUT"),
    "huge-output": (
        b'{% for i in range(100000) %}{{ "y" * 100000 }}{% endfor %}',
        3,
        "SIEVERT_MAX_TEMPLATE_OUTPUT",
    ),
    "power": (b"{{ 10 ** 100000000 }}", 2, "exponent"),
}


@pytest.mark.parametrize("case", sorted(TEMPLATES))
def test_hostile_template(case: str, layout: Path, tmp_path: Path) -> None:
    text, code, fragment = TEMPLATES[case]
    template = tmp_path / "t.j2"
    template.write_bytes(text)
    args = ("scan", f"oci-dir:{layout}:t", "-q", "--no-cache", "--scanners", "config")
    proc = run_bounded(
        *args, "-f", "template", "--template", str(template), "-o", str(tmp_path / "o")
    )
    assert_one_line_error(proc, code, "t.j2", fragment)
    assert not (tmp_path / "o").exists()


def test_huge_template_file(layout: Path, tmp_path: Path) -> None:
    template = tmp_path / "big.j2"
    template.write_text("x" * (2 << 20))
    args = ("scan", f"oci-dir:{layout}:t", "-q", "--no-cache", "--scanners", "config")
    proc = run_bounded(*args, "-f", "template", "--template", str(template))
    assert_limit(proc, "big.j2", "SIEVERT_MAX_TEMPLATE_SIZE")


# --- quadratic work --------------------------------------------------------------------------


def test_long_run_line_is_linear(tmp_path: Path) -> None:
    # Quadratic regexes took 9 s of CPU on 100 KB; 1 MB under the runner's CPU cap needs linear.
    words = "echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb a.b.c.d.e.f.g "
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.23\nRUN " + words * 12_000 + "\n")
    proc = run_bounded("config", str(tmp_path / "Dockerfile"), "-f", "json")
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr


def test_thousands_of_heredocs_within_the_bounds(tmp_path: Path) -> None:
    # Quadratic heredoc matching and per-RUN stage scans took 27 s and 12 s of CPU on these.
    one_run = "RUN " + " ".join(f"<<E{i}" for i in range(4000)) + "\n"
    one_run += "".join(f"echo {i}\nE{i}\n" for i in range(4000))
    many_runs = "".join(f"RUN <<E{i}\napt-get install -y curl\nE{i}\n" for i in range(4900))
    for body in (one_run, many_runs):
        (tmp_path / "Dockerfile").write_text("FROM alpine:3.23\n" + body)
        proc = run_bounded("config", str(tmp_path / "Dockerfile"), "-f", "json", cpu=30)
        assert proc.returncode in (0, 1), proc.stderr
        assert "Traceback" not in proc.stderr


def test_policy_with_20000_rules(tmp_path: Path) -> None:
    rules = [
        {"id": f"r{i}", "action": "warn", "when": {"severity": "critical"}} for i in range(20_000)
    ]
    path = tmp_path / "policy.yaml"
    path.write_text(json.dumps({"version": 1, "policies": [{"id": "p", "rules": rules}]}))
    proc = run_bounded("policy", "validate", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "20000 rules" in proc.stdout
