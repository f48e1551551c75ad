"""`docker save` archives, legacy (`<id>/layer.tar`) and OCI-style (Docker 25+ `blobs/sha256/`)."""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import msgspec

from sievert.errors import (
    DigestMismatchError,
    ImageFormatError,
    LayerError,
    TargetNotFoundError,
)
from sievert.limits import jsonload
from sievert.model import ImageMetadata, LayerInfo
from sievert.source import manifest as mf
from sievert.source.base import IndexLayer, OpenedImage, SourceOptions, already_checked
from sievert.source.blob import GZIP_MAGIC, ZSTD_MAGIC, RegionDigests
from sievert.source.oci import (
    ArchiveMember,
    TarMembers,
    split_path_ref,
    tar_names,
    verified_layer,
)

if TYPE_CHECKING:  # the walking code loads when a layer is read, not to open an image
    from sievert.source.capture import CaptureSpec
    from sievert.source.layerindex import LayerIndex
    from sievert.source.parallel import ForkedWalks

_NAMED_BY_DIGEST = re.compile(r"(?:\A|/)(?:blobs/sha256/)?([0-9a-f]{64})(?:\.json|\.tar)?\Z")
_OCI_BLOB = re.compile(r"\Ablobs/(sha256|sha512)/([0-9a-f]{64}|[0-9a-f]{128})\Z")
MEDIA_TAR = "application/vnd.docker.image.rootfs.diff.tar"
MEDIA_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MEDIA_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
HASH_WORKERS = 2
"""Threads hashing uncompressed layers beside the walk (hashlib runs without the GIL)."""


class _Entry(msgspec.Struct, frozen=True):
    """One image of manifest.json."""

    config: str
    repo_tags: tuple[str, ...]
    layers: tuple[str, ...]


def split_archive_target(target: str) -> tuple[str, str, int | None]:
    """`FILE`, `FILE:REPO[:TAG]` or `FILE@N` -> (path, tag, index)."""
    path, tag = split_path_ref(target, ":")
    if tag:
        return path, tag, None
    path, pos = split_path_ref(target, "@")
    if pos:
        if not pos.isdecimal():
            raise TargetNotFoundError(f"{target}: '@' must be followed by an image number")
        return path, "", int(pos)
    return target, "", None


def normalize_tag(ref: str) -> str:
    """`docker.io/library/x` and `x` alike, with `:latest` when no tag is given."""
    for prefix in ("docker.io/", "index.docker.io/"):
        ref = ref.removeprefix(prefix)
    ref = ref.removeprefix("library/")
    last = ref.rsplit("/", 1)[-1]
    return ref if ":" in last or "@" in last else ref + ":latest"


def _parse_manifest_json(data: bytes, label: str) -> list[_Entry]:
    try:
        doc: Any = jsonload.loads(data, label)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ImageFormatError(f"{label}: malformed JSON ({exc})") from exc
    if not isinstance(doc, list) or not doc:
        raise ImageFormatError(f"{label}: expected a non-empty list of images")
    entries = []
    for raw in doc:
        if not isinstance(raw, dict):
            raise ImageFormatError(f"{label}: image entry is not an object")
        config, tags, layers = raw.get("Config"), raw.get("RepoTags") or [], raw.get("Layers")
        if (
            not isinstance(config, str)
            or not isinstance(layers, list)
            or not isinstance(tags, list)
        ):
            raise ImageFormatError(f"{label}: image entry without Config and Layers")
        if not all(isinstance(x, str) for x in [*layers, *tags]):
            raise ImageFormatError(f"{label}: Layers and RepoTags must be strings")
        entries.append(_Entry(config, tuple(tags), tuple(layers)))
    return entries


