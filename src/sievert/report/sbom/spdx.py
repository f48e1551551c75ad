"""SPDX 2.3 JSON (`--format spdx-json`), written directly from the inventory.

The document DESCRIBES the image package (purpose CONTAINER); the image CONTAINS the distro
(purpose OPERATING-SYSTEM) and every package not owned by another; an owning OS package CONTAINS
the packages it owns. Declared licences become an SPDX expression; free-text licences become
`LicenseRef-*` ids defined in `hasExtractedLicensingInfos`. Files are not analysed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TextIO

import msgspec

from sievert.model import Distro, ImageMetadata, Inventory, Package
from sievert.report.base import TOOL_NAME, Stamp
from sievert.report.common import (
    layer_by_index,
    ordered_packages,
    owners,
    safe_id,
    short_digest,
    unique_refs,
)
from sievert.report.licenses import spdx_expression
from sievert.report.sbom.native import dump

SPDX_VERSION = "SPDX-2.3"
DOCUMENT_ID = "SPDXRef-DOCUMENT"
NOASSERTION = "NOASSERTION"
_PERSON = re.compile(r"^\s*([^<>()]+?)\s*<([^<>()\s]+@[^<>()\s]+)>\s*$")


class SpdxContext(msgspec.Struct, frozen=True):
    """What element builders share: ordered packages, their SPDX ids and the free-text licences."""

    inventory: Inventory
    packages: list[Package]
    ids: dict[Package, str]
    extracted: dict[str, str] = msgspec.field(default_factory=dict)
    """LicenseRef id -> original licence text, filled while packages are built."""

    @classmethod
    def of(cls, inventory: Inventory) -> SpdxContext:
        """Order the inventory's packages and give each a unique SPDXID."""
        packages = ordered_packages(inventory)
        return cls(inventory, packages, unique_refs(packages, _package_id, sep="-"))

    @property
    def image_id(self) -> str:
        """SPDXID of the image package."""
        return "SPDXRef-DocumentRoot-Image"

    @property
    def distro_id(self) -> str | None:
        """SPDXID of the operating-system package, when a distro was found."""
        distro = self.inventory.distro
        return f"SPDXRef-OperatingSystem-{safe_id(distro.id)}" if distro else None


def _package_id(package: Package) -> str:
    return "SPDXRef-Package-" + safe_id(f"{package.type}-{package.name}-{package.version}")[:80]


def spdx_document(inventory: Inventory, stamp: Stamp) -> dict[str, Any]:
    """The SPDX 2.3 document of an inventory as ordered dicts."""
    context = SpdxContext.of(inventory)
    packages = spdx_packages(context)
    name = inventory.image.reference or "image"
    return {
        "spdxVersion": SPDX_VERSION,
        "dataLicense": "CC0-1.0",
        "SPDXID": DOCUMENT_ID,
        "name": name,
        "documentNamespace": f"https://sievert.invalid/spdx/{safe_id(name)}-{stamp.serial}",
        "creationInfo": {
            "created": stamp.iso_timestamp,
            "creators": [f"Tool: {TOOL_NAME}-{stamp.tool_version}"],
        },
        "packages": packages,
        "hasExtractedLicensingInfos": extracted_licensing_infos(context),
        "relationships": relationships(context),
    }


def spdx_packages(context: SpdxContext) -> list[dict[str, Any]]:
    """The `packages` array: image, distro, then every package in order."""
    image = context.inventory.image
    result = [image_package(image, context.image_id)]
    distro = context.inventory.distro
    if distro is not None and context.distro_id is not None:
        result.append(os_package(distro, context.distro_id))
    result += [package_element(p, context) for p in context.packages]
    return result


def _base_element(spdx_id: str, name: str, version: str) -> dict[str, Any]:
    element: dict[str, Any] = {"SPDXID": spdx_id, "name": name}
    if version:
        element["versionInfo"] = version
    element.update(
        supplier=NOASSERTION,
        originator=NOASSERTION,
        downloadLocation=NOASSERTION,
        filesAnalyzed=False,
        licenseConcluded=NOASSERTION,
        licenseDeclared=NOASSERTION,
        copyrightText=NOASSERTION,
    )
    return element


