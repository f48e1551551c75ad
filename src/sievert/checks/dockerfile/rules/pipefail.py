"""SV-DF-035: a RUN with a pipe in a shell that lacks `-o pipefail`."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from sievert.checks.dockerfile.config import CheckConfig
from sievert.checks.dockerfile.rules._base import finding, make_rule
from sievert.checks.dockerfile.shell import SHELLS, Command, commands
from sievert.checks.dockerfile.syntax import Dockerfile, Instruction, Stage
from sievert.model.checks import CheckFinding

RULE = make_rule(
    35,
    "medium",
    "Pipe in a RUN without pipefail",
    "A pipeline's status is that of its last command: in `curl -fsSL URL | tar xz` a failed "
    "download ends the RUN with success, and the build goes on with a missing or half-written "
    "file (or an unverified script). The default `/bin/sh -c` has no pipefail.",
    'Put `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` before the RUN (`/bin/ash` on '
    "Alpine), or start the RUN with `set -o pipefail &&` in a shell that supports it.",
)
DEFAULT_SHELL = ("/bin/sh", "-c")
NON_POSIX = ("pwsh", "powershell", "cmd")
"""Shells whose pipelines do not work this way: the rule does not apply."""
HARMLESS = frozenset({"echo", "printf", "yes", "true"})
"""Upstream commands that cannot fail in a way pipefail would catch (`yes |` would even break)."""


def sets_pipefail(argv: tuple[str, ...]) -> bool:
    """`-o pipefail`, or an option cluster ending in o (`-eo pipefail`, `-euxo pipefail`)."""
    for index, word in enumerate(argv[:-1]):
        if argv[index + 1] != "pipefail":
            continue
        if word == "-o" or (word.startswith("-") and not word.startswith("--") and "o" in word):
            return True
    return False


def _non_posix(shell: tuple[str, ...]) -> bool:
    name = posixpath.basename(shell[0].replace("\\", "/")).lower() if shell else ""
    return name.startswith(NON_POSIX)


def first_pipe(found: tuple[Command, ...]) -> Command | None:
    """The first command fed by a pipe whose upstream can fail, after no pipefail setting."""
    for command in found:
        if command.name == "set" and sets_pipefail(command.argv):
            return None
        if command.name in SHELLS and sets_pipefail(command.argv):
            return None
        if command.upstream and not set(command.upstream) <= HARMLESS:
            return command
    return None


def _run_shell(instruction: Instruction, shell: tuple[str, ...]) -> tuple[str, ...]:
    """The shell the RUN's script runs in: SHELL for shell form, the argv in exec form."""
    return instruction.exec_args() if instruction.json_form else shell


def _stage_start(stage: Stage, ends: dict[int, tuple[str, ...]]) -> tuple[str, ...]:
    """A stage built on an earlier one inherits its SHELL (it is part of the image config)."""
    return ends.get(stage.base_stage, DEFAULT_SHELL) if stage.base_stage >= 0 else DEFAULT_SHELL


def check(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """Every RUN with a pipe whose shell has no pipefail (SHELL, `bash -o`, `set -o`)."""
    ends: dict[int, tuple[str, ...]] = {}
    for stage in dockerfile.stages:
        shell = _stage_start(stage, ends)
        for instruction in stage.instructions:
            if instruction.keyword == "SHELL" and instruction.json_form:
                shell = instruction.exec_args() or DEFAULT_SHELL
            if instruction.keyword != "RUN":
                continue
            used = _run_shell(instruction, shell)
            if _non_posix(used) or sets_pipefail(used):
                continue
            pipe = first_pipe(commands(instruction))
            if pipe is not None:
                shown = f"{pipe.upstream[-1]} | {pipe.name}"
                message = (
                    f"`{shown}` runs without pipefail: a failure of {pipe.upstream[-1]} is ignored"
                )
                yield finding(RULE, dockerfile, instruction, message)
        ends[stage.index] = shell