def _choose(entries: list[_Entry], tag: str, index: int | None, label: str) -> _Entry:
    available = ", ".join(t for e in entries for t in e.repo_tags) or "none"
    if index is not None:
        if index >= len(entries):
            raise TargetNotFoundError(f"{label}: has {len(entries)} images, no image @{index}")
        return entries[index]
    if tag:
        wanted = normalize_tag(tag)
        for entry in entries:
            if wanted in (normalize_tag(t) for t in entry.repo_tags):
                return entry
        raise TargetNotFoundError(f"{label}: no image tagged {tag!r}; tags: {available}")
    if len(entries) > 1:
        raise TargetNotFoundError(
            f"{label}: holds {len(entries)} images; pick one with ':<repo>:<tag>' or '@<n>' "
            f"(tags: {available})"
        )
    return entries[0]


class _LayerDigests:
    """The uncompressed layers of an archive hashed on worker threads, from one open file
    (plain threads taking the layers in order: no executor module to import)."""

    def __init__(self, layers: dict[int, RegionDigests]) -> None:
        self.hashers = layers
        self._pending = iter(list(layers.values()))
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._work, name=f"sievert-digest-{n}", daemon=True)
            for n in range(min(HASH_WORKERS, len(layers)))
        ]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        """Hash the next layer not taken yet, until none is left."""
        while True:
            with self._lock:
                hasher = next(self._pending, None)
            if hasher is None:
                return
            hasher.run()

    def stop(self) -> None:
        """Cancel what is not hashed yet and wait for the threads."""
        for hasher in self.hashers.values():
            hasher.cancel()
        for thread in self._threads:
            thread.join()


class _Walks:
    """The uncompressed layers' walks in layer order: in this process, or (with 2 walk
    processes) a share of them in a forked child, this process walking its own layers ahead
    while the child's next result is not there yet (errors still surface in layer order)."""

    def __init__(
        self,
        plain: list[LayerInfo],
        walk: Callable[[LayerInfo], LayerIndex],
        processes: int,
        members: list[ArchiveMember],
    ) -> None:
        self._walk = walk
        share: set[int] = set()
        self._forked: ForkedWalks | None = None
        if processes >= 2 and len(plain) >= 2:  # the fork machinery loads only when it may fork
            from sievert.source.parallel import ForkedWalks, child_share

            share = child_share(plain, {x.index: members[x.index].size for x in plain})
            if share:
                self._forked = ForkedWalks([x for x in plain if x.index in share], walk)
        self._child = share
        self._ahead = [x for x in plain if x.index not in share]
        self._done: dict[int, LayerIndex | Exception] = {}

    def index(self, layer: LayerInfo) -> LayerIndex:
        """The index of one layer (asked for in layer order)."""
        if self._forked is not None and layer.index in self._child:
            while self._ahead and not self._forked.ready():
                self._walk_own(self._ahead.pop(0))
            return self._forked.result(layer)
        if layer.index not in self._done:
            self._ahead = [x for x in self._ahead if x.index != layer.index]
            self._walk_own(layer)
        found = self._done.pop(layer.index)
        if isinstance(found, Exception):
            raise found
        return found

    def _walk_own(self, layer: LayerInfo) -> None:
        try:
            self._done[layer.index] = self._walk(layer)
        except (LayerError, OSError) as exc:  # raised when its turn comes, as before
            self._done[layer.index] = exc

    def close(self) -> None:
        """Stop and reap the child, if any."""
        if self._forked is not None:
            self._forked.close()
            self._forked = None


