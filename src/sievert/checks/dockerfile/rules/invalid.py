"""SV-DF-033: an instruction the builder would reject or could not resolve."""

from __future__ import annotations

from collections.abc import Iterator

from sievert.checks.dockerfile.config import CheckConfig
from sievert.checks.dockerfile.rules._base import make_rule
from sievert.checks.dockerfile.syntax import Dockerfile, Problem
from sievert.model.checks import CheckFinding, Region

RULE = make_rule(
    33,
    "high",
    "Invalid or unresolvable instruction",
    "The builder rejects this instruction (or the whole file), or resolves it to something "
    "other than what is written: `FROM $IMAGE` with an ARG the FROM cannot see builds from an "
    "empty name. The image you review is not the one that gets built, and the other rules "
    "could only check what was readable.",
    "Fix the instruction as the message says: declare FROM variables with an ARG before the "
    "first FROM, use a known instruction, give the arguments it needs, close the heredoc.",
)


def problem_finding(path: str, problem: Problem) -> CheckFinding:
    """The finding of one parse problem of the file at `path`."""
    region = Region(path, problem.start_line, problem.end_line)
    return CheckFinding(RULE, problem.message, region, RULE.severity, instruction=problem.text)


def check(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """Every problem the parser recorded, at its lines."""
    for problem in dockerfile.problems:
        yield problem_finding(dockerfile.path, problem)
