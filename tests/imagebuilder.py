"""Build small container images for tests, in every on-disk format, from in-memory file trees.

A layer is a list of `F` (file), `D` (dir), `L` (symlink), `H` (hardlink), `W` (whiteout of a path),
`O` (opaque directory marker) or `Raw` (a hand-made TarInfo, for hostile cases).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import zstandard

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
LAYER_MEDIA = {
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
    "none": "application/vnd.oci.image.layer.v1.tar",
}


@dataclass(frozen=True)
class F:
    """A regular file."""

    path: str
    data: bytes | str = b""
    mode: int = 0o644
    uid: int = 0


@dataclass(frozen=True)
class D:
    """A directory."""

    path: str
    mode: int = 0o755


@dataclass(frozen=True)
class L:
    """A symlink."""

    path: str
    target: str


@dataclass(frozen=True)
class H:
    """A hardlink to an earlier member."""

    path: str
    target: str


@dataclass(frozen=True)
class W:
    """A whiteout hiding `path` from lower layers."""

    path: str


@dataclass(frozen=True)
class O:  # noqa: E742
    """An opaque-directory marker for `path`."""

    path: str


@dataclass(frozen=True)
class Raw:
    """A hand-made tar member (hostile cases): info plus optional data."""

    info: tarfile.TarInfo
    data: bytes = b""


Member = F | D | L | H | W | O | Raw


def sha256(data: bytes) -> str:
    """'sha256:<hex>' of bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_tar(members: Sequence[Member]) -> bytes:
    """An uncompressed layer tar."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for m in members:
            _add(tar, m)
    return buf.getvalue()


def _add(tar: tarfile.TarFile, m: Member) -> None:
    if isinstance(m, Raw):
        tar.addfile(m.info, io.BytesIO(m.data) if m.data else None)
        return
    if isinstance(m, W | O):
        parent, _, name = m.path.strip("/").rpartition("/")
        marker = ".wh..wh..opq" if isinstance(m, O) else f".wh.{name}"
        path = m.path.strip("/") + "/" + marker if isinstance(m, O) else f"{parent}/{marker}"
        info = tarfile.TarInfo(path.lstrip("/"))
        tar.addfile(info, io.BytesIO(b""))
        return
    info = tarfile.TarInfo(m.path.lstrip("/"))
    info.mtime = 1_700_000_000
    if isinstance(m, F):
        data = m.data.encode() if isinstance(m.data, str) else m.data
        info.size, info.mode, info.uid = len(data), m.mode, m.uid
        tar.addfile(info, io.BytesIO(data))
    elif isinstance(m, D):
        info.type, info.mode = tarfile.DIRTYPE, m.mode
        tar.addfile(info)
    elif isinstance(m, L):
        info.type, info.linkname = tarfile.SYMTYPE, m.target
        tar.addfile(info)
    else:
        info.type, info.linkname = tarfile.LNKTYPE, m.target.lstrip("/")
        tar.addfile(info)


def compress(data: bytes, how: str) -> bytes:
    """Compress a layer tar: 'gzip', 'zstd' or 'none'."""
    if how == "gzip":
        return gzip.compress(data, compresslevel=1, mtime=0)
    if how == "zstd":
        return zstandard.ZstdCompressor().compress(data)
    return data


@dataclass
class Image:
    """An image to write: layers of members plus config facts."""

    layers: list[list[Member]]
    compression: str = "gzip"
    architecture: str = "amd64"
    os: str = "linux"
    variant: str = ""
    config: dict[str, object] = field(default_factory=dict)
    history: list[str] | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def built(self) -> BuiltImage:
        """Serialise layers, config and manifest into blobs."""
        tars = [layer_tar(layer) for layer in self.layers]
        blobs = [compress(t, self.compression) for t in tars]
        history = self.history or [f"/bin/sh -c #(nop) layer {i}" for i in range(len(tars))]
        cfg: dict[str, object] = {
            "architecture": self.architecture,
            "os": self.os,
            "created": "2026-01-01T00:00:00Z",
            "config": {"Env": ["PATH=/usr/bin:/bin"], "Labels": self.labels, **self.config},
            "rootfs": {"type": "layers", "diff_ids": [sha256(t) for t in tars]},
            "history": [{"created_by": h, "created": "2026-01-01T00:00:00Z"} for h in history],
        }
        if self.variant:
            cfg["variant"] = self.variant
        config = json.dumps(cfg).encode()
        return BuiltImage(self, tars, blobs, config)


@dataclass
class BuiltImage:
    """Blobs of one image."""

    spec: Image
    tars: list[bytes]
    blobs: list[bytes]
    config: bytes

    def manifest(self, docker: bool = False) -> bytes:
        """The OCI (or Docker v2 schema 2) manifest."""
        media = LAYER_MEDIA[self.spec.compression]
        if docker:
            media = {
                "gzip": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "none": "application/vnd.docker.image.rootfs.diff.tar",
                "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
            }[self.spec.compression]
        doc = {
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST if docker else OCI_MANIFEST,
            "config": {
                "mediaType": DOCKER_CONFIG if docker else OCI_CONFIG,
                "digest": sha256(self.config),
                "size": len(self.config),
            },
            "layers": [
                {"mediaType": media, "digest": sha256(b), "size": len(b)} for b in self.blobs
            ],
        }
        return json.dumps(doc).encode()

    def platform(self) -> dict[str, str]:
        """The platform object for an index entry."""
        p = {"os": self.spec.os, "architecture": self.spec.architecture}
        if self.spec.variant:
            p["variant"] = self.spec.variant
        return p


def _write_blob(root: Path, data: bytes) -> str:
    digest = sha256(data)
    path = root / "blobs" / "sha256" / digest.split(":")[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return digest


def write_oci_layout(
    root: Path, images: dict[str, Image | list[Image]], docker_manifests: bool = False
) -> Path:
    """Write an OCI image layout; a tag mapping to a list becomes a multi-platform index."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    entries = []
    for tag, image in images.items():
        if isinstance(image, list):
            entry = _write_index(root, [i.built() for i in image], docker_manifests)
        else:
            entry = _write_manifest(root, image.built(), docker_manifests)
        entry["annotations"] = {"org.opencontainers.image.ref.name": tag}
        entries.append(entry)
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
    (root / "index.json").write_text(json.dumps(index))
    return root


