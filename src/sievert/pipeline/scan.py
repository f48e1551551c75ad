"""Scan a target: one layer walk feeds the catalogers, the image checks and the secret scanner;
the inventory is matched against the vulnerability database; the Dockerfile (read once) adds
its findings; base image advice and the gate finish the result."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
from msgspec.structs import replace

from sievert.errors import UsageError
from sievert.model.scanners import SCANNERS
from sievert.pipeline.dockerfile import read_dockerfile
from sievert.pipeline.inventory import (
    InventoryOptions,
    open_cache,
    prepare_first_run,
    take_inventory,
    walk,
)
from sievert.pipeline.match import match_inventory
from sievert.source.base import OpenedImage
from sievert.source.detect import open_target

if TYPE_CHECKING:  # advice, the gate (policy engine) and the result model load for a scan only
    from sievert.catalog.capture import WalkExtras
    from sievert.checks.dockerfile.syntax import Dockerfile
    from sievert.checks.image import ImageCheckConfig
    from sievert.checks.secrets import SecretConfig, SecretScanner
    from sievert.model import Inventory
    from sievert.model.checks import CheckFinding, LayerSource, SecretFinding
    from sievert.model.finding import ScanResult
    from sievert.pipeline.advice import AdviceOptions
    from sievert.pipeline.gate import Gate
    from sievert.source.cache import LayerCache
    from sievert.vulndb import VulnDB


class ScanOptions(msgspec.Struct, frozen=True):
    """How to scan: inventory options, the database to match against, which scanners run, and
    what finishes the result (base image advice, the gate)."""

    inventory: InventoryOptions = msgspec.field(default_factory=InventoryOptions)
    db_path: Path | None = None
    scanners: tuple[str, ...] = ("vuln",)
    secret_config: SecretConfig | None = None
    image_config: ImageCheckConfig | None = None
    dockerfile: Path | None = None
    """The image's Dockerfile: its rules run too, layers are mapped to its instructions, and the
    gate learns the base image from its final FROM."""
    advice: AdviceOptions | None = None
    """Recommend a newer base image (needs the vuln scanner and a registry base)."""
    gate: Gate | None = None
    """Filters, policy and VEX applied to the result (see `load_gate`)."""


def scan(
    target: str | OpenedImage, options: ScanOptions | None = None, db: VulnDB | None = None
) -> ScanResult:
    """Take an image's inventory and match it against the vulnerability database; with the
    'config' and 'secret' scanners also check the image and look for secrets, in the same walk.

    `db` is an open database to match against (a service keeps one open); without it the
    database at `options.db_path` (or the default path) is opened for this scan."""
    from sievert import vulndb  # the database and matcher load only when scanning

    opts = options or ScanOptions()
    dockerfile = read_dockerfile(opts.dockerfile) if opts.dockerfile is not None else None
    if "vuln" not in opts.scanners:
        return _scan_walk(target, opts, None, dockerfile)
    if db is not None:
        return _scan_walk(target, opts, db, dockerfile)
    with vulndb.open(opts.db_path) as opened:  # fail fast when there is no database
        return _scan_walk(target, opts, opened, dockerfile)


def _scan_walk(
    target: str | OpenedImage, opts: ScanOptions, db: VulnDB | None, dockerfile: Dockerfile | None
) -> ScanResult:
    config_findings: tuple[CheckFinding, ...] = ()
    secret_findings: tuple[SecretFinding, ...] = ()
    image = (
        target if isinstance(target, OpenedImage) else open_target(target, opts.inventory.source)
    )
    with _match_store(image, db, opts.inventory) as store:
        if "config" in opts.scanners or "secret" in opts.scanners:
            inventory, config_findings, secret_findings = _walk_and_check(image, opts)
        else:  # the inventory alone: a rescan reads it from the analysis cache
            inventory = take_inventory(image, opts.inventory)
        from sievert.model.finding import ScanResult

        result = ScanResult(inventory, ()) if db is None else match_inventory(inventory, db, store)
    sources: tuple[LayerSource, ...] = ()
    if dockerfile is not None:
        from sievert.pipeline.dockerfile import dockerfile_context

        dockerfile_findings, sources = dockerfile_context(dockerfile, inventory.image.history)
        config_findings = (*dockerfile_findings, *config_findings)
    result = replace(
        result,
        config_findings=config_findings,
        secret_findings=secret_findings,
        scanners=tuple(s for s in SCANNERS if s in opts.scanners),
        layer_sources=sources,
    )
    return _finish(result, opts, db, dockerfile)


@contextmanager
def _match_store(
    image: OpenedImage, db: VulnDB | None, options: InventoryOptions
) -> Iterator[LayerCache | None]:
    """The cache directory's layer cache, keeping match results when the inventory is read
    through it (not for a `dir:` target, nor with --no-cache or a shared store), opened before
    the walk: the walk's own connection then closes without a WAL checkpoint, and a scan
    syncs the cache file once instead of twice. None without a database or a usable cache.
    On a first run the image is prepared before the cache is created (`prepare_first_run`)."""
    from sievert.errors import CacheError

    store = None
    try:
        prepare_first_run(image, options)
        if db is not None and image.metadata.source_kind != "dir":
            store = open_cache(options)
    except CacheError:
        store = None
    except BaseException:
        image.close()  # the walk that closes it will not run
        raise
    try:
        yield store
    finally:
        if store is not None:
            store.close()


def _walk_and_check(
    target: str | OpenedImage, opts: ScanOptions
) -> tuple[Inventory, tuple[CheckFinding, ...], tuple[SecretFinding, ...]]:
    """One layer walk that also feeds the image checks and the secret scanner."""
    from sievert.checks.image import check_image
    from sievert.checks.secrets import SecretConfig, SecretScanner

    secrets = SecretScanner(opts.secret_config or SecretConfig())
    extra = walk_extras(opts.scanners, secrets)
    walked = walk(target, opts.inventory, extra)
    image = walked.inventory.image
    config_findings = (
        check_image(image, walked.view, opts.image_config) if "config" in opts.scanners else ()
    )
    secret_findings = (
        secrets.findings(walked.extracts, walked.view) if "secret" in opts.scanners else ()
    )
    return walked.inventory, tuple(config_findings), tuple(secret_findings)


def walk_extras(scanners: tuple[str, ...], secrets: SecretScanner) -> WalkExtras:
    """What the image checks and the secret scanner add to the layer walk."""
    from sievert.catalog.capture import WalkExtras
    from sievert.checks.image import CAPTURE_GLOBS as IMAGE_CHECK_GLOBS

    extra = WalkExtras()
    if "config" in scanners:
        extra = replace(extra, globs=IMAGE_CHECK_GLOBS)
    if "secret" in scanners:
        extra = replace(extra, extractors=(secrets.extractor(),), versions=(secrets.version,))
    return extra


def _finish(
    result: ScanResult, opts: ScanOptions, db: VulnDB | None, dockerfile: Dockerfile | None
) -> ScanResult:
    """Base image advice on the whole result, then the gate."""
    if opts.advice is not None:
        from sievert.pipeline.advice import advise

        if db is None:
            raise UsageError("--base-advice needs the vuln scanner")
        base = opts.gate.options.base if opts.gate is not None else ""
        result = replace(result, base_advice=advise(result, base, db, opts.advice))
    if opts.gate is None:
        return result
    from sievert.pipeline.gate import apply_gate

    return apply_gate(result, opts.gate, dockerfile)


def scan_inventory(
    inventory: Inventory,
    options: ScanOptions | Path | None = None,
    db: VulnDB | None = None,
) -> ScanResult:
    """Match an inventory taken elsewhere (e.g. read from an SBOM) and gate it as a scan would.

    `options` may also be just the database path (the earlier signature)."""
    from sievert import vulndb

    opts = options if isinstance(options, ScanOptions) else ScanOptions(db_path=options)
    if opts.advice is not None:
        raise UsageError("--base-advice needs an image TARGET")
    dockerfile = read_dockerfile(opts.dockerfile) if opts.dockerfile is not None else None
    from sievert.catalog.distro import with_codename

    filled = replace(inventory, distro=with_codename(inventory.distro))
    if db is not None:
        return _finish(match_inventory(filled, db), opts, db, dockerfile)
    with vulndb.open(opts.db_path) as opened:
        return _finish(match_inventory(filled, opened), opts, opened, dockerfile)
