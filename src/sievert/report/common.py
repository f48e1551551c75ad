"""Helpers shared by the writers: package order, stable per-document ids, layer look-ups."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable

from sievert.model import ImageMetadata, Inventory, LayerInfo, Package

_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9.-]+")


def ordered_packages(inventory: Inventory) -> list[Package]:
    """The inventory's packages without exact duplicates, in a deterministic order."""
    unique = dict.fromkeys(inventory.packages)
    return sorted(unique, key=package_sort_key)


def package_sort_key(package: Package) -> tuple[str, ...]:
    """Sort key: type, name, version, arch, purl, then first location path."""
    first = package.locations[0].path if package.locations else ""
    return (package.type, package.name, package.version, package.arch, package.purl, first)


def fingerprint(package: Package, length: int = 16) -> str:
    """A stable hex digest of every field of the package."""
    return hashlib.sha256(repr(package).encode("utf-8")).hexdigest()[:length]


def short_digest(digest: str, length: int = 12) -> str:
    """`sha256:0123abcd...` -> the first `length` hex characters ('' stays '')."""
    return digest.partition(":")[2][:length] if ":" in digest else digest[:length]


def safe_id(text: str) -> str:
    """Text reduced to the characters SPDX ids allow (letters, digits, '.', '-')."""
    return _UNSAFE_ID_CHARS.sub("-", text).strip("-") or "x"


def layer_by_index(image: ImageMetadata, index: int) -> LayerInfo | None:
    """The image layer with this index, or None when the index is unknown."""
    if index < 0:
        return None
    for layer in image.layers:
        if layer.index == index:
            return layer
    return None


def unique_refs(
    packages: Iterable[Package], base: Callable[[Package], str], sep: str = ":"
) -> dict[Package, str]:
    """Map each package to `base(package)`, plus `sep` and a fingerprint where bases collide."""
    items = list(packages)
    counts = Counter(base(p) for p in items)
    refs: dict[Package, str] = {}
    taken: set[str] = set()
    for package in items:
        ref = base(package)
        if counts[ref] > 1:
            ref = f"{ref}{sep}{fingerprint(package)}"
        while ref in taken:
            ref = f"{ref}-{fingerprint(package, 8)}"
        taken.add(ref)
        refs[package] = ref
    return refs


def owners(packages: Iterable[Package]) -> dict[Package, Package]:
    """Map each owned package to its owning package (found by purl) in the same list."""
    items = list(packages)
    by_purl: dict[str, Package] = {}
    for package in items:
        if package.purl:
            by_purl.setdefault(package.purl, package)
    result: dict[Package, Package] = {}
    for package in items:
        owner = by_purl.get(package.owner) if package.owner else None
        if owner is not None and owner != package:
            result[package] = owner
    return {p: o for p, o in result.items() if not _in_cycle(p, result)}


def _in_cycle(package: Package, owner_of: dict[Package, Package]) -> bool:
    seen = {package}
    current = owner_of.get(package)
    while current is not None:
        if current in seen:
            return True
        seen.add(current)
        current = owner_of.get(current)
    return False


def metadata_groups(package: Package) -> dict[str, list[str]]:
    """The package's metadata pairs grouped by key, keeping order."""
    groups: dict[str, list[str]] = {}
    for key, value in package.metadata:
        groups.setdefault(key, []).append(value)
    return groups
