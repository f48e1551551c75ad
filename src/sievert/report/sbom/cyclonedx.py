"""CycloneDX 1.6 JSON (`--format cyclonedx-json`), written directly from the inventory.

The image is `metadata.component` (type `container`, version = manifest digest); the distro is an
`operating-system` component; every package is a `library` component whose Sievert-specific facts
(cataloger, layer, locations...) are `sievert:*` properties. Dependencies: the image depends on
the distro and on every package not owned by another; an owning OS package depends on the
packages it owns. Components, properties and dependencies come out in a deterministic order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

import msgspec

from sievert.model import Distro, ImageMetadata, Inventory, Package
from sievert.report.base import TOOL_NAME, Stamp
from sievert.report.common import layer_by_index, ordered_packages, owners, unique_refs
from sievert.report.licenses import cyclonedx_licenses
from sievert.report.sbom.native import dump

SPEC_VERSION = "1.6"
SCHEMA_URL = "http://cyclonedx.org/schema/bom-1.6.schema.json"
IMAGE_REF = "image"


class BomContext(msgspec.Struct, frozen=True):
    """What component builders share: the image, ordered packages and their bom-refs."""

    inventory: Inventory
    packages: list[Package]
    refs: dict[Package, str]

    @classmethod
    def of(cls, inventory: Inventory) -> BomContext:
        """Order the inventory's packages and give each a unique bom-ref."""
        packages = ordered_packages(inventory)
        return cls(inventory, packages, unique_refs(packages, _base_ref))

    @property
    def image_ref(self) -> str:
        """bom-ref of the image component."""
        return IMAGE_REF

    @property
    def distro_ref(self) -> str | None:
        """bom-ref of the operating-system component, when a distro was found."""
        distro = self.inventory.distro
        return f"os:{distro.id}@{distro.version_id or 'unknown'}" if distro else None


def _base_ref(package: Package) -> str:
    return package.purl or f"sievert:{package.type}/{package.name}@{package.version}"


def bom_document(inventory: Inventory, stamp: Stamp) -> dict[str, Any]:
    """The CycloneDX 1.6 BOM of an inventory as ordered dicts."""
    context = BomContext.of(inventory)
    return {
        "$schema": SCHEMA_URL,
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": stamp.serial.urn,
        "version": 1,
        "metadata": bom_metadata(context, stamp),
        "components": components(context),
        "dependencies": dependencies(context),
    }


def bom_metadata(context: BomContext, stamp: Stamp) -> dict[str, Any]:
    """The `metadata` object: timestamp, the tool and the image as a container component."""
    tool = {"type": "application", "name": TOOL_NAME, "version": stamp.tool_version}
    return {
        "timestamp": stamp.iso_timestamp,
        "tools": {"components": [tool]},
        "component": image_component(context.inventory.image, context.image_ref),
    }


def image_component(image: ImageMetadata, ref: str) -> dict[str, Any]:
    """The image as a `container` component; its version is the manifest digest."""
    component: dict[str, Any] = {"bom-ref": ref, "type": "container", "name": image.reference}
    if image.manifest_digest:
        component["version"] = image.manifest_digest
        hashes = _hashes(image.manifest_digest)
        if hashes:
            component["hashes"] = hashes
    props = [
        ("sievert:image:sourceKind", image.source_kind),
        ("sievert:image:configDigest", image.config_digest),
        ("sievert:image:platform", str(image.platform)),
        ("sievert:image:created", image.created),
        *(("sievert:image:repoTag", tag) for tag in image.repo_tags),
        *(("sievert:image:repoDigest", digest) for digest in image.repo_digests),
        *_layer_properties(image),
    ]
    component["properties"] = _properties(props)
    return component


def _layer_properties(image: ImageMetadata) -> list[tuple[str, str]]:
    props: list[tuple[str, str]] = []
    for layer in image.layers:
        prefix = f"sievert:layer:{layer.index}"
        props += [(f"{prefix}:digest", layer.digest), (f"{prefix}:diffID", layer.diff_id)]
        props += [(f"{prefix}:size", str(layer.size)), (f"{prefix}:createdBy", layer.created_by)]
    return props


def _hashes(digest: str) -> list[dict[str, str]]:
    algorithm, _, content = digest.partition(":")
    names = {"sha256": "SHA-256", "sha384": "SHA-384", "sha512": "SHA-512"}
    if algorithm not in names or not content:
        return []
    return [{"alg": names[algorithm], "content": content}]


