"""Parse OCI / Docker manifests, indexes and image configs into `ImageMetadata`."""

from __future__ import annotations

import json
from typing import Any, TypedDict

import msgspec

from sievert.errors import ImageFormatError, PlatformNotFoundError
from sievert.limits import jsonload
from sievert.model import ImageMetadata, LayerInfo, Platform
from sievert.source.base import platforms_text

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
MAX_DOCUMENT = 16 * 1024 * 1024


class Descriptor(msgspec.Struct, frozen=True):
    """An OCI content descriptor."""

    media_type: str
    digest: str
    size: int
    platform: Platform | None = None
    annotations: tuple[tuple[str, str], ...] = ()


class Manifest(msgspec.Struct, frozen=True):
    """An image manifest: config descriptor and layer descriptors."""

    media_type: str
    config: Descriptor
    layers: tuple[Descriptor, ...]
    annotations: tuple[tuple[str, str], ...] = ()


def load_json(data: bytes, name: str) -> dict[str, Any]:
    """Parse a JSON object, or raise ImageFormatError naming the document."""
    if len(data) > MAX_DOCUMENT:
        raise ImageFormatError(f"{name}: {len(data)} bytes is too large for a JSON document")
    try:
        doc = jsonload.loads(data, name)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ImageFormatError(f"{name}: malformed JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise ImageFormatError(f"{name}: expected a JSON object")
    return doc


def descriptor(raw: Any, name: str) -> Descriptor:
    """Validate one descriptor object."""
    if not isinstance(raw, dict):
        raise ImageFormatError(f"{name}: descriptor is not an object")
    digest, size = raw.get("digest"), raw.get("size", 0)
    if not isinstance(digest, str) or ":" not in digest or not isinstance(size, int):
        raise ImageFormatError(f"{name}: descriptor without a valid digest/size")
    algo, _, hexpart = digest.partition(":")
    if algo not in ("sha256", "sha512") or not hexpart.isalnum():
        raise ImageFormatError(f"{name}: invalid digest {digest!r}")
    plat = raw.get("platform")
    platform = None
    if isinstance(plat, dict):
        platform = Platform(
            str(plat.get("os", "")), str(plat.get("architecture", "")), str(plat.get("variant", ""))
        )
    return Descriptor(
        str(raw.get("mediaType", "")), digest, size, platform, _pairs(raw, "annotations")
    )


def _pairs(raw: dict[str, Any], key: str) -> tuple[tuple[str, str], ...]:
    value = raw.get(key) or {}
    if not isinstance(value, dict):
        return ()
    return tuple(sorted((str(k), str(v)) for k, v in value.items()))


def is_index(doc: dict[str, Any]) -> bool:
    """Whether a parsed document is an index / manifest list."""
    return doc.get("mediaType") in INDEX_TYPES or (
        "manifests" in doc and "layers" not in doc and "config" not in doc
    )


def parse_index(doc: dict[str, Any], name: str) -> list[Descriptor]:
    """The manifests listed by an index."""
    manifests = doc.get("manifests")
    if not isinstance(manifests, list):
        raise ImageFormatError(f"{name}: index without a manifests list")
    return [descriptor(m, name) for m in manifests]


def parse_manifest(doc: dict[str, Any], name: str) -> Manifest:
    """An image manifest (OCI or Docker v2 schema 2)."""
    if doc.get("schemaVersion") == 1:
        raise ImageFormatError(f"{name}: Docker schema 1 manifests are not supported")
    layers = doc.get("layers")
    if "config" not in doc or not isinstance(layers, list):
        raise ImageFormatError(f"{name}: manifest without config and layers")
    return Manifest(
        str(doc.get("mediaType", OCI_MANIFEST)),
        descriptor(doc["config"], name),
        tuple(descriptor(layer, name) for layer in layers),
        _pairs(doc, "annotations"),
    )


def platform_matches(candidate: Platform, wanted: Platform) -> bool:
    """OS and architecture equal; the variant must match when both name one."""
    if (candidate.os, candidate.architecture) != (wanted.os, wanted.architecture):
        return False
    return not (wanted.variant and candidate.variant and wanted.variant != candidate.variant)


def select_platform(entries: list[Descriptor], wanted: Platform, name: str) -> Descriptor:
    """The index entry for a platform, or PlatformNotFoundError listing what is there."""
    images = [e for e in entries if e.media_type not in INDEX_TYPES or e.platform]
    for entry in images:
        if entry.platform and platform_matches(entry.platform, wanted):
            return entry
    available = [e.platform for e in images if e.platform and e.platform.os != "unknown"]
    raise PlatformNotFoundError(
        f"{name}: no image for platform {wanted}; available: {platforms_text(available)}"
    )


def image_metadata(
    config_bytes: bytes,
    manifest: Manifest,
    *,
    reference: str,
    source_kind: str,
    manifest_digest: str = "",
    repo_tags: tuple[str, ...] = (),
    repo_digests: tuple[str, ...] = (),
) -> ImageMetadata:
    """Combine a manifest and its config blob into ImageMetadata (layers with history lines)."""
    config = load_json(config_bytes, f"{reference}: image config")
    diff_ids = (config.get("rootfs") or {}).get("diff_ids") or []
    if not isinstance(diff_ids, list) or len(diff_ids) != len(manifest.layers):
        raise ImageFormatError(
            f"{reference}: config lists {len(diff_ids)} diff_ids for {len(manifest.layers)} layers"
        )
    history = [h for h in config.get("history") or [] if isinstance(h, dict)]
    layered = [h for h in history if not h.get("empty_layer")]
    layers = tuple(
        LayerInfo(
            index=i,
            digest=desc.digest,
            diff_id=str(diff_ids[i]),
            size=desc.size,
            media_type=desc.media_type,
            created_by=str(layered[i].get("created_by", "")) if i < len(layered) else "",
            created=str(layered[i].get("created", "")) if i < len(layered) else "",
            comment=str(layered[i].get("comment", "")) if i < len(layered) else "",
        )
        for i, desc in enumerate(manifest.layers)
    )
    cfg = config.get("config") or config.get("container_config")
    return ImageMetadata(
        reference=reference,
        source_kind=source_kind,
        manifest_digest=manifest_digest,
        config_digest=manifest.config.digest,
        repo_tags=repo_tags,
        repo_digests=repo_digests,
        platform=Platform(
            str(config.get("os", "")),
            str(config.get("architecture", "")),
            str(config.get("variant", "")),
        ),
        layers=layers,
        created=str(config.get("created", "")),
        **run_config(cfg),
        annotations=manifest.annotations,
        history=tuple(
            (str(h.get("created_by", "")), bool(h.get("empty_layer", False))) for h in history
        ),
    )


class RunConfig(TypedDict):
    """The image config's run settings, as `ImageMetadata` fields."""

    user: str
    env: tuple[str, ...]
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    working_dir: str
    exposed_ports: tuple[str, ...]
    labels: tuple[tuple[str, str], ...]


def run_config(cfg: object) -> RunConfig:
    """User, Env, Entrypoint, Cmd, WorkingDir, ExposedPorts and Labels of an image config's
    `config` object (the same in an OCI config blob and an engine's inspect answer)."""
    raw: dict[str, Any] = cfg if isinstance(cfg, dict) else {}
    ports = raw.get("ExposedPorts")
    return RunConfig(
        user=str(raw.get("User") or ""),
        env=_strings(raw.get("Env")),
        entrypoint=_strings(raw.get("Entrypoint")),
        cmd=_strings(raw.get("Cmd")),
        working_dir=str(raw.get("WorkingDir") or ""),
        exposed_ports=tuple(sorted(str(p) for p in ports)) if isinstance(ports, dict) else (),
        labels=_pairs(raw, "Labels"),
    )


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ()
