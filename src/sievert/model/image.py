"""What an image is, independent of where it came from."""

from __future__ import annotations

import msgspec


class Platform(msgspec.Struct, frozen=True):
    """An OCI platform: os/architecture[/variant]."""

    os: str = "linux"
    architecture: str = "amd64"
    variant: str = ""

    @classmethod
    def parse(cls, text: str) -> Platform:
        """Parse `os/arch[/variant]`; raises ValueError on another shape."""
        parts = text.strip().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise ValueError(f"platform {text!r} is not os/arch[/variant]")
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else "")

    def __str__(self) -> str:
        base = f"{self.os}/{self.architecture}"
        return f"{base}/{self.variant}" if self.variant else base


class LayerInfo(msgspec.Struct, frozen=True):
    """One filesystem layer: its blob digest, uncompressed diff_id and the history line."""

    index: int
    digest: str
    diff_id: str
    size: int
    media_type: str
    created_by: str = ""
    created: str = ""
    comment: str = ""


class ImageMetadata(msgspec.Struct, frozen=True):
    """Manifest and config facts of one image (one platform)."""

    reference: str
    source_kind: str
    manifest_digest: str = ""
    config_digest: str = ""
    repo_tags: tuple[str, ...] = ()
    repo_digests: tuple[str, ...] = ()
    platform: Platform = msgspec.field(default_factory=Platform)
    layers: tuple[LayerInfo, ...] = ()
    created: str = ""
    user: str = ""
    env: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    working_dir: str = ""
    exposed_ports: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    history: tuple[tuple[str, bool], ...] = ()
    """(created_by, empty_layer) for every history entry, in order."""

    @property
    def size(self) -> int:
        """Sum of the layers' blob sizes."""
        return sum(layer.size for layer in self.layers)
