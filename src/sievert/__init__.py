"""Sievert: container image security scanner.

Python API (the CLI prints exactly these results):

- `sievert.inventory(target, ...)` -> `sievert.model.Inventory`
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from sievert.api import inventory

__all__ = ["__version__", "inventory"]


def __getattr__(name: str) -> Any:
    """Load the API lazily, so importing a low-level module stays cheap."""
    if name == "inventory":
        from sievert import api

        return api.inventory
    raise AttributeError(f"module 'sievert' has no attribute {name!r}")
