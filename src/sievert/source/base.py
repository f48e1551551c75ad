"""The `Source` contract: a target resolves to an opened image whose layers can be indexed."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

import msgspec

from sievert.model import ImageMetadata, LayerInfo, Platform
from sievert.model.record import repr_without, shown_fields

if TYPE_CHECKING:  # the walking code loads when a layer is read, not to open an image
    from sievert.source.capture import CaptureSpec
    from sievert.source.layerindex import LayerIndex


SECRET_FIELDS = frozenset({"password", "authorization"})
"""Fields of the options (and of a service job) that no repr shows."""


class SourceOptions(msgspec.Struct, frozen=True):
    """How to open a target: platform choice, registry switches, limits."""

    platform: Platform = msgspec.field(default_factory=Platform)
    insecure_registry: bool = False
    username: str = ""
    password: str = ""
    timeout: float = 60.0
    authorization: str = ""
    """An `Authorization` value sent as it is from the first request (e.g. the "Bearer <token>"
    Harbor hands its scanners); a challenge is still answered when the registry refuses it."""

    def __repr__(self) -> str:
        """The fields but the password and the authorization."""
        return repr_without(self, SECRET_FIELDS)

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        """What rich shows: the fields but the password and the authorization."""
        return shown_fields(self, SECRET_FIELDS)


class LayerCacheLike(Protocol):
    """What an opened image needs from the layer cache."""

    def get(self, diff_id: str, spec: CaptureSpec) -> LayerIndex | None:
        """The cached index of a layer, or None."""
        ...

    def put(
        self, diff_id: str, spec: CaptureSpec, index: LayerIndex, *, last_use: bool = False
    ) -> None:
        """Store a layer's index; `last_use`: the caller reads nothing of it any more (the
        store may then encode it on another thread)."""
        ...


Progress = Callable[[LayerInfo, str], None]
"""Called with a layer and a short status word ('cached', 'reading', 'done')."""

DEFERRED_LAYERS = 2
"""Walked layers whose digest checks (and cache puts) may wait, in a deferred walk: enough for
the next walks to run while the earlier layers are hashed, few enough that the indexes held
for their puts stay bounded (an image of 50 layers of 20,000 files held 50 before)."""

IndexLayer = Callable[[LayerInfo], "tuple[LayerIndex, Callable[[], None]]"]
"""Walks one layer: its index, and the check of its digest (raises DigestMismatchError; it may
wait for hashing still under way). The index must not be used until the check passed."""


def already_checked() -> None:
    """The check of a layer whose digest was verified while it was read."""


def _settle(
    layer: LayerInfo,
    index: LayerIndex,
    check: Callable[[], None],
    spec: CaptureSpec,
    cache: LayerCacheLike | None,
    progress: Progress | None,
    last_use: bool = False,
) -> None:
    """Check a walked layer's digest, then store its index and report it done (`last_use`:
    the consumer is done with the index, as in a deferred walk)."""
    check()
    if cache and layer.diff_id:
        cache.put(layer.diff_id, spec, index, last_use=last_use)
    if progress:
        progress(layer, "done")


class OpenedImage(ABC):
    """An image resolved to one platform: its metadata and a way to read its layers."""

    metadata: ImageMetadata

    @abstractmethod
    def open_layer(self, layer: LayerInfo) -> AbstractContextManager[BinaryIO]:
        """The layer's *uncompressed* tar stream (compression detected, digest checked at EOF)."""

    def layer_indexes(
        self,
        spec: CaptureSpec,
        cache: LayerCacheLike | None,
        progress: Progress | None = None,
        *,
        deferred: bool = False,
    ) -> Iterator[tuple[LayerInfo, LayerIndex]]:
        """Index every layer in order, reading each at most once and none that is cached.

        With `deferred`, a walked layer's index is yielded before its digest is checked (the
        check waits for hashing that may still run on another thread); the checks, and the
        cache put of each walked layer, happen in layer order when more than `DEFERRED_LAYERS`
        wait and for all before the iteration ends, raising there.
        Only for a consumer that uses nothing before the loop ends (the inventory does not;
        a client sending each analysis away as it comes must not defer)."""
        layers = self.metadata.layers
        cached: dict[int, LayerIndex] = {}
        for layer in layers:
            found = cache.get(layer.diff_id, spec) if cache and layer.diff_id else None
            if found is not None:
                cached[layer.index] = found
        todo = [layer for layer in layers if layer.index not in cached]
        with self.layer_walker(todo, spec) as index_layer:
            late: list[tuple[LayerInfo, LayerIndex, Callable[[], None]]] = []
            for layer in layers:
                index = cached.get(layer.index)
                if index is not None:
                    if progress:
                        progress(layer, "cached")
                    yield layer, index
                    continue
                if progress:
                    progress(layer, "reading")
                try:
                    index, check = index_layer(layer)
                except Exception:
                    for _, _, earlier in late:  # a wrong digest further up is the first error
                        earlier()
                    raise
                if deferred:
                    late.append((layer, index, check))
                    if len(late) > DEFERRED_LAYERS:  # memory stays bounded however many layers
                        _settle(*late.pop(0), spec, cache, progress, last_use=True)
                else:
                    _settle(layer, index, check, spec, cache, progress)
                yield layer, index
            for layer, index, check in late:
                _settle(layer, index, check, spec, cache, progress, last_use=True)

    def prepare(self, walk_processes: int = 1) -> None:  # noqa: B027  (most have nothing to do)
        """Start work the walk will need that depends on no capture spec (e.g. hashing layers),
        so that it runs while the catalogers load; `close` stops what the walk did not use.
        `walk_processes` (1 or 2): how many processes may walk layers (sources that can fork
        a walker use it)."""

    def layer_walker(
        self, todo: Sequence[LayerInfo], spec: CaptureSpec
    ) -> AbstractContextManager[IndexLayer]:
        """How the layers in `todo` are indexed (in order): by default one stream each, its
        digest checked when the stream ends (so the check returned has nothing left to do).

        Sources override it to prepare work ahead, e.g. hash later layers while one is walked.
        """
        del todo
        return nullcontext(lambda layer: (self._index_stream(layer, spec), already_checked))

    def _index_stream(self, layer: LayerInfo, spec: CaptureSpec) -> LayerIndex:
        from sievert.source.tarwalk import index_tar

        with self.open_layer(layer) as stream:
            return index_tar(stream, spec, layer)

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