class DockerArchiveImage(OpenedImage):
    """An image inside a docker-save tar; layers are read in place by member offset."""

    def __init__(
        self, members: TarMembers, metadata: ImageMetadata, layers: list[ArchiveMember]
    ) -> None:
        self.members = members
        self.metadata = metadata
        self._layers = layers
        self._fd = -1
        self._digests: _LayerDigests | None = None
        self._walk_processes = 1

    def prepare(self, walk_processes: int = 1) -> None:
        """Start hashing the uncompressed layers now, while the catalogers load; with 2 walk
        processes, a forked child walks a share of the uncompressed layers."""
        self._walk_processes = walk_processes
        if self._digests is None:
            self._digests = self._start_digests(
                [layer for layer in self.metadata.layers if layer.media_type == MEDIA_TAR]
            )

    def _start_digests(self, plain: Sequence[LayerInfo]) -> _LayerDigests | None:
        if not plain:
            return None
        if self._fd < 0:
            try:
                self._fd = os.open(self.members.path, os.O_RDONLY)
            except OSError as exc:
                raise TargetNotFoundError(f"{self.members.path}: cannot be opened ({exc})") from exc
        return _LayerDigests({layer.index: self._hasher(self._fd, layer) for layer in plain})

    @contextmanager
    def layer_walker(self, todo: Sequence[LayerInfo], spec: CaptureSpec) -> Iterator[IndexLayer]:
        """Uncompressed layers are walked in place (seeking over unwanted data) while worker
        threads hash them, the next layers' hashes running ahead (from `prepare` on, if it was
        called); compressed ones stream."""
        from sievert.source.tarwalk import index_tar_region

        wanted = {layer.index for layer in todo if layer.media_type == MEDIA_TAR}
        digests = self._digests
        if digests is None:
            digests = self._digests = self._start_digests(
                [layer for layer in todo if layer.index in wanted]
            )
        if digests is None:
            yield lambda layer: (self._index_stream(layer, spec), already_checked)
            return
        for number, hasher in digests.hashers.items():
            if number not in wanted:
                hasher.cancel()  # cached after all: its hash is never needed
        plain = [layer for layer in todo if layer.index in wanted]

        def walk(layer: LayerInfo) -> LayerIndex:
            member = self._layers[layer.index]
            return index_tar_region(self._fd, member.offset, member.size, spec, layer)

        walks = _Walks(plain, walk, self._walk_processes, self._layers)
        try:

            def index_layer(layer: LayerInfo) -> tuple[LayerIndex, Callable[[], None]]:
                hasher = digests.hashers.get(layer.index)
                if hasher is None or layer.index not in wanted:
                    return self._index_stream(layer, spec), already_checked
                return walks.index(layer), hasher.verify

            yield index_layer
        finally:
            walks.close()
            self.close()

    def _hasher(self, fd: int, layer: LayerInfo) -> RegionDigests:
        """The digests one uncompressed layer must have: its blob digest (OCI-style archives)
        and its diff_id, named as the streaming reader names them."""
        member = self._layers[layer.index]
        blob_digest = _blob_digest(_member_key(member))
        expected = []
        if blob_digest:
            expected.append((blob_digest, f"layer {layer.digest}: blob"))
        if layer.diff_id and layer.diff_id != blob_digest:
            expected.append(
                (layer.diff_id, f"layer {layer.digest}: uncompressed content (diff_id)")
            )
        return RegionDigests(fd, member.offset, member.size, expected)

    def close(self) -> None:
        """Stop hashing and close the archive."""
        if self._digests is not None:
            self._digests.stop()
            self._digests = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _index_stream(self, layer: LayerInfo, spec: CaptureSpec) -> LayerIndex:
        """Walk a compressed layer, decompressed on a worker thread."""
        member = self._layers[layer.index]
        with self.members.open(member) as raw:
            from sievert.source.tarwalk import index_blob

            return index_blob(raw, spec, layer, _blob_digest(_member_key(member)))

    @contextmanager
    def open_layer(self, layer: LayerInfo) -> Iterator[BinaryIO]:
        """The uncompressed layer; its diff_id (and blob digest, OCI-style) checked at EOF."""
        member = self._layers[layer.index]
        blob_digest = _blob_digest(_member_key(member))
        with (
            self.members.open(member) as raw,
            verified_layer(raw, layer.digest, blob_digest, layer.diff_id) as stream,
        ):
            yield stream


def _member_key(member: ArchiveMember) -> str:
    return posixpath.normpath("/" + member.name).lstrip("/")


