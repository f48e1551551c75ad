"""`sievert inspect -f json`: the image's layers and the packages each introduced."""

from __future__ import annotations

from typing import Any, TextIO

from sievert.model import Inventory, Package
from sievert.report.sbom.native import dump, layer_section
from sievert.report.sbom.table import introduced_by_layer


def _package(package: Package) -> dict[str, str]:
    return {
        "name": package.name,
        "version": package.version,
        "type": package.type,
        "purl": package.purl,
    }


def layers_document(inventory: Inventory) -> dict[str, Any]:
    """{image, layers [the `sbom -f json` layer object with its `packages`],
    unattributed (packages in no known layer)}."""
    image = inventory.image
    groups = introduced_by_layer(inventory)
    return {
        "image": {"reference": image.reference, "manifestDigest": image.manifest_digest},
        "layers": [
            {
                **layer_section(layer),
                "packages": [_package(p) for p in groups.get(layer.index, [])],
            }
            for layer in image.layers
        ],
        "unattributed": [_package(p) for p in groups.get(-1, [])],
    }


def write_layers_json(inventory: Inventory, out: TextIO) -> None:
    """The layers document as indented JSON."""
    dump(layers_document(inventory), out)
