"""Take an inventory: open a target, read each layer once (or from cache), run the catalogers.

A rescan of an image whose layers were all analysed before reads the stored analysis of the
whole stack (`sievert.pipeline.analysis`) and loads no cataloger at all."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
from msgspec.structs import replace

from sievert import dirs
from sievert.model import Inventory, LayerInfo, Notice
from sievert.pipeline.analysis import Analysis, analysis_key, decode, encode
from sievert.source.base import LayerCacheLike, OpenedImage, SourceOptions
from sievert.source.cache import DEFAULT_MAX_BYTES, LayerCache, holds_nothing
from sievert.source.detect import open_target

if TYPE_CHECKING:  # the catalogers load only when layers are analysed
    from sievert.catalog.base import Cataloger
    from sievert.catalog.capture import WalkExtras
    from sievert.model import Package
    from sievert.source.capture import CaptureSpec
    from sievert.source.view import FileView


class InventoryOptions(msgspec.Struct, frozen=True):
    """How to take an inventory: source switches, cache, progress reporting."""

    source: SourceOptions = msgspec.field(default_factory=SourceOptions)
    cache_dir: Path | None = None
    use_cache: bool = True
    cache_max_bytes: int = DEFAULT_MAX_BYTES
    progress: Callable[[LayerInfo, str], None] | None = None
    catalogers: Sequence[Cataloger] | None = None
    """The catalogers to run; None: every built-in one (`sievert.catalog.plugins.CATALOGERS`)."""
    max_layer_size: int = 64 * 1024**3
    """Uncompressed bytes one layer may hold before it is refused (decompression bombs)."""
    pkg_types: tuple[str, ...] = ("os", "library")
    """Which groups to report; OS catalogers always run, since they decide ownership."""
    layer_store: LayerCacheLike | None = None
    """A shared store of layer analyses (the service's); used instead of the cache directory."""
    walk_processes: int = 1
    """Processes that may walk layers: 2 lets a source fork a child to walk a share of them
    (the CLI with SIEVERT_WALK_PROCESSES=2 on 2+ cores); 1 walks in this process (the default,
    and always for services and the Python API)."""


def take_inventory(target: str | OpenedImage, options: InventoryOptions | None = None) -> Inventory:
    """Open a target (or take one opened), read each layer once (or from cache) and list its
    packages; with the built-in catalogers and the cache directory, a stack analysed before is
    not analysed again."""
    opts = options or InventoryOptions()
    image = target if isinstance(target, OpenedImage) else open_target(target, opts.source)
    own_cache: LayerCache | None = None
    try:
        prepare_first_run(image, opts)
        own_cache = open_cache(opts) if image.metadata.source_kind != "dir" else None
        key = analysis_key(image.metadata.layers) if own_cache and opts.catalogers is None else None
        analysis = _stored(own_cache, key) if own_cache and key else None
        if analysis is not None and opts.progress:
            for layer in image.metadata.layers:
                opts.progress(layer, "cached")
        if analysis is None:
            analysis = _analyse(image, opts, opts.layer_store or own_cache, None)[0]
            if own_cache and key:
                own_cache.put_analysis(key, encode(analysis))
    finally:
        image.close()
        if own_cache is not None:
            own_cache.close()
    return _inventory(image, analysis, opts)


def prepare_first_run(image: OpenedImage, opts: InventoryOptions) -> None:
    """Prepare the image at once (a docker-archive starts hashing its layers) when no stored
    analysis can spare reading them, as in a first run: before the cache is even created."""
    if not _may_be_stored(opts, image):
        image.prepare(opts.walk_processes)


def _may_be_stored(opts: InventoryOptions, image: OpenedImage) -> bool:
    """Whether the stack's analysis may be in the cache directory (then the layers may not be
    read at all); False when no cache directory was ever created there, as in a first run."""
    if not opts.use_cache or opts.layer_store is not None or opts.catalogers is not None:
        return False
    if image.metadata.source_kind == "dir":
        return False
    return not holds_nothing(opts.cache_dir or dirs.cache_dir())


def _stored(cache: LayerCache, key: str) -> Analysis | None:
    """The stored analysis under key, or None (a damaged one is dropped)."""
    data = cache.get_analysis(key)
    if data is None:
        return None
    try:
        analysis = decode(data)
    except ValueError:
        cache.drop_analysis(key)
        return None
    return analysis


class Walked(msgspec.Struct):
    """What one layer walk yields: the inventory, the squashed view and the extractors' output."""

    inventory: Inventory
    view: FileView
    extracts: list[tuple[LayerInfo, dict[str, dict[str, bytes]]]]
    """Every layer's extractor summaries, before the squash (deleted files included)."""


def walk(
    target: str | OpenedImage, opts: InventoryOptions, extra: WalkExtras | None = None
) -> Walked:
    """The single layer walk of a target (or of an image already opened, e.g. one described
    by a client whose layer analyses are in `opts.layer_store`): inventory plus what the
    scanners' extras captured."""
    image = target if isinstance(target, OpenedImage) else open_target(target, opts.source)
    own_cache: LayerCache | None = None
    try:
        image.prepare(opts.walk_processes)  # before the cache opens: e.g. hashing starts now
        own_cache = open_cache(opts) if image.metadata.source_kind != "dir" else None
        analysis, view, extracts = _analyse(image, opts, opts.layer_store or own_cache, extra)
    finally:
        image.close()
        if own_cache is not None:
            own_cache.close()
    return Walked(_inventory(image, analysis, opts), view, extracts)


def _analyse(
    image: OpenedImage,
    opts: InventoryOptions,
    cache: LayerCacheLike | None,
    extra: WalkExtras | None,
) -> tuple[Analysis, FileView, list[tuple[LayerInfo, dict[str, dict[str, bytes]]]]]:
    """Index every layer (or read its index from cache) and run the catalogers on the view."""
    image.prepare(opts.walk_processes)  # e.g. layer hashing, under way while catalogers load
    from sievert.catalog.distro import detect_distro
    from sievert.catalog.layers import IntroductionTracker, catalog_view
    from sievert.source.view import FileView

    kind = image.metadata.source_kind
    catalogers = walk_catalogers(opts, kind)
    spec = walk_spec(catalogers, opts, extra)
    extracts: list[tuple[LayerInfo, dict[str, dict[str, bytes]]]] = []
    view = FileView(image.metadata.layers)
    tracker = IntroductionTracker(catalogers)
    notices: list[Notice] = []
    for layer, index in image.layer_indexes(spec, cache, opts.progress, deferred=True):
        view.apply(layer.index, index)
        notices.extend(index.notices)
        tracker.observe(layer.index, view, view.data_changed)
        extracts.append((layer, index.extracts))
    distro = detect_distro(view)
    packages, catalog_notices = catalog_view(view, catalogers, distro, tracker)
    analysis = Analysis(
        distro=distro,
        packages=_reconcile(packages, catalogers, kind),
        notices=(*notices, *catalog_notices),
        file_count=len(view),
    )
    return analysis, view, extracts


def walk_catalogers(opts: InventoryOptions, source_kind: str) -> list[Cataloger]:
    """The catalogers a walk of this kind of target runs."""
    from sievert.catalog.capture import active_catalogers
    from sievert.catalog.plugins import CATALOGERS

    chosen = CATALOGERS if opts.catalogers is None else opts.catalogers
    return active_catalogers(chosen, source_kind)


def walk_spec(
    catalogers: Sequence[Cataloger], opts: InventoryOptions, extra: WalkExtras | None
) -> CaptureSpec:
    """What the walk captures for these catalogers and scanners' extras, bounded as asked."""
    from sievert.catalog.capture import capture_spec

    return replace(capture_spec(catalogers, extra), max_layer_size=opts.max_layer_size)


def _inventory(image: OpenedImage, analysis: Analysis, opts: InventoryOptions) -> Inventory:
    from sievert.catalog.ownership import select_pkg_types

    return Inventory(
        image=image.metadata,
        distro=analysis.distro,
        packages=select_pkg_types(analysis.packages, opts.pkg_types),
        notices=analysis.notices,
        file_count=analysis.file_count,
    )


def _reconcile(
    packages: Sequence[Package], catalogers: Sequence[Cataloger], source_kind: str
) -> tuple[Package, ...]:
    """Owners assigned; in an image, declared packages that installed ones supersede dropped."""
    from sievert.catalog.declared import prefer_installed
    from sievert.catalog.ownership import assign_owners

    owned = assign_owners(packages)
    return owned if source_kind == "dir" else prefer_installed(owned, catalogers)


def open_cache(opts: InventoryOptions) -> LayerCache | None:
    """The CLI's layer cache, unless disabled or a shared store replaces it."""
    if not opts.use_cache or opts.layer_store is not None:
        return None
    return LayerCache(opts.cache_dir or dirs.cache_dir(), opts.cache_max_bytes)
