"""Base image detection: which image this one was built on and how many layers came from it.

The pipeline opens a known base image and hands its metadata in; this module reads no image.
Three sources, strongest first:
- a known image given as the base (`--base TARGET`): its diff_ids must be the image's first
  diff_ids; the reference and the exact layer count follow;
- the Dockerfile's final `FROM` (following stage aliases): the reference; the layer count is the
  image's layers below the first one the final stage's instructions made (matched through the
  history), else the image's layers minus the final stage's RUN/COPY/ADD count;
- the OCI annotations `org.opencontainers.image.base.name` / `.base.digest`: the reference only.
"""

from __future__ import annotations

from sievert.checks.dockerfile.layers import map_layers
from sievert.checks.dockerfile.syntax import Dockerfile
from sievert.model.image import ImageMetadata
from sievert.policy.context import BaseImage

BASE_NAME = "org.opencontainers.image.base.name"
BASE_DIGEST = "org.opencontainers.image.base.digest"
LAYER_INSTRUCTIONS = ("RUN", "COPY", "ADD")


def base_from_layers(image: ImageMetadata, base: ImageMetadata, name: str = "") -> BaseImage | None:
    """The base when all of its diff_ids are the image's first diff_ids, else None."""
    base_ids = [layer.diff_id for layer in base.layers]
    image_ids = [layer.diff_id for layer in image.layers]
    if not base_ids or image_ids[: len(base_ids)] != base_ids:
        return None
    reference = name or (base.repo_tags[0] if base.repo_tags else base.reference)
    return BaseImage(reference, base.manifest_digest, len(base_ids), "layers")


def base_from_annotations(image: ImageMetadata) -> BaseImage | None:
    """The base named by the OCI base annotations (layer count unknown)."""
    found = dict(image.annotations)
    labels = dict(image.labels)
    name = found.get(BASE_NAME) or labels.get(BASE_NAME, "")
    digest = found.get(BASE_DIGEST) or labels.get(BASE_DIGEST, "")
    if not name and not digest:
        return None
    return BaseImage(name or digest, digest, -1, "annotation")


def final_base(dockerfile: Dockerfile) -> str:
    """The image the final stage builds on, following `FROM stage` aliases."""
    stage = dockerfile.final_stage
    while stage.base_stage >= 0:
        stage = dockerfile.stages[stage.base_stage]
    return stage.base


def own_layer_count(dockerfile: Dockerfile) -> int:
    """The layers the final stage adds (its and its parent stages' RUN, COPY and ADD)."""
    stage = dockerfile.final_stage
    count = 0
    while True:
        count += sum(1 for i in stage.instructions if i.keyword in LAYER_INSTRUCTIONS)
        if stage.base_stage < 0:
            return count
        stage = dockerfile.stages[stage.base_stage]


def base_from_dockerfile(image: ImageMetadata, dockerfile: Dockerfile) -> BaseImage:
    """The base named by the final FROM, with the layer count from history or counting."""
    reference = final_base(dockerfile)
    if reference.lower() == "scratch":
        return BaseImage("scratch", "", 0, "dockerfile")
    own = own_layer_count(dockerfile)
    mapped = map_layers(dockerfile, image.history)
    if mapped:
        final = sum(
            1 for i in dockerfile.final_stage.instructions if i.keyword in LAYER_INSTRUCTIONS
        )
        layers = min(mapped) - (own - final)
    else:
        layers = len(image.layers) - own
    return BaseImage(reference, "", layers if layers >= 0 else -1, "dockerfile")


def detect_base(
    image: ImageMetadata,
    *,
    dockerfile: Dockerfile | None = None,
    known: ImageMetadata | None = None,
    known_name: str = "",
) -> BaseImage | None:
    """The base image from a known image's layers, the Dockerfile, or the annotations."""
    if known is not None:
        matched = base_from_layers(image, known, known_name)
        if matched is not None:
            return matched
    from_file = base_from_dockerfile(image, dockerfile) if dockerfile is not None else None
    annotated = base_from_annotations(image)
    if from_file is not None:
        digest = annotated.digest if annotated else ""
        return BaseImage(from_file.reference, digest, from_file.layers, from_file.method)
    return annotated
