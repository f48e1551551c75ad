"""SV-DF-029..032: HEALTHCHECK, WORKDIR, CMD/ENTRYPOINT count, MAINTAINER."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sievert.checks.dockerfile.config import CheckConfig
from sievert.checks.dockerfile.rules._base import (
    finding,
    instructions,
    make_rule,
    shipped_stages,
)
from sievert.checks.dockerfile.syntax import Dockerfile
from sievert.model.checks import CheckFinding

HEALTHCHECK = make_rule(
    29,
    "low",
    "No HEALTHCHECK in the final image",
    "Without a health check the runtime only knows the process is alive, not that it serves; "
    "a hung service is never restarted.",
    "Add `HEALTHCHECK CMD ...` probing the service (or `HEALTHCHECK NONE` to state that none "
    "is wanted, e.g. when the orchestrator probes).",
)
WORKDIR = make_rule(
    30,
    "low",
    "Relative WORKDIR",
    "A relative WORKDIR depends on the previous one (and on the base image's): the resulting "
    "path is easy to get wrong.",
    "Use an absolute path: `WORKDIR /app`.",
)
REPEATED = make_rule(
    31,
    "medium",
    "Several CMD or ENTRYPOINT in one stage",
    "Only the last CMD and the last ENTRYPOINT of a stage take effect; the others are dead "
    "code that misleads readers.",
    "Keep one CMD and one ENTRYPOINT per stage.",
)
MAINTAINER = make_rule(
    32,
    "low",
    "MAINTAINER is deprecated",
    "MAINTAINER is deprecated; its value is not a label tools can read.",
    'Use `LABEL org.opencontainers.image.authors="name <mail>"`.',
)
_ABSOLUTE = re.compile(r"/|[A-Za-z]:[\\/]|\\")


def check_healthcheck(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """No HEALTHCHECK in the final stage nor in the stages it builds on."""
    shipped = shipped_stages(dockerfile)
    for stage in dockerfile.stages:
        if stage.index in shipped and any(i.keyword == "HEALTHCHECK" for i in stage.instructions):
            return
    at = dockerfile.final_stage.from_instruction
    yield finding(HEALTHCHECK, dockerfile, at, "the final image has no HEALTHCHECK")


def check_workdir(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """WORKDIR whose (expanded) path is not absolute."""
    for _, instruction in instructions(dockerfile, "WORKDIR"):
        path = instruction.expanded.strip().strip("'\"")
        if path and "$" not in path and not _ABSOLUTE.match(path):
            yield finding(WORKDIR, dockerfile, instruction, f"WORKDIR {path} is relative")


def check_repeated(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """Every CMD or ENTRYPOINT after the first of its kind in a stage."""
    for stage in dockerfile.stages:
        seen: dict[str, int] = {}
        for instruction in stage.instructions:
            keyword = instruction.keyword
            if keyword not in ("CMD", "ENTRYPOINT"):
                continue
            if keyword in seen:
                message = f"{keyword} overrides the {keyword} of line {seen[keyword]}"
                yield finding(REPEATED, dockerfile, instruction, message)
            seen[keyword] = instruction.start_line


def check_maintainer(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """MAINTAINER is used."""
    for _, instruction in instructions(dockerfile, "MAINTAINER"):
        yield finding(MAINTAINER, dockerfile, instruction, "MAINTAINER is deprecated")
