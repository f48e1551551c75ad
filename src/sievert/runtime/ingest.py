"""`sievert runtime ingest`: Falco's JSON output linked to the containers and images the local
engine knows. Each event line is written back with a `sievert` object: the container's name,
image and image id when the engine runs a container whose id starts with the event's
`container.id` (Falco prints 12 digits), else `{"container": null}`; a line that is not a Falco
event is reported on stderr with its line number and skipped."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from sievert.errors import LimitError, RegistryError
from sievert.limits import jsonload
from sievert.model.runtime import ContainerConfig
from sievert.runtime.engine import ContainerEngine


def known_containers(use_engine: bool) -> list[ContainerConfig]:
    """The engine's running containers; none without an engine (a notice on stderr)."""
    if not use_engine:
        return []
    try:
        with ContainerEngine() as engine:
            return list(engine.running(with_processes=False))
    except RegistryError as exc:
        print(f"sievert: warning: events not linked to containers: {exc}", file=sys.stderr)
        return []


def link(event: dict[str, Any], containers: list[ContainerConfig]) -> dict[str, Any]:
    """The event with its `sievert` link added."""
    fields = event.get("output_fields")
    wanted = str(fields.get("container.id") or "") if isinstance(fields, dict) else ""
    match = next(
        (c for c in containers if wanted and wanted != "host" and c.id.startswith(wanted)), None
    )
    linked: dict[str, Any] = {"container": None}
    if match is not None:
        linked = {
            "container": {"id": match.id, "name": match.name},
            "image": match.image,
            "imageId": match.image_id,
        }
    return {**event, "sievert": linked}


def ingest(text: str, where: str, out: TextIO, use_engine: bool = True) -> int:
    """Write every event linked; the number of lines skipped."""
    containers = known_containers(use_engine)
    skipped = 0
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            event = jsonload.loads(line, f"{where}:{number}")
        except (ValueError, LimitError):
            event = None
        if not isinstance(event, dict) or "rule" not in event or "output" not in event:
            print(
                f"sievert: warning: {where}:{number}: not a Falco JSON event, skipped",
                file=sys.stderr,
            )
            skipped += 1
            continue
        out.write(json.dumps(link(event, containers), ensure_ascii=False) + "\n")
    return skipped
