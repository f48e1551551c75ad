"""Sievert's own JSON inventory format (`--format json`).

The document is one object whose keys always appear in this order (absent values are "" , [],
{} or null, never missing), so that diffs between two reports stay small:

- `schemaVersion` (string, "1"): bumped on any incompatible change.
- `tool`: {`name`, `version`}.
- `image`: {`reference`, `sourceKind`, `manifestDigest`, `configDigest`, `repoTags`,
  `repoDigests`, `platform` {`os`, `architecture`, `variant`}, `created`, `size` (sum of layer
  blob sizes), `layers`, `config`, `annotations` {key: value}}.
  Each of `layers` is {`index`, `digest`, `diffId`, `size`, `mediaType`, `createdBy`, `created`,
  `comment`}. `config` is {`user`, `env`, `entrypoint`, `cmd`, `workingDir`, `exposedPorts`,
  `labels` {key: value}, `history` [{`createdBy`, `emptyLayer`}]}.
- `distro`: null, or {`id`, `versionId`, `codename`, `name`, `prettyName`, `idLike`, `release`}.
- `packages`: sorted by type, name, version, arch, purl, first location; each is {`name`,
  `version`, `type`, `purl`, `cataloger`, `arch`, `epoch` (int or null), `release`, `sourceName`,
  `sourceVersion`, `licenses` (as declared), `layer` (null or {`index`, `digest`, `diffId`}: the
  layer that introduced the package), `locations` [{`path`, `layerIndex`, `layerDigest`,
  `layerDiffId`}], `owner` (purl of the owning OS package or ""), `files` (owned paths),
  `metadata` [{`key`, `value`}] (a list: keys may repeat)}.
- `fileCount`: number of files in the squashed image view.
- `notices`: [{`level`, `message`, `where`}], problems met while reading the image.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

import msgspec

from sievert.model import Distro, ImageMetadata, Inventory, LayerInfo, Package
from sievert.report.base import TOOL_NAME, tool_version
from sievert.report.common import layer_by_index, ordered_packages
from sievert.report.jsontext import write_json

SCHEMA_VERSION = "1"


def inventory_document(inventory: Inventory, version: str) -> dict[str, Any]:
    """The whole Sievert JSON document for an inventory, as plain ordered dicts."""
    return {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": version},
        "image": image_section(inventory.image),
        "distro": distro_section(inventory.distro),
        "packages": packages_section(inventory),
        "fileCount": inventory.file_count,
        "notices": [
            {"level": n.level, "message": n.message, "where": n.where} for n in inventory.notices
        ],
    }


def image_section(image: ImageMetadata) -> dict[str, Any]:
    """The `image` object: identity, platform, layers and config."""
    platform = image.platform
    return {
        "reference": image.reference,
        "sourceKind": image.source_kind,
        "manifestDigest": image.manifest_digest,
        "configDigest": image.config_digest,
        "repoTags": list(image.repo_tags),
        "repoDigests": list(image.repo_digests),
        "platform": {
            "os": platform.os,
            "architecture": platform.architecture,
            "variant": platform.variant,
        },
        "created": image.created,
        "size": image.size,
        "layers": [layer_section(layer) for layer in image.layers],
        "config": _config_section(image),
        "annotations": dict(image.annotations),
    }


def layer_section(layer: LayerInfo) -> dict[str, Any]:
    """One layer object."""
    return {
        "index": layer.index,
        "digest": layer.digest,
        "diffId": layer.diff_id,
        "size": layer.size,
        "mediaType": layer.media_type,
        "createdBy": layer.created_by,
        "created": layer.created,
        "comment": layer.comment,
    }


def _config_section(image: ImageMetadata) -> dict[str, Any]:
    return {
        "user": image.user,
        "env": list(image.env),
        "entrypoint": list(image.entrypoint),
        "cmd": list(image.cmd),
        "workingDir": image.working_dir,
        "exposedPorts": list(image.exposed_ports),
        "labels": dict(image.labels),
        "history": [{"createdBy": line, "emptyLayer": empty} for line, empty in image.history],
    }


def distro_section(distro: Distro | None) -> dict[str, Any] | None:
    """The `distro` object, or None when no distro was found."""
    if distro is None:
        return None
    return {
        "id": distro.id,
        "versionId": distro.version_id,
        "codename": distro.codename,
        "name": distro.name,
        "prettyName": distro.pretty_name,
        "idLike": list(distro.id_like),
        "release": distro.release,
    }


def packages_section(inventory: Inventory) -> list[dict[str, Any]]:
    """The `packages` array, in the documented order."""
    return [package_object(p, inventory.image) for p in ordered_packages(inventory)]


def package_object(package: Package, image: ImageMetadata) -> dict[str, Any]:
    """One package object with every field of the model."""
    return {
        "name": package.name,
        "version": package.version,
        "type": package.type,
        "purl": package.purl,
        "cataloger": package.cataloger,
        "arch": package.arch,
        "epoch": package.epoch,
        "release": package.release,
        "sourceName": package.source_name,
        "sourceVersion": package.source_version,
        "licenses": list(package.licenses),
        "layer": _layer_ref(image, package.introduced_by),
        "locations": [
            {
                "path": loc.path,
                "layerIndex": loc.layer_index,
                "layerDigest": loc.layer_digest,
                "layerDiffId": loc.layer_diff_id,
            }
            for loc in package.locations
        ],
        "owner": package.owner,
        "files": list(package.files),
        "metadata": [{"key": key, "value": value} for key, value in package.metadata],
    }


def _layer_ref(image: ImageMetadata, index: int) -> dict[str, Any] | None:
    layer = layer_by_index(image, index)
    if layer is None:
        return None if index < 0 else {"index": index, "digest": "", "diffId": ""}
    return {"index": layer.index, "digest": layer.digest, "diffId": layer.diff_id}


def dump(document: Any, out: TextIO) -> None:
    """Write a JSON document: 2-space indent, UTF-8 text kept as is, trailing newline (one
    write of the whole text, not one per token)."""
    write_json(document, out)


class JsonWriter(msgspec.Struct, frozen=True):
    """Writes Sievert's own JSON inventory document."""

    version: Callable[[], str] = msgspec.field(default=tool_version)
    name: str = "json"
    media_type: str = "application/json"

    def write(self, inventory: Inventory, out: TextIO) -> None:
        """Write the inventory document."""
        dump(inventory_document(inventory, self.version()), out)
