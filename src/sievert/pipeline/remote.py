"""A scan split between a client and a server (`sievert scan --server`): the client opens the
image and analyses the layers the server lacks; the server assembles the inventory from the
layer analyses plus the image's description, matches it and runs the image checks.

Both halves capture layers with the same spec, so a layer analysis is keyed the same way in
the CLI's cache, in the uploads and in the server's fleet layer store (diff_id + version)."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from sievert.model import ImageMetadata, LayerInfo
from sievert.model.scanners import SCANNERS
from sievert.pipeline.inventory import InventoryOptions, open_cache, walk_catalogers, walk_spec
from sievert.pipeline.scan import walk_extras
from sievert.source.base import OpenedImage
from sievert.source.cache import LayerCache
from sievert.source.capture import CaptureSpec
from sievert.source.detect import open_target
from sievert.source.layerindex import LayerIndex

SERVER_SCANNERS = SCANNERS
"""What a server runs on every image (its walk captures for all of them)."""


def server_spec(source_kind: str, options: InventoryOptions | None = None) -> CaptureSpec:
    """The capture spec a server's scan walks an image of this kind with."""
    from sievert.checks.secrets import SecretConfig, SecretScanner

    opts = options or InventoryOptions()
    extra = walk_extras(SERVER_SCANNERS, SecretScanner(SecretConfig()))
    return walk_spec(walk_catalogers(opts, source_kind), opts, extra)


class _SkippingCache(msgspec.Struct):
    """The local layer cache, answering a placeholder for layers the server already holds."""

    skip: frozenset[str]
    local: LayerCache | None

    def get(self, diff_id: str, spec: CaptureSpec) -> LayerIndex | None:
        if diff_id in self.skip:
            return LayerIndex(diff_id, ())
        return self.local.get(diff_id, spec) if self.local is not None else None

    def put(
        self, diff_id: str, spec: CaptureSpec, index: LayerIndex, *, last_use: bool = False
    ) -> None:
        if self.local is not None:
            self.local.put(diff_id, spec, index, last_use=last_use)


class LocalHalf:
    """The client's half: the image opened here and its layers analysed as a server would."""

    def __init__(self, target: str, options: InventoryOptions) -> None:
        self.options = options
        self.image: OpenedImage = open_target(target, options.source)
        self.metadata: ImageMetadata = self.image.metadata
        self.spec = server_spec(self.metadata.source_kind, options)

    def analyses(self, server_has: set[str]) -> Iterator[tuple[LayerInfo, LayerIndex]]:
        """Each layer the server lacks, analysed here (or taken from the local cache), once."""
        cache = _SkippingCache(frozenset(server_has), open_cache(self.options))
        sent = set(server_has)
        try:
            for layer, index in self.image.layer_indexes(self.spec, cache, self.options.progress):
                if layer.diff_id in sent:
                    continue
                sent.add(layer.diff_id)
                yield layer, index
        finally:
            if cache.local is not None:
                cache.local.close()

    def close(self) -> None:
        """Release the image."""
        self.image.close()

    def __enter__(self) -> LocalHalf:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
