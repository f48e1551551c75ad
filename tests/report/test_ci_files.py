"""The CI integration files: they load as YAML and carry the keys their tools require."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from sievert.report.plugins import scan_writer_names

ROOT = Path(__file__).parents[2]


def _load(relative: str) -> Any:
    return yaml.safe_load((ROOT / relative).read_text(encoding="utf-8"))


def test_action_is_a_composite_action() -> None:
    action = _load("action.yml")
    assert {"name", "description", "inputs", "runs"} <= set(action)
    assert action["runs"]["using"] == "composite"
    assert {"target", "fail-on", "format", "policy"} <= set(action["inputs"])
    assert action["inputs"]["target"]["required"] is True
    for name, spec in action["inputs"].items():
        assert "description" in spec, name
    for step in action["runs"]["steps"]:
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step.get("shell") == "bash", step


def test_action_runs_update_and_scan_without_inline_inputs() -> None:
    steps = _load("action.yml")["runs"]["steps"]
    scripts = "\n".join(step.get("run", "") for step in steps)
    assert '"$GITHUB_ACTION_PATH"' in scripts and "pip install" in scripts
    assert "sievert db update" in scripts
    assert 'args=(scan "$SIEVERT_TARGET"' in scripts and 'sievert "${args[@]}"' in scripts
    # inputs reach scripts through env only: no `${{ inputs.x }}` expanded into shell text
    assert "${{" not in scripts


def test_action_format_list_names_real_formats() -> None:
    description = _load("action.yml")["inputs"]["format"]["description"]
    named = re.findall(r"[a-z][a-z-]+", description.partition("(")[2])
    assert set(named) <= set(scan_writer_names())
    assert set(scan_writer_names()) <= set(named)


def test_pre_commit_hook() -> None:
    (hook,) = _load(".pre-commit-hooks.yaml")
    assert hook["id"] == "sievert-config"
    assert {"name", "entry", "language"} <= set(hook)
    assert hook["entry"].startswith("sievert config")
    assert hook["language"] == "python"


@pytest.mark.parametrize(
    ("path", "matches"),
    [
        ("Dockerfile", True),
        ("app/Dockerfile", True),
        ("app/Dockerfile.prod", True),
        ("Containerfile", True),
        ("build/web.dockerfile", True),
        ("README.md", False),
        ("docs/dockerfiles.txt", False),
        ("MyDockerfile", False),
    ],
)
def test_pre_commit_files_pattern(path: str, matches: bool) -> None:
    (hook,) = _load(".pre-commit-hooks.yaml")
    assert bool(re.search(hook["files"], path)) is matches


def test_gitlab_template_publishes_the_reports() -> None:
    template = _load("contrib/gitlab/sievert.gitlab-ci.yml")
    job = template["sievert_container_scanning"]
    assert {"stage", "image", "script", "artifacts"} <= set(job)
    reports = job["artifacts"]["reports"]
    assert reports["container_scanning"] == "gl-container-scanning-report.json"
    assert reports["junit"] == "sievert-junit.xml"
    script = "\n".join(job["before_script"] + job["script"])
    assert "sievert db update" in script
    assert "-f gitlab -o gl-container-scanning-report.json" in script
    assert "-f junit -o sievert-junit.xml" in script
    assert {"SIEVERT_TARGET", "SIEVERT_FAIL_ON", "SIEVERT_POLICY"} <= set(template["variables"])


def test_docs_and_readme_point_at_each_other() -> None:
    docs = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## CI integration" in readme and "docs/ci.md" in readme
    for needle in ("upload-sarif", "sievert-config", "container_scanning", "SIEVERT_JUNIT_MODE"):
        assert needle in docs