def _write_manifest(root: Path, built: BuiltImage, docker: bool) -> dict[str, object]:
    _write_blob(root, built.config)
    for blob in built.blobs:
        _write_blob(root, blob)
    manifest = built.manifest(docker)
    digest = _write_blob(root, manifest)
    media = DOCKER_MANIFEST if docker else OCI_MANIFEST
    return {"mediaType": media, "digest": digest, "size": len(manifest)}


def _write_index(root: Path, builts: list[BuiltImage], docker: bool) -> dict[str, object]:
    manifests = []
    for built in builts:
        entry = _write_manifest(root, built, docker)
        entry["platform"] = built.platform()
        manifests.append(entry)
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests})
    digest = _write_blob(root, index.encode())
    return {"mediaType": OCI_INDEX, "digest": digest, "size": len(index)}


def write_oci_archive(path: Path, images: dict[str, Image | list[Image]]) -> Path:
    """An OCI layout packed into one tar."""
    layout = path.with_suffix(".layout")
    write_oci_layout(layout, images)
    with tarfile.open(path, "w") as tar:
        for item in sorted(layout.rglob("*")):
            tar.add(item, arcname=str(item.relative_to(layout)), recursive=False)
    return path


def write_docker_archive(
    path: Path,
    image: Image,
    tag: str = "test/image:latest",
    oci_style: bool = False,
    compressed: bool = False,
) -> Path:
    """A `docker save` tar: legacy layout (<id>/layer.tar) or the newer OCI-style blobs/ layout."""
    return write_docker_archive_images(path, {tag: image}, oci_style, compressed)


def write_docker_archive_images(
    path: Path, images: dict[str, Image], oci_style: bool = False, compressed: bool = False
) -> Path:
    """A `docker save` tar of several images (one per tag); `compressed` stores the layer blobs
    (gzip/zstd per image) instead of the uncompressed tars docker writes."""
    written: set[str] = set()
    with tarfile.open(path, "w") as tar:
        manifest, index = [], []
        for tag, image in images.items():
            built = image.built()
            layers = built.blobs if compressed else built.tars
            layer_paths = [_docker_member(tar, written, data, oci_style) for data in layers]
            config_name = (
                f"blobs/sha256/{sha256(built.config)[7:]}"
                if oci_style
                else f"{sha256(built.config)[7:]}.json"
            )
            _once(tar, written, config_name, built.config)
            manifest.append({"Config": config_name, "RepoTags": [tag], "Layers": layer_paths})
            if oci_style:
                doc = built.manifest()
                _once(tar, written, f"blobs/sha256/{sha256(doc)[7:]}", doc)
                index.append(
                    {
                        "mediaType": OCI_MANIFEST,
                        "digest": sha256(doc),
                        "size": len(doc),
                        "annotations": {"io.containerd.image.name": tag},
                    }
                )
        _tar_bytes(tar, "manifest.json", json.dumps(manifest).encode())
        if oci_style:
            _tar_bytes(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
            doc = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": index}
            _tar_bytes(tar, "index.json", json.dumps(doc).encode())
    return path


def _docker_member(tar: tarfile.TarFile, written: set[str], data: bytes, oci_style: bool) -> str:
    digest = sha256(data)[7:]
    name = f"blobs/sha256/{digest}" if oci_style else f"{digest}/layer.tar"
    _once(tar, written, name, data)
    return name


def _once(tar: tarfile.TarFile, written: set[str], name: str, data: bytes) -> None:
    if name not in written:
        written.add(name)
        _tar_bytes(tar, name, data)


def _tar_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def rootfs(path: Path, members: Sequence[F | D | L]) -> Path:
    """A root filesystem directory."""
    for m in members:
        target = path / m.path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(m, F):
            target.write_bytes(m.data.encode() if isinstance(m.data, str) else m.data)
        elif isinstance(m, D):
            target.mkdir(exist_ok=True)
        else:
            target.symlink_to(m.target)
    return path
