"""Plain frozen dataclasses passed between pipeline stages.

The names below load from their modules on first use (PEP 562), so a command that needs one
kind of record (`scan --help` needs the severity words) does not build every dataclass."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sievert.model.image import ImageMetadata, LayerInfo, Platform
    from sievert.model.inventory import Distro, Inventory, Notice
    from sievert.model.package import FileRecord, Location, Package
    from sievert.model.severity import Severity
    from sievert.model.vuln import (
        Affected,
        CvssScore,
        Exploit,
        RangeEvent,
        VersionRange,
        Vulnerability,
    )

_HOMES = {
    "image": ("ImageMetadata", "LayerInfo", "Platform"),
    "inventory": ("Distro", "Inventory", "Notice"),
    "package": ("FileRecord", "Location", "Package"),
    "severity": ("Severity",),
    "vuln": ("Affected", "CvssScore", "Exploit", "RangeEvent", "VersionRange", "Vulnerability"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    """Load a public name from its submodule on first use."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "Affected",
    "CvssScore",
    "Distro",
    "Exploit",
    "FileRecord",
    "ImageMetadata",
    "Inventory",
    "LayerInfo",
    "Location",
    "Notice",
    "Package",
    "Platform",
    "RangeEvent",
    "Severity",
    "VersionRange",
    "Vulnerability",
]
