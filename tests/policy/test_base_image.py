"""Base image detection: OCI annotations, the Dockerfile's FROM, and layer matching."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from msgspec.structs import replace

from sievert.checks.dockerfile.parser import parse_dockerfile
from sievert.model import ImageMetadata, LayerInfo
from sievert.pipeline.gate import open_base as open_base_metadata
from sievert.policy import BaseImage, detect_base
from sievert.policy.base_image import base_from_layers
from sievert.source.base import SourceOptions
from sievert.source.detect import open_target
from tests.imagebuilder import F, Image, Member, write_oci_layout
from tests.policy.helpers import subjects, verdict_of
from tests.source.registry_fixtures import Registry, start_registry

DIGEST = "sha256:" + "b" * 64


def _image(
    layers: int, history: tuple[tuple[str, bool], ...] = (), **extra: object
) -> ImageMetadata:
    infos = tuple(
        LayerInfo(i, f"sha256:{i:064x}", f"sha256:{i + 100:064x}", 10, "tar") for i in range(layers)
    )
    return replace(ImageMetadata("app:1", "oci-dir", layers=infos, history=history), **extra)  # type: ignore[arg-type]


def test_annotations() -> None:
    annotations = (
        ("org.opencontainers.image.base.name", "docker.io/library/debian:12"),
        ("org.opencontainers.image.base.digest", DIGEST),
    )
    base = detect_base(_image(3, annotations=annotations))
    assert base == BaseImage("docker.io/library/debian:12", DIGEST, -1, "annotation")
    assert detect_base(_image(3)) is None


def test_annotation_reference_with_unknown_layers_never_sets_origin() -> None:
    base = BaseImage("debian:12", "", -1, "annotation")
    assert subjects(verdict_of("{layer_origin: base}", base=base)) == []
    assert subjects(verdict_of("{base_image_in: ['debian:12']}", base=base)) == ["image"]


MULTI_STAGE = """\
ARG DEBIAN=12-slim
FROM golang:1.22 AS build
RUN go build -o /app ./cmd/app
FROM debian:${DEBIAN} AS runtime
RUN apt-get update && apt-get install -y ca-certificates
FROM runtime
COPY --from=build /app /usr/local/bin/app
USER app
"""


def test_dockerfile_final_from_and_layer_count() -> None:
    dockerfile = parse_dockerfile(MULTI_STAGE, "Dockerfile")
    base = detect_base(_image(5), dockerfile=dockerfile)
    # the final stage builds on `runtime`, itself on debian: 2 of the 5 layers are its own
    assert base == BaseImage("debian:12-slim", "", 3, "dockerfile")


def test_dockerfile_layers_matched_through_history() -> None:
    history = (
        ("/bin/sh -c #(nop) ADD file:abc in / ", False),
        ('/bin/sh -c #(nop)  CMD ["bash"]', True),
        ("RUN /bin/sh -c apt-get update && apt-get install -y ca-certificates # buildkit", False),
        ("COPY /app /usr/local/bin/app # buildkit", False),
        ("USER app", True),
    )
    text = "FROM debian:12\nCOPY /app /usr/local/bin/app\nUSER app\n"
    extra = ("RUN /bin/sh -c echo extra # buildkit", False)
    # one layer more than RUN/COPY counting would give: the history places the base exactly
    base = detect_base(
        _image(4, (*history[:3], extra, *history[3:])),
        dockerfile=parse_dockerfile(text, "Dockerfile"),
    )
    assert base is not None and base.layers == 3


def test_dockerfile_scratch_and_annotation_digest() -> None:
    scratch = detect_base(_image(1), dockerfile=parse_dockerfile("FROM scratch\nCOPY a /\n", "D"))
    assert scratch == BaseImage("scratch", "", 0, "dockerfile")
    annotated = _image(2, annotations=(("org.opencontainers.image.base.digest", DIGEST),))
    base = detect_base(annotated, dockerfile=parse_dockerfile("FROM alpine:3.20\nRUN x\n", "D"))
    assert base == BaseImage("alpine:3.20", DIGEST, 1, "dockerfile")


BASE_LAYERS: list[list[Member]] = [
    [F("etc/os-release", "ID=debian\nVERSION_ID=12\n")],
    [F("usr/lib/libssl.so.3", b"\x7fELF")],
]


def _images() -> dict[str, Image | list[Image]]:
    base = Image(BASE_LAYERS)
    app = Image([*BASE_LAYERS, [F("app/main.py", "print('hi')\n")]])
    other = Image([[F("etc/os-release", "ID=alpine\n")], BASE_LAYERS[1]])
    return {"base": base, "app": app, "other": other}


def _metadata(target: str) -> ImageMetadata:
    opened = open_target(target, SourceOptions())
    try:
        return opened.metadata
    finally:
        opened.close()


def test_layer_match_against_a_known_image(tmp_path: Path) -> None:
    layout = write_oci_layout(tmp_path / "layout", _images())
    app = _metadata(f"oci-dir:{layout}:app")
    known = open_base_metadata(f"oci-dir:{layout}:base", SourceOptions())
    base = detect_base(app, known=known, known_name="debian:12")
    assert base is not None
    assert (base.reference, base.layers, base.method) == ("debian:12", 2, "layers")
    assert base.digest == known.manifest_digest
    other = open_base_metadata(f"oci-dir:{layout}:other", SourceOptions())
    assert base_from_layers(app, other) is None
    # not a prefix: falls back to the Dockerfile
    fallback = detect_base(app, known=other, dockerfile=parse_dockerfile("FROM x\nRUN a\n", "D"))
    assert fallback == BaseImage("x", "", 2, "dockerfile")


def test_layer_origin_with_detected_base(tmp_path: Path) -> None:
    layout = write_oci_layout(tmp_path / "layout", _images())
    app = _metadata(f"oci-dir:{layout}:app")
    base = detect_base(app, known=_metadata(f"oci-dir:{layout}:base"))
    assert base is not None and base.layers == 2
    # the small scan's packages: libc6, bash (layer 0); ruby3.1, json (1); requests (2)
    assert subjects(verdict_of("{layer_origin: own}", base=base)) == ["requests"]


@pytest.fixture
def pushed(tmp_path: Path) -> Iterator[Registry]:
    """A registry holding team/base:1 and team/app:1."""
    for registry in start_registry(tmp_path / "registry"):
        images = _images()
        registry.push(tmp_path, {"1": images["base"]}, "team/base")
        registry.push(tmp_path, {"1": images["app"]}, "team/app")
        yield registry


@pytest.mark.registry
def test_layer_match_through_a_registry(pushed: Registry) -> None:
    app = _metadata(f"registry:{pushed.host}/team/app:1")
    ref = f"registry:{pushed.host}/team/base:1"
    base = detect_base(app, known=open_base_metadata(ref, SourceOptions()))
    assert base is not None and base.layers == 2 and base.method == "layers"
    assert base.reference.endswith("team/base:1")
