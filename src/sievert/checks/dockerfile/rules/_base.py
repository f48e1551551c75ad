"""What every Dockerfile rule module shares: the rule entry, findings, command helpers."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Iterator

import msgspec

from sievert.checks.dockerfile.config import CheckConfig
from sievert.checks.dockerfile.shell import Command, commands
from sievert.checks.dockerfile.syntax import Dockerfile, Instruction, Stage
from sievert.model.checks import CheckFinding, Region, Rule
from sievert.model.severity import Severity

Check = Callable[[Dockerfile, CheckConfig], Iterable[CheckFinding]]


class DockerfileRule(msgspec.Struct, frozen=True):
    """A rule and the pure function that finds its violations."""

    rule: Rule
    check: Check


def make_rule(number: int, severity: str, title: str, rationale: str, remediation: str) -> Rule:
    """A Dockerfile rule `SV-DF-0NN` with its documentation page."""
    rule_id = f"SV-DF-{number:03d}"
    return Rule(
        rule_id, Severity(severity), title, rationale, remediation, f"docs/rules/{rule_id}.md"
    )


def finding(rule: Rule, dockerfile: Dockerfile, at: Instruction, message: str) -> CheckFinding:
    """A finding of `rule` on the lines of one instruction."""
    region = Region(dockerfile.path, at.start_line, at.end_line)
    first = at.original.splitlines()[0] if at.original else at.keyword
    return CheckFinding(rule, message, region, rule.severity, instruction=first.strip())


def instructions(dockerfile: Dockerfile, *keywords: str) -> Iterator[tuple[Stage, Instruction]]:
    """Every instruction of the given keywords with its stage, in file order."""
    for stage in dockerfile.stages:
        for instruction in stage.instructions:
            if instruction.keyword in keywords:
                yield stage, instruction


def runs(dockerfile: Dockerfile) -> Iterator[tuple[Stage, Instruction, tuple[Command, ...]]]:
    """Every RUN with its stage and its simple commands."""
    for stage, instruction in instructions(dockerfile, "RUN"):
        yield stage, instruction, commands(instruction)


def shipped_stages(dockerfile: Dockerfile) -> set[int]:
    """Indexes of the final stage and of the stages it builds on (their layers ship)."""
    shipped: set[int] = set()
    stage: Stage | None = dockerfile.final_stage
    while stage is not None and stage.index not in shipped:
        shipped.add(stage.index)
        stage = dockerfile.stages[stage.base_stage] if stage.base_stage >= 0 else None
    return shipped


def options_and_operands(
    argv: tuple[str, ...], with_value: frozenset[str] = frozenset()
) -> tuple[list[str], list[str]]:
    """Split arguments into options and operands; options in `with_value` take the next word."""
    options: list[str] = []
    operands: list[str] = []
    index = 0
    while index < len(argv):
        word = argv[index]
        if word == "--":
            operands += argv[index + 1 :]
            break
        if word.startswith("-") and len(word) > 1:
            options.append(word)
            if word in with_value and index + 1 < len(argv):
                options.append(argv[index + 1])
                index += 1
        else:
            operands.append(word)
        index += 1
    return options, operands


def short_flag(options: Iterable[str], letter: str, with_value: str = "") -> bool:
    """A single-dash option cluster (`-fsSLk`) holds `letter` before any value-taking letter."""
    for option in options:
        if option.startswith("--") or not option.startswith("-"):
            continue
        for char in option[1:]:
            if char == letter:
                return True
            if char in with_value:
                break
    return False


def mount_targets(instruction: Instruction) -> list[str]:
    """Targets of the RUN's cache and tmpfs mounts: nothing written there reaches the layer."""
    targets = []
    for name, value in instruction.flags:
        if name != "mount":
            continue
        fields = dict(part.partition("=")[::2] for part in value.split(","))
        target = fields.get("target") or fields.get("dst") or fields.get("destination") or ""
        if fields.get("type") in ("cache", "tmpfs") and target:
            targets.append(posixpath.normpath(target))
    return targets


def covers(target: str, path: str) -> bool:
    """`path` is the mount `target` or lies under it."""
    path = posixpath.normpath(path)
    return path == target or path.startswith(target.rstrip("/") + "/")


def cache_mount(instruction: Instruction, *paths: str) -> bool:
    """A cache or tmpfs mount of the RUN covers one of `paths`."""
    return any(covers(t, p) for t in mount_targets(instruction) for p in paths)
