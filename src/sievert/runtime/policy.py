"""A policy gate over each audited container: its runtime findings, its image's findings and
the container-wide runtime predicates (see sievert.policy.runtime_predicates)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from msgspec.structs import replace

from sievert.model import ImageMetadata, Inventory
from sievert.model.finding import ScanResult
from sievert.model.runtime import ContainerAudit, RuntimeAudit


def gate_containers(audit: RuntimeAudit, policy: Path, now: date | None = None) -> RuntimeAudit:
    """The audit with each container's policy verdict set; the policy is chosen by the image
    the container runs (the mappings of the policy file)."""
    from sievert.policy import apply_policy, load_policy

    document = load_policy(policy)
    today = now or date.today()
    gated = []
    for entry in audit.containers:
        result = entry.image or _no_image(entry)
        subject = (entry.container, entry.findings)
        decided = apply_policy(
            result, document, [], today, image_ref=entry.container.image, container=subject
        )
        image = decided if entry.image is not None else None
        gated.append(replace(entry, image=image, verdict=decided.verdict))
    return replace(audit, containers=tuple(gated))


def _no_image(entry: ContainerAudit) -> ScanResult:
    """An empty scan result naming the container's image (its image was not scanned)."""
    image = ImageMetadata(reference=entry.container.image, source_kind="docker")
    return ScanResult(Inventory(image=image, distro=None, packages=()), (), scanners=())
