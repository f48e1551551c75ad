"""The target kinds Sievert can open, in auto-detection order: one explicit list."""

from __future__ import annotations

import importlib

from sievert.source.base import OpenedImage, Source, SourceOptions
from sievert.source.dockerarchive import DockerArchiveSource
from sievert.source.oci import OciArchiveSource, OciDirSource


class LazySource:
    """A source whose module (a registry's HTTP client, a directory walker) is imported only
    when it is consulted."""

    def __init__(self, kind: str, module: str, name: str) -> None:
        self.kind = kind
        self._where = (module, name)
        self._source: Source | None = None

    def _load(self) -> Source:
        if self._source is None:
            module, name = self._where
            self._source = getattr(importlib.import_module(module), name)()
        return self._source

    def claims(self, target: str) -> bool:
        """Delegates to the real source."""
        return self._load().claims(target)

    def open(self, target: str, options: SourceOptions) -> OpenedImage:
        """Delegates to the real source."""
        return self._load().open(target, options)


SOURCES: tuple[Source, ...] = (
    OciDirSource(),
    LazySource("dir", "sievert.source.rootfs", "DirSource"),
    DockerArchiveSource(),
    OciArchiveSource(),
    LazySource("registry", "sievert.source.registry", "RegistrySource"),
    LazySource("docker", "sievert.source.engine", "EngineSource"),
)
"""Every source kind, in auto-detection order (local paths first, then the registry; the engine
claims nothing unprefixed: `docker:` is explicit)."""