def _blob_digest(name: str) -> str:
    match = _OCI_BLOB.match(name)
    return f"{match.group(1)}:{match.group(2)}" if match else ""


class DockerArchiveSource:
    """`docker-archive:FILE[:REPO:TAG]` or `docker-archive:FILE@N`: a `docker save` tar.

    Both layouts are read from `manifest.json` without extracting anything: legacy
    (`<id>/layer.tar`, `<hex>.json` config) and OCI-style (Docker 25+, `blobs/sha256/<hex>`).
    With several images, `:REPO:TAG` picks the one whose RepoTags holds that tag (`:REPO` means
    `REPO:latest`, `docker.io/library/` is optional) and `@N` picks the N-th (from 0) of
    manifest.json; with one image, it is taken. Layers may be plain, gzip or zstd tars; each
    layer's diff_id is verified as it is read.
    """

    kind = "docker-archive"

    def claims(self, target: str) -> bool:
        """A tar file holding `manifest.json`."""
        path, _, _ = split_archive_target(target)
        return "manifest.json" in tar_names(path)

    def open(self, target: str, options: SourceOptions) -> OpenedImage:
        """Read manifest.json and the chosen image's config; check the layers are there."""
        path, tag, index = split_archive_target(target)
        if not Path(path).is_file():
            raise TargetNotFoundError(f"{path}: no such file (docker-archive)")
        members = TarMembers(Path(path))
        label = f"{path}: manifest.json"
        entry = _choose(
            _parse_manifest_json(members.read("manifest.json", "manifest"), label),
            tag,
            index,
            str(path),
        )
        config = members.read(entry.config, "image config")
        config_digest = _check_config(config, entry.config, path)
        layers = [_layer_member(members, name, path) for name in entry.layers]
        manifest = _synthetic_manifest(members, config, config_digest, layers, path)
        metadata = mf.image_metadata(
            config,
            manifest,
            reference=target,
            source_kind=self.kind,
            repo_tags=entry.repo_tags,
        )
        return DockerArchiveImage(members, metadata, layers)


def _check_config(config: bytes, name: str, path: str) -> str:
    digest = "sha256:" + hashlib.sha256(config).hexdigest()
    match = _NAMED_BY_DIGEST.search(name)
    if match and match.group(1) != digest[7:]:
        raise DigestMismatchError(
            f"{path}: image config {name!r} hashes to {digest}, not the digest in its name"
        )
    return digest


def _layer_member(members: TarMembers, name: str, path: str) -> ArchiveMember:
    member = members.find(name)
    if member is None:
        raise ImageFormatError(f"{path}: manifest.json names layer {name!r}, not in the archive")
    return member


def _synthetic_manifest(
    members: TarMembers,
    config: bytes,
    config_digest: str,
    layers: list[ArchiveMember],
    path: str,
) -> mf.Manifest:
    diff_ids = (mf.load_json(config, f"{path}: image config").get("rootfs") or {}).get("diff_ids")
    if not isinstance(diff_ids, list) or len(diff_ids) != len(layers):
        count = len(diff_ids) if isinstance(diff_ids, list) else 0
        raise ImageFormatError(
            f"{path}: image config lists {count} diff_ids for {len(layers)} layers"
        )
    descriptors = []
    for member, diff_id in zip(layers, diff_ids, strict=True):
        digest = _blob_digest(_member_key(member)) or str(diff_id)
        descriptors.append(mf.Descriptor(_media_type(members, member), digest, member.size))
    config_desc = mf.Descriptor(
        "application/vnd.docker.container.image.v1+json", config_digest, len(config)
    )
    return mf.Manifest(mf.DOCKER_MANIFEST, config_desc, tuple(descriptors))


def _media_type(members: TarMembers, member: ArchiveMember) -> str:
    with members.open(member) as stream:
        magic = stream.read(4)
    if magic.startswith(GZIP_MAGIC):
        return MEDIA_GZIP
    return MEDIA_ZSTD if magic == ZSTD_MAGIC else MEDIA_TAR
