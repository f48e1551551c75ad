"""Base image advice: scan newer tags of the base image's line and recommend the best one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from sievert.errors import ImageFormatError, TargetNotFoundError, UsageError
from sievert.model.advice import BaseAdvice
from sievert.model.finding import Finding, ScanResult
from sievert.model.reference import Reference, parse_reference
from sievert.pipeline.gate import open_base
from sievert.pipeline.inventory import InventoryOptions, take_inventory
from sievert.pipeline.match import match_inventory
from sievert.source.detect import split_prefix

if TYPE_CHECKING:
    from sievert.vulndb import VulnDB


class AdviceOptions(msgspec.Struct, frozen=True):
    """How to advise on the base image: how candidates are read, the scope, how many."""

    inventory: InventoryOptions = msgspec.field(default_factory=InventoryOptions)
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
    """`advise` with the database at `db_path` (or the default path) opened for the call."""
    from sievert import vulndb

    with vulndb.open(db_path) as db:
        return advise(result, base_ref, db, options)


def advise(
    result: ScanResult, base_ref: str, db: VulnDB, options: AdviceOptions | None = None
) -> BaseAdvice:
    """Scan the newer tags of the base image's line and recommend the one that leaves the fewest
    findings, compared with the findings of the packages the image's base layers introduced.

    The base is `base_ref` (a registry image), else the one the image's OCI base annotation
    names; UsageError when there is neither."""
    from sievert.policy.advice import candidate_tags, compare, finding_keys, parse_tag, recommend
    from sievert.source.registry import list_tags

    opts = options or AdviceOptions()
    base_ref = base_ref or _annotated_base(result)
    ref = registry_reference(base_ref)
    listed = list_tags(str(ref), opts.inventory.source)
    tags = candidate_tags(ref.tag, listed, opts.scope, opts.limit)
    notes: list[str] = []
    if parse_tag(ref.tag) is None:
        notes.append(f"{ref.tag}: the tag has no version to compare other tags with")
    elif not tags:
        notes.append(f"{ref.name} has no newer tag of the line of {ref.tag} (scope {opts.scope})")
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
        candidates.append(compare(tag, match_inventory(inventory, db).findings, keys, target))
    chosen = recommend(current, candidates)
    return BaseAdvice(
        current, tuple(candidates), chosen, base_ref, opts.scope, method, tuple(notes)
    )


def _annotated_base(result: ScanResult) -> str:
    """The base reference of the OCI base annotation; UsageError when there is none."""
    from sievert.policy.base_image import base_from_annotations

    annotated = base_from_annotations(result.inventory.image)
    if annotated is not None and annotated.reference != annotated.digest:
        return annotated.reference
    raise UsageError(
        "--base-advice needs --base REF (a registry image) or an image annotated with "
        "org.opencontainers.image.base.name"
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
    from sievert.policy.base_image import base_from_layers

    target = f"registry:{ref}"
    layers = _verdict_base_layers(result, ref)
    if layers <= 0:
        known = open_base(target, opts.source)
        base = base_from_layers(result.inventory.image, known, target)
        layers = base.layers if base is not None else 0
    if layers > 0:
        own = tuple(f for f in result.findings if 0 <= f.package.introduced_by < layers)
        return own, "layers"
    return match_inventory(take_inventory(target, opts), db).findings, "base-scan"


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
