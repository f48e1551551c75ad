"""SV-DF-001: the final stage runs as root."""

from __future__ import annotations

from collections.abc import Iterator

from sievert.checks.dockerfile.config import CheckConfig
from sievert.checks.dockerfile.rules._base import finding, make_rule
from sievert.checks.dockerfile.syntax import Dockerfile, Instruction
from sievert.model.checks import CheckFinding

RULE = make_rule(
    1,
    "high",
    "Container runs as root",
    "A process running as root inside the container is root on the host if it escapes the "
    "container, and can modify everything in the image at run time.",
    "Create an unprivileged user and end the final stage with `USER name` (or a numeric uid).",
)
ROOT_NAMES = frozenset({"root", "0"})
NONROOT_TAGS = ("nonroot", "rootless")
"""Base image tags known to set a non-root user (distroless `:nonroot`, `*-rootless`)."""


def is_root(user: str) -> bool:
    """`USER root`, `USER 0`, `USER root:group`, `USER 0:0`."""
    return user.split(":", 1)[0].strip() in ROOT_NAMES


def last_user(dockerfile: Dockerfile) -> Instruction | None:
    """The USER in effect in the final stage, following the stages it builds on."""
    stage = dockerfile.final_stage
    seen: set[int] = set()
    while stage.index not in seen:
        seen.add(stage.index)
        users = [i for i in stage.instructions if i.keyword == "USER"]
        if users:
            return users[-1]
        if stage.base_stage < 0:
            return None
        stage = dockerfile.stages[stage.base_stage]
    return None


def base_image(dockerfile: Dockerfile) -> str:
    """The image the final stage ultimately builds on."""
    stage = dockerfile.final_stage
    seen: set[int] = set()
    while stage.base_stage >= 0 and stage.index not in seen:
        seen.add(stage.index)
        stage = dockerfile.stages[stage.base_stage]
    return stage.base


def check(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """No USER in the final stage (unless its base is a known non-root image), or USER root."""
    user = last_user(dockerfile)
    if user is None:
        if any(tag in base_image(dockerfile).lower() for tag in NONROOT_TAGS):
            return
        at = dockerfile.final_stage.from_instruction
        yield finding(RULE, dockerfile, at, "the final stage sets no USER: it runs as root")
    elif is_root(user.expanded):
        yield finding(RULE, dockerfile, user, f"the last USER is {user.expanded.strip()!r}")
