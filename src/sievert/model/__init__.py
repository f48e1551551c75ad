"""Plain frozen dataclasses passed between pipeline stages."""

from sievert.model.image import ImageMetadata, LayerInfo, Platform
from sievert.model.inventory import Distro, Inventory, Notice
from sievert.model.package import FileRecord, Location, Package

__all__ = [
    "Distro",
    "FileRecord",
    "ImageMetadata",
    "Inventory",
    "LayerInfo",
    "Location",
    "Notice",
    "Package",
    "Platform",
]
