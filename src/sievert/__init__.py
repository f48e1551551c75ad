"""Sievert: container image security scanner.

Python API (the CLI prints exactly these results):

- `sievert.inventory(target, ...)` -> `sievert.model.Inventory`
- `sievert.scan(target, db=...)` -> `sievert.model.finding.ScanResult`
- `sievert.vulndb.open(path)` -> `VulnDB` with `.get(id)`, `.search(name, version, ecosystem=...)`
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_API = ("inventory", "scan")
__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    """Load the API lazily, so importing a low-level module stays cheap."""
    if name in _API:
        return getattr(importlib.import_module("sievert.api"), name)
    raise AttributeError(f"module 'sievert' has no attribute {name!r}")
