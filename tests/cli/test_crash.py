"""An unexpected exception (a bug) ends in one line naming command and input, exit 3."""

from __future__ import annotations

from pathlib import Path

import pytest

from sievert import pipeline
from sievert.cli import policy_commands
from sievert.errors import EXIT_ERROR
from tests.clitools import run_in_process as run_main


def explode(*_args: object, **_kwargs: object) -> None:
    raise KeyError("no-such-key")


@pytest.fixture
def broken_inventory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "take_inventory", explode)


@pytest.mark.usefixtures("broken_inventory")
def test_bug_is_one_line_with_command_input_and_hint(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, "sbom", "dir:/some/where", "-q", "-f", "json")
    assert code == EXIT_ERROR
    assert out == ""
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert err.startswith("sievert: error: internal error in `sievert sbom` on dir:/some/where:")
    assert "KeyError: 'no-such-key'" in err
    assert "rerun with `sievert --debug ...` for the traceback" in err


@pytest.mark.usefixtures("broken_inventory")
def test_debug_prints_the_traceback_then_the_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys, "--debug", "sbom", "dir:/some/where", "-q")
    assert code == EXIT_ERROR
    assert err.startswith("Traceback (most recent call last):")
    assert 'in explode\n    raise KeyError("no-such-key")' in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("sievert: error: internal error in `sievert sbom` on dir:/some/where")
    assert "--debug" not in last


def test_nested_command_names_its_path_and_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result = tmp_path / "result.json"
    result.write_text("{}")
    monkeypatch.setattr(policy_commands, "load_scan_result", explode)
    policy = Path(__file__).resolve().parents[2] / "demo" / "policy.yaml"
    code, _, err = run_main(capsys, "policy", "eval", str(result), "--policy", str(policy))
    assert code == EXIT_ERROR
    assert f"internal error in `sievert policy eval` on {result}: KeyError" in err
    assert "Traceback" not in err


def test_expected_errors_keep_their_message_and_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys, "sbom", "dir:/does/not/exist", "-q")
    assert code == EXIT_ERROR
    assert err.startswith("sievert: error: ")
    assert "internal error" not in err
    code, _, err = run_main(capsys, "sbom", "--no-such-flag")
    assert code == 2
    assert "internal error" not in err