def components(context: BomContext) -> list[dict[str, Any]]:
    """The `components` array: the distro first, then every package in order."""
    result: list[dict[str, Any]] = []
    distro = context.inventory.distro
    if distro is not None and context.distro_ref is not None:
        result.append(os_component(distro, context.distro_ref))
    image = context.inventory.image
    result += [package_component(p, context.refs[p], image) for p in context.packages]
    return result


def os_component(distro: Distro, ref: str) -> dict[str, Any]:
    """The distro as an `operating-system` component."""
    component: dict[str, Any] = {"bom-ref": ref, "type": "operating-system", "name": distro.id}
    if distro.version_id:
        component["version"] = distro.version_id
    if distro.pretty_name:
        component["description"] = distro.pretty_name
    props = [
        ("sievert:distro:id", distro.id),
        ("sievert:distro:versionID", distro.version_id),
        ("sievert:distro:codename", distro.codename),
        ("sievert:distro:name", distro.name),
        *(("sievert:distro:idLike", like) for like in distro.id_like),
    ]
    component["properties"] = _properties(props)
    return component


def package_component(package: Package, ref: str, image: ImageMetadata) -> dict[str, Any]:
    """One package as a `library` component."""
    component: dict[str, Any] = {"bom-ref": ref, "type": "library", "name": package.name}
    if package.version:
        component["version"] = package.version
    licenses = cyclonedx_licenses(package.licenses)
    if licenses:
        component["licenses"] = licenses
    if package.purl:
        component["purl"] = package.purl
    component["properties"] = _properties(package_properties(package, image))
    return component


def package_properties(package: Package, image: ImageMetadata) -> list[tuple[str, str]]:
    """Sievert facts about a package as (name, value) pairs, syft-style names."""
    epoch = "" if package.epoch is None else str(package.epoch)
    props = [
        ("sievert:package:type", package.type),
        ("sievert:package:foundBy", package.cataloger),
        ("sievert:package:arch", package.arch),
        ("sievert:package:epoch", epoch),
        ("sievert:package:release", package.release),
        ("sievert:package:sourceName", package.source_name),
        ("sievert:package:sourceVersion", package.source_version),
        ("sievert:package:owner", package.owner),
        ("sievert:package:fileCount", str(len(package.files)) if package.files else ""),
    ]
    layer = layer_by_index(image, package.introduced_by)
    if package.introduced_by >= 0:
        props.append(("sievert:layer:index", str(package.introduced_by)))
    if layer is not None:
        props += [("sievert:layer:digest", layer.digest), ("sievert:layer:diffID", layer.diff_id)]
    for n, loc in enumerate(package.locations):
        props.append((f"sievert:location:{n}:path", loc.path))
        if loc.layer_index >= 0:
            props.append((f"sievert:location:{n}:layerIndex", str(loc.layer_index)))
        props.append((f"sievert:location:{n}:layerDiffID", loc.layer_diff_id))
    props += [(f"sievert:metadata:{key}", value) for key, value in package.metadata]
    return props


def _properties(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in pairs if value]


def dependencies(context: BomContext) -> list[dict[str, Any]]:
    """The `dependencies` array: one entry for every component, image first."""
    owner_of = owners(context.packages)
    owned: dict[Package, list[str]] = {}
    for package in context.packages:
        if package in owner_of:
            owned.setdefault(owner_of[package], []).append(context.refs[package])
    top = [context.refs[p] for p in context.packages if p not in owner_of]
    image_deps = [context.distro_ref, *top] if context.distro_ref else top
    result: list[dict[str, Any]] = [{"ref": context.image_ref, "dependsOn": image_deps}]
    if context.distro_ref:
        result.append({"ref": context.distro_ref, "dependsOn": []})
    for package in context.packages:
        ref = context.refs[package]
        result.append({"ref": ref, "dependsOn": owned.get(package, [])})
    return result


class CycloneDxJsonWriter(msgspec.Struct, frozen=True):
    """Writes a CycloneDX 1.6 JSON SBOM."""

    stamp: Callable[[], Stamp] = msgspec.field(default=Stamp.fresh)
    name: str = "cyclonedx-json"
    media_type: str = "application/vnd.cyclonedx+json; version=1.6"

    def write(self, inventory: Inventory, out: TextIO) -> None:
        """Write the BOM."""
        dump(bom_document(inventory, self.stamp()), out)
