"""SV-DF-034: both curl and wget installed or used in one image stage."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sievert.checks.dockerfile.config import CheckConfig
from sievert.checks.dockerfile.rules._base import finding, make_rule
from sievert.checks.dockerfile.rules.packages import installed_packages
from sievert.checks.dockerfile.shell import Command, commands
from sievert.checks.dockerfile.syntax import Dockerfile
from sievert.model.checks import CheckFinding

RULE = make_rule(
    34,
    "low",
    "Both curl and wget in one stage",
    "Two tools for one job: both ship in the image with their own TLS and protocol code (more "
    "size, more CVEs to patch), and every download flag that matters (TLS verification, "
    "redirects, retries, failing on HTTP errors) has to be right twice.",
    "Use one of them throughout the stage (curl, or wget) and do not install the other; "
    "remove a tool you only need at build time in the same RUN.",
)
TOOLS = ("curl", "wget")
_VERSION = re.compile(r"[=<>~].*$|-\d.*$")
"""A version suffix of a package operand: `curl=7.88.1-10`, `wget~1.21`, `curl-7.76.1`."""


def tools_in(found: tuple[Command, ...]) -> set[str]:
    """curl/wget the commands run or install."""
    used = {c.name for c in found if c.name in TOOLS}
    installed = {_VERSION.sub("", package) for package in installed_packages(found)}
    return used | (installed & set(TOOLS))


def check(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """The RUN that brings the second of curl and wget into a stage (base stages count)."""
    ends: dict[int, set[str]] = {}
    for stage in dockerfile.stages:
        present = set(ends.get(stage.base_stage, set())) if stage.base_stage >= 0 else set()
        lines: dict[str, int] = {}
        for instruction in stage.instructions:
            if instruction.keyword != "RUN":
                continue
            new = tools_in(commands(instruction)) - present
            if new and len(present) < len(TOOLS) <= len(present | new):
                yield finding(RULE, dockerfile, instruction, _message(present, lines))
            for tool in new:
                lines.setdefault(tool, instruction.start_line)
            present |= new
        ends[stage.index] = present


def _message(present: set[str], lines: dict[str, int]) -> str:
    earlier = sorted(tool for tool in present if tool in lines)
    since = f" ({earlier[0]} since line {lines[earlier[0]]})" if earlier else ""
    return f"curl and wget are both used or installed in this stage{since}"
