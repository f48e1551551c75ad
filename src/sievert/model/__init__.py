"""Plain frozen records (`msgspec.Struct`) passed between pipeline stages.

The names below load from their modules on first use (PEP 562), so a command that needs one
kind of record (`scan --help` needs the severity words) does not build every record class."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sievert.lazy import lazy_names

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
__getattr__ = lazy_names(__name__, _HOMES, globals())


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
