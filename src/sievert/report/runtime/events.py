"""Watch events as JSON lines, in the shape of Falco's `json_output` (so tools that read Falco's
events read Sievert's): `time`, `rule`, `priority`, `output`, `output_fields`, `tags`, `source`
("sievert"), `hostname`."""

from __future__ import annotations

import json
import socket
from typing import Any, TextIO

from sievert.model.runtime import WatchEvent

SOURCE = "sievert"


def event_object(event: WatchEvent, hostname: str = "") -> dict[str, Any]:
    """One event as Falco writes one."""
    return {
        "time": event.time,
        "rule": event.rule,
        "priority": event.priority,
        "output": event.output,
        "output_fields": dict(event.fields),
        "tags": list(event.tags),
        "source": SOURCE,
        "hostname": hostname or socket.gethostname(),
    }


def write_event(event: WatchEvent, out: TextIO) -> None:
    """One JSON line, flushed (a long watch is read as it runs)."""
    out.write(json.dumps(event_object(event), ensure_ascii=False, sort_keys=False) + "\n")
    out.flush()