def image_package(image: ImageMetadata, spdx_id: str) -> dict[str, Any]:
    """The image as a package with purpose CONTAINER and its manifest digest as checksum."""
    element = _base_element(spdx_id, image.reference or "image", image.manifest_digest)
    algorithm, _, value = image.manifest_digest.partition(":")
    if algorithm in ("sha256", "sha512") and value:
        element["checksums"] = [{"algorithm": algorithm.upper(), "checksumValue": value}]
    element["primaryPackagePurpose"] = "CONTAINER"
    element["comment"] = f"platform {image.platform}, {len(image.layers)} layers"
    return element


def os_package(distro: Distro, spdx_id: str) -> dict[str, Any]:
    """The distro as a package with purpose OPERATING-SYSTEM."""
    element = _base_element(spdx_id, distro.id, distro.version_id)
    if distro.pretty_name:
        element["description"] = distro.pretty_name
    element["primaryPackagePurpose"] = "OPERATING-SYSTEM"
    return element


def package_element(package: Package, context: SpdxContext) -> dict[str, Any]:
    """One package element; records the free-text licences it uses in the context."""
    element = _base_element(context.ids[package], package.name, package.version)
    element["supplier"] = supplier(package)
    expression, extracted = spdx_expression(package.licenses)
    context.extracted.update(extracted)
    element["licenseDeclared"] = expression
    element["sourceInfo"] = source_info(package, context.inventory.image)
    if package.purl:
        element["externalRefs"] = [
            {
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": package.purl,
            }
        ]
    element["primaryPackagePurpose"] = "LIBRARY"
    return element


def supplier(package: Package) -> str:
    """`Person: name (email)` from a `maintainer` metadata value of that shape, else NOASSERTION."""
    match = _PERSON.match(package.meta("maintainer"))
    return f"Person: {match.group(1)} ({match.group(2)})" if match else NOASSERTION


def source_info(package: Package, image: ImageMetadata) -> str:
    """Where the package was found: cataloger, introducing layer and paths."""
    text = f"found by the {package.cataloger or 'unknown'} cataloger"
    layer = layer_by_index(image, package.introduced_by)
    if layer is not None:
        text += f" in layer {layer.index} ({short_digest(layer.diff_id or layer.digest)})"
    paths = [loc.path for loc in package.locations]
    if paths:
        text += " at " + ", ".join(paths)
    return text


def extracted_licensing_infos(context: SpdxContext) -> list[dict[str, str]]:
    """Definitions of the LicenseRef ids used; call after the packages were built."""
    return [
        {"licenseId": ref, "extractedText": text, "name": text}
        for ref, text in sorted(context.extracted.items())
    ]


def relationships(context: SpdxContext) -> list[dict[str, str]]:
    """DESCRIBES the image; the image CONTAINS distro and top packages; owners CONTAIN the rest."""
    owner_of = owners(context.packages)
    result = [_relationship(DOCUMENT_ID, "DESCRIBES", context.image_id)]
    if context.distro_id is not None:
        result.append(_relationship(context.image_id, "CONTAINS", context.distro_id))
    for package in context.packages:
        parent = owner_of.get(package)
        parent_id = context.ids[parent] if parent is not None else context.image_id
        result.append(_relationship(parent_id, "CONTAINS", context.ids[package]))
    return result


def _relationship(element: str, kind: str, related: str) -> dict[str, str]:
    return {"spdxElementId": element, "relationshipType": kind, "relatedSpdxElement": related}


class SpdxJsonWriter(msgspec.Struct, frozen=True):
    """Writes an SPDX 2.3 JSON SBOM."""

    stamp: Callable[[], Stamp] = msgspec.field(default=Stamp.fresh)
    name: str = "spdx-json"
    media_type: str = "application/spdx+json"

    def write(self, inventory: Inventory, out: TextIO) -> None:
        """Write the SPDX document."""
        dump(spdx_document(inventory, self.stamp()), out)
