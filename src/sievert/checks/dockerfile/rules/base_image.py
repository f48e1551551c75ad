"""SV-DF-002..005: base images: latest or no tag, no digest, allow-list, stage references."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

import msgspec

from sievert.checks.dockerfile.config import CheckConfig
from sievert.checks.dockerfile.rules._base import finding, instructions, make_rule
from sievert.checks.dockerfile.syntax import Dockerfile, Instruction, Stage
from sievert.model.checks import CheckFinding

LATEST = make_rule(
    2,
    "medium",
    "Base image uses the latest tag or no tag",
    "`latest` (or no tag) changes under you: builds are not reproducible and an update can "
    "bring breaking or vulnerable content without review.",
    "Use an explicit version tag (`python:3.12-slim`), ideally with a digest.",
)
DIGEST = make_rule(
    3,
    "low",
    "Base image not pinned by digest",
    "A tag can be moved to another image; only a digest names exact content.",
    "Pin the base image: `FROM image:tag@sha256:...`, and let a bot (Renovate, Dependabot) "
    "update the digest.",
)
ALLOWED = make_rule(
    4,
    "high",
    "Base image not in the allowed registries or images",
    "Your configuration limits base images to trusted registries or images.",
    "Use an image from `allowed_registries` or `allowed_images`, or extend the allow-list.",
)
STAGE_REF = make_rule(
    5,
    "medium",
    "COPY --from names an unknown or the current stage",
    "A `--from` that is not an earlier stage is pulled as an image from Docker Hub "
    "(typo-squatting risk); a stage cannot copy from itself.",
    "Name an earlier stage (`FROM ... AS build` then `COPY --from=build`), or a full image "
    "reference with a tag.",
)
DEFAULT_REGISTRY = "docker.io"


class ImageRef(msgspec.Struct, frozen=True):
    """An image reference cut into registry, repository, tag and digest."""

    registry: str
    repository: str
    tag: str
    digest: str

    @property
    def name(self) -> str:
        """`registry/repository` (Docker Hub official images with `library/`)."""
        return f"{self.registry}/{self.repository}"


def parse_ref(text: str) -> ImageRef:
    """Cut an image reference; Docker Hub is the default registry."""
    rest, _, digest = text.partition("@")
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    tag = rest[colon + 1 :] if colon > slash else ""
    path = rest[:colon] if colon > slash else rest
    first, _, remainder = path.partition("/")
    if remainder and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first.lower(), remainder
    else:
        registry, repository = DEFAULT_REGISTRY, path
    if registry == DEFAULT_REGISTRY and "/" not in repository:
        repository = f"library/{repository}"
    return ImageRef(registry, repository, tag, digest)


def _image_stages(dockerfile: Dockerfile) -> Iterator[Stage]:
    """Stages built on an image; not scratch, and not one whose name comes from --build-arg.

    A FROM variable the global ARGs leave without a value stays as written in `base`
    (`python:$TAG`): the image is only known at build time, so it is not judged.
    """
    for stage in dockerfile.stages:
        base = stage.base
        if stage.base_stage < 0 and base and "$" not in base and base.lower() != "scratch":
            yield stage


def check_latest(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """FROM an image with no tag or the `latest` tag, and no digest."""
    for stage in _image_stages(dockerfile):
        ref = parse_ref(stage.base)
        if ref.digest:
            continue
        if ref.tag in ("", "latest"):
            what = "the latest tag" if ref.tag else "no tag (latest)"
            yield finding(LATEST, dockerfile, stage.from_instruction, f"{stage.base} uses {what}")


def check_digest(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """FROM an image without `@sha256:`."""
    for stage in _image_stages(dockerfile):
        if not parse_ref(stage.base).digest:
            message = f"{stage.base} is not pinned by digest"
            yield finding(DIGEST, dockerfile, stage.from_instruction, message)


def allowed(ref: ImageRef, config: CheckConfig) -> bool:
    """In an allowed registry (or registry/path prefix), or an allowed image (name, `*` ok)."""
    for registry in config.allowed_registries:
        prefix = registry.lower().rstrip("/")
        if ref.registry == prefix or ref.name.lower().startswith(prefix + "/"):
            return True
    for pattern in config.allowed_images:
        if fnmatch.fnmatchcase(ref.name, parse_ref(pattern).name):
            return True
    return False


def check_allowed(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """Base images and `COPY --from` images outside the allow-list (only when one is given)."""
    if not config.allowed_registries and not config.allowed_images:
        return
    for stage in _image_stages(dockerfile):
        if not allowed(parse_ref(stage.base), config):
            message = f"{stage.base} is not in the allowed registries or images"
            yield finding(ALLOWED, dockerfile, stage.from_instruction, message)
    for stage, instruction in instructions(dockerfile, "COPY"):
        source = instruction.flag("from")
        if (
            source
            and _external(source, dockerfile, stage)
            and not allowed(parse_ref(source), config)
        ):
            message = f"COPY --from={source} is not in the allowed registries or images"
            yield finding(ALLOWED, dockerfile, instruction, message)


def _external(source: str, dockerfile: Dockerfile, stage: Stage) -> bool:
    """`--from` names an image, not a stage."""
    if source.isdecimal() or dockerfile.stage_named(source, len(dockerfile.stages)) is not None:
        return False
    return any(char in source for char in ":/.@")


def check_stage_refs(dockerfile: Dockerfile, config: CheckConfig) -> Iterator[CheckFinding]:
    """`COPY --from` naming the current stage, a later stage or a bare unknown name."""
    for stage, instruction in instructions(dockerfile, "COPY"):
        source = instruction.flag("from")
        if not source or "$" in source:
            continue
        message = _stage_problem(source, dockerfile, stage, instruction)
        if message:
            yield finding(STAGE_REF, dockerfile, instruction, message)


def _stage_problem(source: str, dockerfile: Dockerfile, stage: Stage, at: Instruction) -> str:
    if source.isdecimal():
        index = int(source)
        return "" if index < stage.index else f"--from={source} is not an earlier stage"
    if stage.name and source.lower() == stage.name:
        return f"--from={source} is the current stage"
    if dockerfile.stage_named(source, stage.index) is not None:
        return ""
    if dockerfile.stage_named(source, len(dockerfile.stages)) is not None:
        return f"--from={source} is a later stage"
    if not any(char in source for char in ":/.@"):
        return f"--from={source} is no stage: it would be pulled as docker.io/library/{source}"
    return ""
