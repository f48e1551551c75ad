"""SV-DF-036: `RUN cd dir && ...` instead of WORKDIR."""

from __future__ import annotations

from collections.abc import Iterator

from sievert.checks.dockerfile.config import CheckConfig
from sievert.checks.dockerfile.rules._base import finding, make_rule, runs
from sievert.checks.dockerfile.syntax import Dockerfile
from sievert.model.checks import CheckFinding

RULE = make_rule(
    36,
    "low",
    "cd in a RUN instead of WORKDIR",
    "A `cd` lasts for one RUN: the next instruction is back in the old directory, which makes "
    "relative paths after it easy to get wrong, and the directory the commands depend on is "
    "hidden in a shell line instead of the image's working directory.",
    "Use `WORKDIR /path` before the RUN (it creates the directory); a `cd` inside a subshell, "
    "`(cd sub && make)`, is fine.",
)


def check(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """A RUN whose script runs `cd` outside a subshell."""
    for _, instruction, found in runs(dockerfile):
        cds = [c for c in found if c.name == "cd" and not c.subshell]
        if cds:
            target = next((a for a in cds[0].argv[1:] if not a.startswith("-")), "~")
            message = f"RUN cd {target}: use WORKDIR {target} instead"
            yield finding(RULE, dockerfile, instruction, message)
