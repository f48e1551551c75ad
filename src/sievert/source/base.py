"""The `Source` contract: a target resolves to an opened image whose layers can be indexed."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol

from sievert.model import ImageMetadata, LayerInfo, Platform
from sievert.source.layerindex import LayerIndex


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """How to open a target: platform choice, registry switches, limits."""

    platform: Platform = field(default_factory=Platform)
    insecure_registry: bool = False
    username: str = ""
    password: str = ""
    timeout: float = 60.0


@dataclass(frozen=True, slots=True)
class Extractor:
    """Reduces a (possibly large) file to a small summary during the walk, e.g. Go build info.

    The walk reads files matching `globs` (executables only when `executable_only`; only those
    starting with `magic` when set), calls `reduce(path, data)` and keeps its non-None result.
    """

    name: str
    globs: tuple[str, ...]
    reduce: Callable[[str, bytes], bytes | None]
    executable_only: bool = False
    magic: bytes = b""
    max_size: int = 512 * 1024 * 1024


def run_extractors(
    extractors: Sequence[Extractor], path: str, data: bytes, notice: Callable[[str], None]
) -> dict[str, bytes]:
    """Each extractor's summary of one file; a failing extractor becomes a notice, not a crash."""
    summaries: dict[str, bytes] = {}
    for extractor in extractors:
        if not data.startswith(extractor.magic):
            continue
        try:
            summary = extractor.reduce(path, data)
        except Exception as exc:  # a hostile file must not stop the scan
            notice(f"{path}: {extractor.name} could not read it ({exc!r:.200})")
            continue
        if summary is not None:
            summaries[extractor.name] = summary
    return summaries


@dataclass(frozen=True, slots=True)
class CaptureSpec:
    """Which files' bytes to keep while walking a layer, and the size bounds."""

    globs: tuple[str, ...]
    version: str
    """Digest of globs and analyzer versions: part of the layer-cache key."""
    max_file_size: int = 64 * 1024 * 1024
    """Captured files larger than this are skipped with a notice."""
    max_layer_size: int = 64 * 1024 * 1024 * 1024
    """Uncompressed bytes read from one layer before it is refused as a bomb."""
    max_entries: int = 2_000_000
    """Tar members in one layer before it is refused."""
    extractors: tuple[Extractor, ...] = ()


class LayerCacheLike(Protocol):
    """What an opened image needs from the layer cache."""

    def get(self, diff_id: str, spec: CaptureSpec) -> LayerIndex | None:
        """The cached index of a layer, or None."""
        ...

    def put(self, diff_id: str, spec: CaptureSpec, index: LayerIndex) -> None:
        """Store a layer's index."""
        ...


Progress = Callable[[LayerInfo, str], None]
"""Called with a layer and a short status word ('cached', 'reading', 'done')."""


class OpenedImage(ABC):
    """An image resolved to one platform: its metadata and a way to read its layers."""

    metadata: ImageMetadata

    @abstractmethod
    def open_layer(self, layer: LayerInfo) -> AbstractContextManager[BinaryIO]:
        """The layer's *uncompressed* tar stream (compression detected, digest checked at EOF)."""

    def layer_indexes(
        self, spec: CaptureSpec, cache: LayerCacheLike | None, progress: Progress | None = None
    ) -> Iterator[tuple[LayerInfo, LayerIndex]]:
        """Index every layer in order, reading each at most once and none that is cached."""
        from sievert.source.tarwalk import index_tar

        for layer in self.metadata.layers:
            cached = cache.get(layer.diff_id, spec) if cache and layer.diff_id else None
            if cached is not None:
                if progress:
                    progress(layer, "cached")
                yield layer, cached
                continue
            if progress:
                progress(layer, "reading")
            with self.open_layer(layer) as stream:
                index = index_tar(stream, spec, layer)
            if cache and layer.diff_id:
                cache.put(layer.diff_id, spec, index)
            if progress:
                progress(layer, "done")
            yield layer, index

    def close(self) -> None:  # noqa: B027  (most sources hold nothing to release)
        """Release files and connections."""


class Source(Protocol):
    """A kind of target (docker-archive, oci-dir, registry, ...)."""

    kind: str
    """The prefix that forces it: 'docker-archive', 'oci-dir', 'oci-archive', 'registry', ..."""

    def claims(self, target: str) -> bool:
        """Whether an unprefixed target looks like this kind (used for auto-detection)."""
        ...

    def open(self, target: str, options: SourceOptions) -> OpenedImage:
        """Resolve the target to one image; raises TargetNotFoundError / ImageFormatError."""
        ...


def platforms_text(platforms: Sequence[Platform]) -> str:
    """'linux/amd64, linux/arm64/v8' for error messages."""
    return ", ".join(str(p) for p in platforms) or "none"
