"""The only place that wires stages: target -> layers -> file view -> catalogers -> Inventory."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sievert import dirs
from sievert.catalog.base import CatalogContext, Cataloger, CatalogResult
from sievert.catalog.distro import DEBIAN_CODENAMES, DISTRO_GLOBS, detect_distro
from sievert.catalog.registry import CATALOGERS
from sievert.errors import ImageFormatError, ParseError, TargetNotFoundError, UsageError
from sievert.model import Distro, Inventory, LayerInfo, Notice, Package
from sievert.model.advice import BaseAdvice
from sievert.model.checks import CheckFinding, LayerSource
from sievert.model.finding import Finding, ScanResult
from sievert.source.base import CaptureSpec, Extractor, SourceOptions
from sievert.source.cache import DEFAULT_MAX_BYTES, LayerCache
from sievert.source.detect import open_target, split_prefix
from sievert.source.reference import Reference, parse_reference
from sievert.source.view import FileView, compile_globs

if TYPE_CHECKING:
    from sievert.checks.image import ImageCheckConfig
    from sievert.checks.secrets import SecretConfig
    from sievert.vulndb import VulnDB

WALK_VERSION = "1"
"""Bumped when what the layer walk records changes (part of the cache key)."""


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


def capture_spec(
    catalogers: Sequence[Cataloger],
    extra: WalkExtras | None = None,
) -> CaptureSpec:
    """The files to capture for these catalogers (and scanners' extras), and a version naming
    that choice."""
    more = extra or WalkExtras()
    globs = tuple(sorted({*DISTRO_GLOBS, *(g for c in catalogers for g in c.globs), *more.globs}))
    extractors = (*(x for c in catalogers for x in extractors_of(c)), *more.extractors)
    names = sorted(f"{c.name}:{c.version}" for c in catalogers)
    extractor_names = sorted(f"{x.name}:{','.join(x.globs)}" for x in extractors)
    lines = [WALK_VERSION, *globs, *names, *extractor_names, *more.versions]
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return CaptureSpec(globs=globs, version=digest[:16], extractors=extractors)


def active_catalogers(catalogers: Sequence[Cataloger], source_kind: str) -> list[Cataloger]:
    """Catalogers for this kind of target: lockfile catalogers only for directories."""
    scope = "directory" if source_kind == "dir" else "image"
    return [c for c in catalogers if scope in getattr(c, "scopes", ("image", "directory"))]


OS_TYPES = frozenset({"deb", "apk", "rpm"})
UNPACKAGED_CATALOGER = "binary-version"


def assign_owners(packages: Sequence[Package]) -> tuple[Package, ...]:
    """Mark language packages whose files an OS package owns; drop owned unpackaged binaries."""
    owners: dict[str, str] = {}
    for package in packages:
        if package.type in OS_TYPES:
            for path in package.files:
                owners.setdefault(path, package.purl)
    result: list[Package] = []
    for package in packages:
        owner = "" if package.type in OS_TYPES else _owner(package, owners)
        if owner and package.cataloger == UNPACKAGED_CATALOGER:
            continue
        result.append(replace(package, owner=owner) if owner else package)
    return tuple(result)


def select_pkg_types(
    packages: Sequence[Package], pkg_types: tuple[str, ...]
) -> tuple[Package, ...]:
    """Only the packages of the chosen groups: 'os' (deb, apk, rpm) and 'library' (the rest)."""
    keep_os, keep_library = "os" in pkg_types, "library" in pkg_types
    return tuple(p for p in packages if (keep_os if p.type in OS_TYPES else keep_library))


def _owner(package: Package, owners: dict[str, str]) -> str:
    for location in package.locations:
        owner = owners.get(location.path)
        if owner:
            return owner
    return ""


def extractors_of(cataloger: Cataloger) -> tuple[Extractor, ...]:
    """A cataloger's extractors (optional attribute `extractors`)."""
    return tuple(getattr(cataloger, "extractors", ()))


def take_inventory(target: str, options: InventoryOptions | None = None) -> Inventory:
    """Open a target, read each layer once (or from cache) and list its packages."""
    return _walk(target, options or InventoryOptions()).inventory


@dataclass(frozen=True)
class WalkExtras:
    """What scanners other than the catalogers add to the single layer walk."""

    globs: tuple[str, ...] = ()
    extractors: tuple[Extractor, ...] = ()
    versions: tuple[str, ...] = ()
    """Names and versions of the scanners' rules: they change the capture spec's version."""


@dataclass
class _Walked:
    inventory: Inventory
    view: FileView
    extracts: list[tuple[LayerInfo, dict[str, dict[str, bytes]]]]
    """Every layer's extractor summaries, before the squash (deleted files included)."""


def _walk(target: str, opts: InventoryOptions, extra: WalkExtras | None = None) -> _Walked:
    image = open_target(target, opts.source)
    catalogers = active_catalogers(opts.catalogers, image.metadata.source_kind)
    spec = replace(capture_spec(catalogers, extra), max_layer_size=opts.max_layer_size)
    cache = _open_cache(opts) if image.metadata.source_kind != "dir" else None
    extracts: list[tuple[LayerInfo, dict[str, dict[str, bytes]]]] = []
    try:
        view = FileView(image.metadata.layers)
        tracker = _IntroductionTracker(catalogers)
        notices: list[Notice] = []
        for layer, index in image.layer_indexes(spec, cache, opts.progress):
            view.apply(layer.index, index)
            notices.extend(index.notices)
            tracker.observe(layer.index, view, view.data_changed)
            extracts.append((layer, index.extracts))
        distro = detect_distro(view)
        packages, catalog_notices = _catalog(view, catalogers, distro, tracker)
    finally:
        image.close()
        if cache is not None:
            cache.close()
    inventory = Inventory(
        image=image.metadata,
        distro=distro,
        packages=select_pkg_types(assign_owners(packages), opts.pkg_types),
        notices=(*notices, *catalog_notices),
        file_count=len(view),
    )
    return _Walked(inventory, view, extracts)


def _open_cache(opts: InventoryOptions) -> LayerCache | None:
    if not opts.use_cache:
        return None
    return LayerCache(opts.cache_dir or dirs.cache_dir(), opts.cache_max_bytes)


def _catalog(
    view: FileView,
    catalogers: Sequence[Cataloger],
    distro: Distro | None,
    tracker: _IntroductionTracker,
) -> tuple[tuple[Package, ...], tuple[Notice, ...]]:
    context = CatalogContext(distro=distro)
    packages: list[Package] = []
    notices: list[Notice] = []
    for cataloger in catalogers:
        result = tracker.last_result(cataloger.name, distro) or cataloger.catalog(view, context)
        notices.extend(result.notices)
        packages.extend(
            replace(p, introduced_by=tracker.introduced(cataloger.name, p)) for p in result.packages
        )
    packages.sort(key=lambda p: (p.type, p.name, p.version, p.arch))
    return tuple(packages), tuple(notices)


class _IntroductionTracker:
    """Finds the layer that introduced each package: from where it stays present to the top."""

    def __init__(self, catalogers: Sequence[Cataloger]) -> None:
        self._catalogers = list(catalogers)
        self._patterns = {
            c.name: compile_globs([*c.globs, *(g for x in extractors_of(c) for g in x.globs)])
            for c in catalogers
        }
        self._since: dict[str, dict[tuple[str, str, str, str], int]] = {}
        self._last: dict[str, tuple[Distro | None, CatalogResult]] = {}

    def observe(self, layer: int, view: FileView, changed: set[str]) -> None:
        """Re-run the catalogers whose files this layer changed; note what appeared or left."""
        context: CatalogContext | None = None
        for cataloger in self._catalogers:
            pattern = self._patterns[cataloger.name]
            if not any(pattern.match(path) for path in changed):
                continue
            context = context or CatalogContext(distro=detect_distro(view))
            result = cataloger.catalog(view, context)
            self._last[cataloger.name] = (context.distro, result)
            keys = {p.key for p in result.packages}
            since = self._since.setdefault(cataloger.name, {})
            for key in list(since):
                if key not in keys:
                    del since[key]
            for key in keys:
                since.setdefault(key, layer)

    def last_result(self, cataloger: str, distro: Distro | None) -> CatalogResult | None:
        """The cataloger's result on its last run, if that run saw the same distro."""
        seen = self._last.get(cataloger)
        return seen[1] if seen is not None and seen[0] == distro else None

    def introduced(self, cataloger: str, package: Package) -> int:
        """The layer index from which the package has been present, or -1."""
        return self._since.get(cataloger, {}).get(package.key, -1)


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


def scan(target: str, options: ScanOptions | None = None) -> ScanResult:
    """Take an image's inventory and match it against the vulnerability database; with the
    'config' and 'secret' scanners also check the image and look for secrets, in the same walk."""
    from sievert import vulndb  # the database and matcher load only when scanning

    opts = options or ScanOptions()
    if "vuln" not in opts.scanners:
        return _scan_walk(target, opts, None)
    with vulndb.open(opts.db_path) as db:  # fail fast when there is no database
        return _scan_walk(target, opts, db)


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
    walked = _walk(target, opts.inventory, extra)
    result = _match(walked.inventory, db) if db is not None else ScanResult(walked.inventory, ())
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


def dockerfile_context(
    path: Path, history: tuple[tuple[str, bool], ...]
) -> tuple[tuple[CheckFinding, ...], tuple[LayerSource, ...]]:
    """The Dockerfile's own findings, and which instruction made each image layer."""
    from sievert.checks.dockerfile.engine import analyze
    from sievert.checks.dockerfile.layers import map_layers
    from sievert.checks.dockerfile.parser import parse_dockerfile

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(f"{path}: cannot read the Dockerfile ({exc})") from exc
    dockerfile = parse_dockerfile(text, str(path))
    sources = tuple(
        LayerSource(index, str(path), ins.start_line, ins.end_line, " ".join(ins.original.split()))
        for index, ins in sorted(map_layers(dockerfile, history).items())
    )
    return tuple(analyze(dockerfile)), sources


def scan_inventory(inventory: Inventory, db_path: Path | None = None) -> ScanResult:
    """Match an inventory taken elsewhere (e.g. read from an SBOM)."""
    from sievert import vulndb

    with vulndb.open(db_path) as db:
        return _match(with_codename(inventory), db)


def with_codename(inventory: Inventory) -> Inventory:
    """Fill a Debian codename an SBOM left out (matching keys Debian data by codename)."""
    distro = inventory.distro
    if distro is None or distro.id != "debian" or distro.codename:
        return inventory
    codename = DEBIAN_CODENAMES.get(distro.version_id.split(".")[0], "")
    return replace(inventory, distro=replace(distro, codename=codename)) if codename else inventory


def _match(inventory: Inventory, db: VulnDB) -> ScanResult:
    from sievert.match.engine import match_inventory

    findings, notices = match_inventory(inventory, db)
    status = db.status()
    return ScanResult(
        inventory=inventory,
        findings=findings,
        db_built=status.built_at,
        db_sources=tuple((s.name, s.status) for s in status.sources),
        notices=notices,
    )


@dataclass(frozen=True)
class PolicyOptions:
    """The policy gate of a scan: policy file, VEX documents, base image, reference and clock."""

    policy: Path
    vex: tuple[Path, ...] = ()
    base: str = ""
    """A known base image (any target) whose layers the scanned image starts with."""
    dockerfile: Path | None = None
    image_ref: str = ""
    """The reference mappings select a policy by (default: the image's tag or the target)."""
    now: date | None = None
    source: SourceOptions = field(default_factory=SourceOptions)


def gate(result: ScanResult, options: PolicyOptions) -> ScanResult:
    """Evaluate a policy (with VEX and base-image knowledge): the result with its verdict set and
    suppressed findings moved into the verdict."""
    from sievert.policy import apply_policy, detect_base, load_policy, load_vex
    from sievert.policy.base import open_base_metadata, read_dockerfile

    document = load_policy(options.policy)
    vex = [load_vex(path) for path in options.vex]
    known = open_base_metadata(options.base, options.source) if options.base else None
    dockerfile = read_dockerfile(options.dockerfile) if options.dockerfile else None
    base = detect_base(
        result.inventory.image, dockerfile=dockerfile, known=known, known_name=options.base
    )
    now = options.now or date.today()
    return apply_policy(result, document, vex, now, base, image_ref=options.image_ref or None)


@dataclass(frozen=True)
class AdviceOptions:
    """How to advise on the base image: how candidates are read, the scope, how many."""

    inventory: InventoryOptions = field(default_factory=InventoryOptions)
    scope: str = "minor"
    """'minor' (same major and minor) or 'major' (same major)."""
    limit: int = 5
    """The newest candidate tags scanned."""


def base_advice(
    result: ScanResult,
    base_ref: str,
    db_path: Path | None = None,
    options: AdviceOptions | None = None,
) -> BaseAdvice:
    """Scan the newer tags of the base image's line and recommend the one that leaves the fewest
    findings, compared with the findings of the packages the image's base layers introduced."""
    from sievert import vulndb
    from sievert.policy.advice import candidate_tags, compare, finding_keys, parse_tag, recommend
    from sievert.source.registry import list_tags

    opts = options or AdviceOptions()
    ref = registry_reference(base_ref)
    listed = list_tags(str(ref), opts.inventory.source)
    tags = candidate_tags(ref.tag, listed, opts.scope, opts.limit)
    notes: list[str] = []
    if parse_tag(ref.tag) is None:
        notes.append(f"{ref.tag}: the tag has no version to compare other tags with")
    elif not tags:
        notes.append(f"{ref.name} has no newer tag of the line of {ref.tag} (scope {opts.scope})")
    with vulndb.open(db_path) as db:
        own, method = _base_findings(result, ref, db, opts.inventory)
        current = compare(ref.tag, own, reference=f"registry:{ref}")
        keys = finding_keys(own)
        candidates = []
        for tag in tags:
            target = f"registry:{ref.name}:{tag}"
            try:
                inventory = take_inventory(target, opts.inventory)
            except (ImageFormatError, TargetNotFoundError) as exc:
                notes.append(f"{tag}: skipped: {exc}")
                continue
            candidates.append(compare(tag, _match(inventory, db).findings, keys, target))
    chosen = recommend(current, candidates)
    return BaseAdvice(
        current, tuple(candidates), chosen, base_ref, opts.scope, method, tuple(notes)
    )


def registry_reference(text: str) -> Reference:
    """The registry reference of a base image (`registry:` prefix optional) with a tag;
    UsageError for other targets."""
    kind, rest = split_prefix(text)
    if (kind and kind != "registry") or (not kind and Path(text).exists()):
        raise UsageError(f"base image advice needs a registry image, not {text!r}")
    ref = parse_reference(rest)
    if not ref.tag:
        raise UsageError(f"base image advice needs a tag to compare: {text!r} names a digest only")
    return ref


def _base_findings(
    result: ScanResult, ref: Reference, db: VulnDB, opts: InventoryOptions
) -> tuple[tuple[Finding, ...], str]:
    """The findings of the image's base layers ('layers'), else of the base scanned on its own
    ('base-scan': the image does not start with the base's layers)."""
    from sievert.policy.base import base_from_layers, open_base_metadata

    target = f"registry:{ref}"
    layers = _verdict_base_layers(result, ref)
    if layers <= 0:
        known = open_base_metadata(target, opts.source)
        base = base_from_layers(result.inventory.image, known, target)
        layers = base.layers if base is not None else 0
    if layers > 0:
        own = tuple(f for f in result.findings if 0 <= f.package.introduced_by < layers)
        return own, "layers"
    return _match(take_inventory(target, opts), db).findings, "base-scan"


def _verdict_base_layers(result: ScanResult, ref: Reference) -> int:
    """The base layer count the policy gate found for this base, else 0."""
    verdict = result.verdict
    if verdict is None or not verdict.base_image:
        return 0
    try:
        same = registry_reference(verdict.base_image) == ref
    except UsageError:
        return 0
    return verdict.base_layers if same else 0
