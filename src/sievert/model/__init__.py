"""Plain frozen dataclasses passed between pipeline stages."""

from sievert.model.image import ImageMetadata, LayerInfo, Platform
from sievert.model.inventory import Distro, Inventory, Notice
from sievert.model.package import FileRecord, Location, Package
from sievert.model.severity import Severity
from sievert.model.vuln import Affected, CvssScore, Exploit, RangeEvent, VersionRange, Vulnerability

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
