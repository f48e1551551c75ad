"""Take an inventory: open a target, read each layer once (or from cache), run the catalogers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sievert import dirs
from sievert.catalog.base import Cataloger
from sievert.catalog.capture import WalkExtras, active_catalogers, capture_spec
from sievert.catalog.declared import prefer_installed
from sievert.catalog.distro import detect_distro
from sievert.catalog.layers import IntroductionTracker, catalog_view
from sievert.catalog.ownership import assign_owners, select_pkg_types
from sievert.catalog.plugins import CATALOGERS
from sievert.model import Inventory, LayerInfo, Notice, Package
from sievert.source.base import LayerCacheLike, SourceOptions
from sievert.source.cache import DEFAULT_MAX_BYTES, LayerCache
from sievert.source.detect import open_target
from sievert.source.view import FileView


@dataclass(frozen=True)
class InventoryOptions:
    """How to take an inventory: source switches, cache, progress reporting."""

    source: SourceOptions = field(default_factory=SourceOptions)
    cache_dir: Path | None = None
    use_cache: bool = True
    cache_max_bytes: int = DEFAULT_MAX_BYTES
    progress: Callable[[LayerInfo, str], None] | None = None
    catalogers: Sequence[Cataloger] = CATALOGERS
    max_layer_size: int = 64 * 1024**3
    """Uncompressed bytes one layer may hold before it is refused (decompression bombs)."""
    pkg_types: tuple[str, ...] = ("os", "library")
    """Which groups to report; OS catalogers always run, since they decide ownership."""
    layer_store: LayerCacheLike | None = None
    """A shared store of layer analyses (the service's); used instead of the cache directory."""


def take_inventory(target: str, options: InventoryOptions | None = None) -> Inventory:
    """Open a target, read each layer once (or from cache) and list its packages."""
    return walk(target, options or InventoryOptions()).inventory


@dataclass
class Walked:
    """What one layer walk yields: the inventory, the squashed view and the extractors' output."""

    inventory: Inventory
    view: FileView
    extracts: list[tuple[LayerInfo, dict[str, dict[str, bytes]]]]
    """Every layer's extractor summaries, before the squash (deleted files included)."""


def walk(target: str, opts: InventoryOptions, extra: WalkExtras | None = None) -> Walked:
    """The single layer walk of a target: inventory plus what the scanners' extras captured."""
    image = open_target(target, opts.source)
    catalogers = active_catalogers(opts.catalogers, image.metadata.source_kind)
    spec = replace(capture_spec(catalogers, extra), max_layer_size=opts.max_layer_size)
    own_cache = _open_cache(opts) if image.metadata.source_kind != "dir" else None
    cache = opts.layer_store or own_cache
    extracts: list[tuple[LayerInfo, dict[str, dict[str, bytes]]]] = []
    try:
        view = FileView(image.metadata.layers)
        tracker = IntroductionTracker(catalogers)
        notices: list[Notice] = []
        for layer, index in image.layer_indexes(spec, cache, opts.progress):
            view.apply(layer.index, index)
            notices.extend(index.notices)
            tracker.observe(layer.index, view, view.data_changed)
            extracts.append((layer, index.extracts))
        distro = detect_distro(view)
        packages, catalog_notices = catalog_view(view, catalogers, distro, tracker)
    finally:
        image.close()
        if own_cache is not None:
            own_cache.close()
    inventory = Inventory(
        image=image.metadata,
        distro=distro,
        packages=select_pkg_types(
            _reconcile(packages, catalogers, image.metadata.source_kind), opts.pkg_types
        ),
        notices=(*notices, *catalog_notices),
        file_count=len(view),
    )
    return Walked(inventory, view, extracts)


def _reconcile(
    packages: Sequence[Package], catalogers: Sequence[Cataloger], source_kind: str
) -> tuple[Package, ...]:
    """Owners assigned; in an image, declared packages that installed ones supersede dropped."""
    owned = assign_owners(packages)
    return owned if source_kind == "dir" else prefer_installed(owned, catalogers)


def _open_cache(opts: InventoryOptions) -> LayerCache | None:
    if not opts.use_cache or opts.layer_store is not None:
        return None
    return LayerCache(opts.cache_dir or dirs.cache_dir(), opts.cache_max_bytes)
