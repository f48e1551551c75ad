"""The image's Dockerfile in a scan: its own findings and the instruction behind each layer."""

from __future__ import annotations

from pathlib import Path

from sievert.errors import ParseError
from sievert.model.checks import CheckFinding, LayerSource


def dockerfile_context(
    path: Path, history: tuple[tuple[str, bool], ...]
) -> tuple[tuple[CheckFinding, ...], tuple[LayerSource, ...]]:
    """The Dockerfile's own findings, and which instruction made each image layer."""
    from sievert.checks.dockerfile.engine import analyze
    from sievert.checks.dockerfile.layers import map_layers
    from sievert.checks.dockerfile.parser import parse_dockerfile, read_text

    try:
        text = read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(f"{path}: cannot read the Dockerfile ({exc})") from exc
    dockerfile = parse_dockerfile(text, str(path))
    sources = tuple(
        LayerSource(index, str(path), ins.start_line, ins.end_line, " ".join(ins.original.split()))
        for index, ins in sorted(map_layers(dockerfile, history).items())
    )
    return tuple(analyze(dockerfile)), sources
