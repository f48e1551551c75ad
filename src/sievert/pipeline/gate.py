"""The policy gate of a scan: policy, VEX and base-image knowledge turned into a verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sievert.model.finding import ScanResult
from sievert.source.base import SourceOptions


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
    from sievert.policy.base_image import open_base_metadata, read_dockerfile

    document = load_policy(options.policy)
    vex = [load_vex(path) for path in options.vex]
    known = open_base_metadata(options.base, options.source) if options.base else None
    dockerfile = read_dockerfile(options.dockerfile) if options.dockerfile else None
    base = detect_base(
        result.inventory.image, dockerfile=dockerfile, known=known, known_name=options.base
    )
    now = options.now or date.today()
    return apply_policy(result, document, vex, now, base, image_ref=options.image_ref or None)
