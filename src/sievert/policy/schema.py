"""The published JSON Schema of policy files (`sievert policy schema`)."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any


def schema_text() -> str:
    """The schema document as published."""
    return files("sievert.policy").joinpath("policy.schema.json").read_text(encoding="utf-8")


def schema() -> dict[str, Any]:
    """The schema as a dict."""
    loaded: dict[str, Any] = json.loads(schema_text())
    return loaded
