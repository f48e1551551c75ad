"""An image known only by its description (config, layers, history) whose layer analyses are
all in a layer store: what a Sievert server assembles for `sievert scan --server`."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import BinaryIO

from sievert.errors import LayerError
from sievert.model import ImageMetadata, LayerInfo
from sievert.source.base import OpenedImage


class DescribedImage(OpenedImage):
    """Metadata only: every layer must come from the store; none can be read."""

    def __init__(self, metadata: ImageMetadata) -> None:
        self.metadata = metadata

    def open_layer(self, layer: LayerInfo) -> AbstractContextManager[BinaryIO]:
        """Refused: the layer's analysis was expected in the store (it never travels here)."""
        raise LayerError(
            layer.diff_id or layer.digest, "its analysis is not on the server (send it again)"
        )
