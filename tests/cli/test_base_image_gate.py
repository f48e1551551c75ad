"""`scan --policy --base` and `policy eval --base` name the base image the same way, so a
`base_image_in` rule decides alike in both (it used to fire only in `policy eval`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.clitools import run_sievert as run
from tests.imagebuilder import F, Image, write_oci_layout

BASE_LAYERS = [
    [F("etc/os-release", "ID=debian\nVERSION_ID=12\n")],
    [F("usr/lib/libssl.so.3", b"\x7fELF")],
]
POLICY = """\
version: 1
policies:
  - id: bases
    rules:
      - id: no-debian-base
        action: stop
        description: Denied base
        when: {base_image_in: [debian]}
"""


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, Path]:
    images = {
        "debian": Image(BASE_LAYERS),
        "app": Image([*BASE_LAYERS, [F("app/main.py", "print('hi')\n")]]),
    }
    layout = write_oci_layout(tmp_path / "layout", images)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    return layout, policy


def test_scan_and_policy_eval_agree_on_a_base_given_as_a_layout(
    world: tuple[Path, Path], tmp_path: Path
) -> None:
    layout, policy = world
    base = f"oci-dir:{layout}:debian"
    result = tmp_path / "result.json"
    scanned = run(
        "scan", f"oci-dir:{layout}:app", "--scanners", "config", "-q", "--no-cache",
        "--policy", str(policy), "--base", base, "-f", "json", "-o", str(result),
    )  # fmt: skip
    verdict = json.loads(result.read_text())["verdict"]
    assert (verdict["baseImage"], verdict["baseLayers"]) == ("debian", 2)
    assert verdict["action"] == "stop", scanned.stderr
    assert scanned.returncode == 1
    evaluated = run("policy", "eval", str(result), "--policy", str(policy), "--base", base)
    assert evaluated.returncode == 1, evaluated.stdout + evaluated.stderr
    assert "no-debian-base" in evaluated.stdout
