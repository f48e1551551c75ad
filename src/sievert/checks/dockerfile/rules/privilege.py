"""SV-DF-018..020: sudo, world-writable permissions, distribution upgrades."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sievert.checks.dockerfile.config import CheckConfig
from sievert.checks.dockerfile.rules._base import (
    finding,
    instructions,
    make_rule,
    options_and_operands,
    runs,
)
from sievert.checks.dockerfile.syntax import Dockerfile
from sievert.model.checks import CheckFinding

SUDO = make_rule(
    18,
    "medium",
    "sudo used in a RUN",
    "Builds already run as root until a USER; sudo in the image means a setuid binary and a "
    "sudoers policy an attacker can use to regain root.",
    "Run privileged steps before switching USER; use `gosu` or `su-exec` in entrypoints.",
)
WORLD_WRITABLE = make_rule(
    19,
    "medium",
    "World-writable permissions (chmod 777, o+w)",
    "Any user or process in the container can change world-writable files: binaries, "
    "configuration or scripts can be replaced.",
    "Give ownership to the user that needs it (`chown app` or `COPY --chown=app`) and use "
    "755/644 (or 770/660 with a group).",
)
UPGRADE = make_rule(
    20,
    "low",
    "apt-get upgrade or dist-upgrade in the Dockerfile",
    "Upgrading every package makes the build unreproducible and hides what changed; the fix "
    "belongs in the base image.",
    "Use a newer base image tag, or upgrade only the packages you need (`apt-get install "
    "--only-upgrade pkg`).",
)
_OCTAL = re.compile(r"[0-7]{3,4}")
_SYMBOLIC = re.compile(r"([ugoa]*)([+=])([rwxXst]*)")
UPGRADE_COMMANDS = frozenset({"upgrade", "dist-upgrade", "full-upgrade"})


def world_writable(mode: str) -> bool:
    """An octal mode with the others' write bit (not sticky), or `o+w`, `a+w`, `a=rwx`."""
    if _OCTAL.fullmatch(mode):
        sticky = len(mode) == 4 and int(mode[0]) & 1
        return bool(int(mode[-1]) & 2) and not sticky
    for clause in mode.split(","):
        match = _SYMBOLIC.fullmatch(clause)
        if match and ("o" in match.group(1) or "a" in match.group(1)) and "w" in match.group(3):
            return "t" not in match.group(3)
    return False


def check_sudo(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """A RUN command goes through sudo."""
    for _, instruction, found in runs(dockerfile):
        if any(c.name == "sudo" or "sudo" in c.wrappers for c in found):
            yield finding(SUDO, dockerfile, instruction, "sudo is used")


def check_world_writable(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """`chmod 777`/`o+w` in a RUN, `--chmod=777` on COPY or ADD."""
    for _, instruction, found in runs(dockerfile):
        for command in found:
            if command.name != "chmod":
                continue
            _, operands = options_and_operands(command.argv[1:])
            if operands and world_writable(operands[0]):
                message = f"chmod {operands[0]} makes files world-writable"
                yield finding(WORLD_WRITABLE, dockerfile, instruction, message)
                break
    for _, instruction in instructions(dockerfile, "COPY", "ADD"):
        mode = instruction.flag("chmod")
        if mode and world_writable(mode):
            message = f"--chmod={mode} makes files world-writable"
            yield finding(WORLD_WRITABLE, dockerfile, instruction, message)


def check_upgrade(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """apt-get/apt upgrade, dist-upgrade, full-upgrade."""
    for _, instruction, found in runs(dockerfile):
        for command in found:
            if command.name not in ("apt-get", "apt", "aptitude"):
                continue
            _, operands = options_and_operands(command.argv[1:], frozenset({"-o", "-c", "-t"}))
            if operands and operands[0] in UPGRADE_COMMANDS:
                message = f"{command.name} {operands[0]} upgrades every package"
                yield finding(UPGRADE, dockerfile, instruction, message)
                break
