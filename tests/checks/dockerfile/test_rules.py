"""Every rule against its cases: each bad file triggers it exactly on the `# expect` lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from sievert.checks.dockerfile.config import CheckConfig
from sievert.checks.dockerfile.engine import analyze
from sievert.checks.dockerfile.parser import parse_dockerfile
from sievert.checks.dockerfile.rules import DOCKERFILE_RULES
from sievert.checks.dockerfile.syntax import Dockerfile

CASES = Path(__file__).parent / "cases"
REPO = Path(__file__).resolve().parents[3]
CASE_FILES = sorted(CASES.glob("*/*.Dockerfile"))
NEEDS_CONFIG = {"SV-DF-004"}


def _parse(path: Path) -> Dockerfile:
    return parse_dockerfile(path.read_text(encoding="utf-8"), path.name)


def expected_lines(dockerfile: Dockerfile) -> set[int]:
    """Start lines of the instructions preceded by a `# expect` comment."""
    return {
        i.start_line
        for i in dockerfile.instructions()
        if any(text == "# expect" for _, text in i.comments)
    }


def lines_of(dockerfile: Dockerfile, rule_id: str) -> set[int]:
    return {f.region.start_line for f in analyze(dockerfile) if f.rule.id == rule_id}


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_case(path: Path) -> None:
    dockerfile = _parse(path)
    expected = expected_lines(dockerfile)
    if path.stem.startswith("bad"):
        assert expected, "a bad case marks its lines with # expect"
    else:
        assert path.stem.startswith("good")
        assert not expected
    assert lines_of(dockerfile, path.parent.name) == expected


def test_every_rule_has_bad_and_good_cases() -> None:
    for entry in DOCKERFILE_RULES:
        if entry.rule.id in NEEDS_CONFIG:
            continue
        names = {p.stem[:3] for p in (CASES / entry.rule.id).glob("*.Dockerfile")}
        assert {"bad", "goo"} <= names, entry.rule.id


def test_rule_ids_are_unique_ordered_and_documented() -> None:
    ids = [entry.rule.id for entry in DOCKERFILE_RULES]
    assert ids == sorted(set(ids))
    for entry in DOCKERFILE_RULES:
        rule = entry.rule
        assert rule.docs == f"docs/rules/{rule.id}.md"
        assert (REPO / rule.docs).is_file(), rule.docs
        assert rule.title and rule.rationale and rule.remediation
        assert rule.id in (REPO / rule.docs).read_text(encoding="utf-8")


def _allow(**kwargs: tuple[str, ...]) -> CheckConfig:
    return CheckConfig(**kwargs)  # type: ignore[arg-type]


ALLOW_TEXT = """\
FROM docker.io/library/python:3.12 AS build
FROM gcr.io/distroless/python3:nonroot
COPY --from=quay.io/evil/tool:1 /tool /tool
COPY --from=build /app /app
"""


def test_allow_list_only_when_configured() -> None:
    dockerfile = parse_dockerfile(ALLOW_TEXT, "Dockerfile")
    assert not [f for f in analyze(dockerfile) if f.rule.id == "SV-DF-004"]


@pytest.mark.parametrize(
    ("config", "lines"),
    [
        (_allow(allowed_registries=("docker.io",)), {2, 3}),
        (_allow(allowed_registries=("gcr.io/distroless", "quay.io")), {1}),
        (_allow(allowed_images=("python", "gcr.io/distroless/*")), {3}),
        (_allow(allowed_images=("python",), allowed_registries=("gcr.io", "quay.io")), set()),
    ],
)
def test_allow_list(config: CheckConfig, lines: set[int]) -> None:
    dockerfile = parse_dockerfile(ALLOW_TEXT, "Dockerfile")
    found = {f.region.start_line for f in analyze(dockerfile, config) if f.rule.id == "SV-DF-004"}
    assert found == lines
