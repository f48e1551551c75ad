"""The image's Dockerfile in a scan, read once: its own findings, the instruction behind each
layer, and (through the gate) the base image its final FROM names."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sievert.errors import ParseError

if TYPE_CHECKING:
    from sievert.checks.dockerfile.syntax import Dockerfile
    from sievert.model.checks import CheckFinding, LayerSource


def read_dockerfile(path: Path) -> Dockerfile:
    """Read and parse a Dockerfile; ParseError naming the file when it cannot be read."""
    from sievert.checks.dockerfile.parser import parse_dockerfile, read_text

    try:
        text = read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(f"{path}: cannot read the Dockerfile ({exc})") from exc
    return parse_dockerfile(text, str(path))


def dockerfile_context(
    dockerfile: Dockerfile, history: tuple[tuple[str, bool], ...]
) -> tuple[tuple[CheckFinding, ...], tuple[LayerSource, ...]]:
    """The Dockerfile's own findings, and which instruction made each image layer."""
    from sievert.checks.dockerfile.engine import analyze
    from sievert.checks.dockerfile.layers import map_layers
    from sievert.model.checks import LayerSource

    sources = tuple(
        LayerSource(
            index, dockerfile.path, ins.start_line, ins.end_line, " ".join(ins.original.split())
        )
        for index, ins in sorted(map_layers(dockerfile, history).items())
    )
    return tuple(analyze(dockerfile)), sources
