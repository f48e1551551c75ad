"""Scan a target: one layer walk feeds the catalogers, the image checks and the secret scanner;
the inventory is matched against the vulnerability database."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sievert.catalog.capture import WalkExtras
from sievert.catalog.distro import with_codename
from sievert.model import Inventory, Notice
from sievert.model.checks import LayerSource
from sievert.model.finding import ScanResult
from sievert.pipeline.dockerfile import dockerfile_context
from sievert.pipeline.inventory import InventoryOptions, walk

if TYPE_CHECKING:
    from sievert.checks.image import ImageCheckConfig
    from sievert.checks.secrets import SecretConfig
    from sievert.vulndb import VulnDB

SCANNERS = ("vuln", "config", "secret")
"""What `scan` can run in its one layer walk: vulnerability matching, image checks, secrets."""


@dataclass(frozen=True)
class ScanOptions:
    """How to scan: inventory options, the database to match against, which scanners run."""

    inventory: InventoryOptions = field(default_factory=InventoryOptions)
    db_path: Path | None = None
    scanners: tuple[str, ...] = ("vuln",)
    secret_config: SecretConfig | None = None
    image_config: ImageCheckConfig | None = None
    dockerfile: Path | None = None
    """The image's Dockerfile: its rules run too, and layers are mapped to its instructions."""


def scan(target: str, options: ScanOptions | None = None, db: VulnDB | None = None) -> ScanResult:
    """Take an image's inventory and match it against the vulnerability database; with the
    'config' and 'secret' scanners also check the image and look for secrets, in the same walk.

    `db` is an open database to match against (a service keeps one open); without it the
    database at `options.db_path` (or the default path) is opened for this scan."""
    from sievert import vulndb  # the database and matcher load only when scanning

    opts = options or ScanOptions()
    if "vuln" not in opts.scanners:
        return _scan_walk(target, opts, None)
    if db is not None:
        return _scan_walk(target, opts, db)
    with vulndb.open(opts.db_path) as opened:  # fail fast when there is no database
        return _scan_walk(target, opts, opened)


def _scan_walk(target: str, opts: ScanOptions, db: VulnDB | None) -> ScanResult:
    from sievert.checks.image import CAPTURE_GLOBS as IMAGE_CHECK_GLOBS
    from sievert.checks.image import check_image
    from sievert.checks.secrets import SecretConfig, SecretScanner

    secrets = SecretScanner(opts.secret_config or SecretConfig())
    extra = WalkExtras()
    if "config" in opts.scanners:
        extra = replace(extra, globs=IMAGE_CHECK_GLOBS)
    if "secret" in opts.scanners:
        extra = replace(extra, extractors=(secrets.extractor(),), versions=(secrets.version,))
    walked = walk(target, opts.inventory, extra)
    result = (
        match_inventory(walked.inventory, db)
        if db is not None
        else ScanResult(walked.inventory, ())
    )
    image = walked.inventory.image
    config_findings = (
        check_image(image, walked.view, opts.image_config) if "config" in opts.scanners else ()
    )
    secret_findings = (
        secrets.findings(walked.extracts, walked.view) if "secret" in opts.scanners else ()
    )
    scanners = tuple(s for s in SCANNERS if s in opts.scanners)
    sources: tuple[LayerSource, ...] = ()
    if opts.dockerfile is not None:
        dockerfile_findings, sources = dockerfile_context(opts.dockerfile, image.history)
        config_findings = (*dockerfile_findings, *config_findings)
    return replace(
        result,
        config_findings=config_findings,
        secret_findings=secret_findings,
        scanners=scanners,
        layer_sources=sources,
    )


def scan_inventory(inventory: Inventory, db_path: Path | None = None) -> ScanResult:
    """Match an inventory taken elsewhere (e.g. read from an SBOM) against the database file."""
    from sievert import vulndb

    with vulndb.open(db_path) as db:
        return match_inventory(replace(inventory, distro=with_codename(inventory.distro)), db)


def match_inventory(inventory: Inventory, db: VulnDB) -> ScanResult:
    """Match an inventory against an open database: the findings and the database's status."""
    from sievert.match.engine import match_inventory as match

    findings, notices = match(inventory, db)
    status = db.status()
    warnings = tuple(Notice(text, str(db.path)) for text in status.warnings())
    return ScanResult(
        inventory=inventory,
        findings=findings,
        db_built=status.built_at,
        db_sources=tuple((s.name, s.status) for s in status.sources),
        notices=(*warnings, *notices),
    )
