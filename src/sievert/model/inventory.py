"""The result of taking an image's inventory."""

from __future__ import annotations

import msgspec

from sievert.model.image import ImageMetadata
from sievert.model.package import Package


class Notice(msgspec.Struct, frozen=True):
    """A recoverable problem met while reading: the scan went on without this part."""

    message: str
    where: str = ""
    """File path or layer digest the notice is about."""
    level: str = "warning"


class Distro(msgspec.Struct, frozen=True):
    """The operating system release found in the image."""

    id: str
    version_id: str = ""
    codename: str = ""
    name: str = ""
    pretty_name: str = ""
    id_like: tuple[str, ...] = ()

    @property
    def release(self) -> str:
        """The identifier matching uses: codename for Debian/Ubuntu, major.minor for Alpine."""
        if self.id == "alpine":
            parts = self.version_id.split(".")
            return ".".join(parts[:2])
        return self.codename or self.version_id


class Inventory(msgspec.Struct, frozen=True):
    """An image's metadata, distro and packages, with notices of what could not be read."""

    image: ImageMetadata
    distro: Distro | None
    packages: tuple[Package, ...]
    notices: tuple[Notice, ...] = ()
    file_count: int = 0
