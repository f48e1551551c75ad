"""OCI image layouts: a directory (`oci-dir:`) or the same packed in one tar (`oci-archive:`)."""

from __future__ import annotations

import io
import os
import posixpath
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NamedTuple, Protocol, cast

from sievert.errors import (
    DigestMismatchError,
    ImageFormatError,
    PlatformNotFoundError,
    TargetNotFoundError,
)
from sievert.model import ImageMetadata, LayerInfo
from sievert.source import manifest as mf
from sievert.source.base import OpenedImage, SourceOptions
from sievert.source.blob import CHUNK, GZIP_MAGIC, DigestReader, decompressed

if TYPE_CHECKING:  # the walking code loads when a layer is read, not to open an image
    from sievert.source.capture import CaptureSpec
    from sievert.source.layerindex import LayerIndex

REF_NAME = "org.opencontainers.image.ref.name"
LAYER_READ_LIMIT = 64 * 1024**3
"""Decompression bound inside `open_layer`; `index_tar` applies the spec's own, usually smaller."""
MAX_NESTING = 4
MAX_ARCHIVE_MEMBERS = 1_000_000
_DIGEST = re.compile(r"\A(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})\Z")


def split_path_ref(target: str, sep: str = ":") -> tuple[str, str]:
    """Split `path[:ref]` / `path[@ref]` at the first separator whose left part exists on disk."""
    if os.path.lexists(target) or sep not in target:
        return target, ""
    start = 0
    while (pos := target.find(sep, start)) != -1:
        if pos and os.path.lexists(target[:pos]):
            return target[:pos], target[pos + 1 :]
        start = pos + 1
    return target, ""


def split_layout_target(target: str) -> tuple[str, str]:
    """`layout`, `layout:tag` or `layout@sha256:<hex>` -> (path, tag or digest)."""
    path, ref = split_path_ref(target, "@")
    if ref:
        return path, ref
    return split_path_ref(target, ":")


def blob_path(digest: str, where: str) -> str:
    """`blobs/<alg>/<hex>` for a well-formed digest; anything else (e.g. '../') is refused."""
    if not _DIGEST.match(digest):
        raise ImageFormatError(f"{where}: invalid blob digest {digest!r}")
    algo, _, hexpart = digest.partition(":")
    return f"blobs/{algo}/{hexpart}"


class _Section(io.RawIOBase):
    """Reads `size` bytes of an open file starting at `start` (one tar member, in place)."""

    def __init__(self, handle: BinaryIO, start: int, size: int) -> None:
        handle.seek(start)
        self._handle = handle
        self._left = size

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Read the next bytes of the member into `buffer`."""
        want = min(len(buffer), self._left)
        if want <= 0:
            return 0
        data = self._handle.read(want)
        memoryview(buffer)[: len(data)] = data
        self._left -= len(data)
        if not data:
            self._left = 0
        return len(data)

    def close(self) -> None:
        """Close the underlying file."""
        self._handle.close()
        super().close()


class ArchiveMember(NamedTuple):
    """One member of an image archive: where its bytes are in the file."""

    name: str
    kind: str
    """As `tarstream.KINDS` names it: 'file', 'symlink', 'hardlink', 'dir'..."""
    size: int
    offset: int
    """Offset of its data in the archive file."""
    linkname: str


class TarMembers:
    """Random access to the members of an uncompressed tar file: one header pass (the layer
    walk's reader: PAX, GNU long names, checksums, truncation), then reads at offsets."""

    def __init__(self, path: Path) -> None:
        from sievert.source.tarstream import TarFormatError  # an OCI layout directory needs none

        self.path = path
        self.members: dict[str, ArchiveMember] = {}
        try:
            fd = os.open(path, os.O_RDONLY)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise TargetNotFoundError(f"{path}: no such file") from exc
        except OSError as exc:
            raise ImageFormatError(f"{path}: not a readable tar archive ({exc})") from exc
        try:
            self._index(fd)
        except (TarFormatError, OSError) as exc:
            raise ImageFormatError(f"{path}: not a readable tar archive ({exc})") from exc
        finally:
            os.close(fd)

    def _index(self, fd: int) -> None:
        from sievert.source.tarstream import FileRegion, RegionData, TarFormatError, TarReader

        size = os.fstat(fd).st_size
        if os.pread(fd, len(GZIP_MAGIC), 0) == GZIP_MAGIC:
            raise ImageFormatError(
                f"{self.path}: a gzip-compressed archive; decompress it first (gunzip)"
            )
        if size == 0:
            raise TarFormatError("empty file")
        reader = TarReader(FileRegion(fd, 0, size))
        for member in reader:
            if len(self.members) >= MAX_ARCHIVE_MEMBERS:
                raise ImageFormatError(f"{self.path}: more than {MAX_ARCHIVE_MEMBERS} members")
            data = member.random_access()  # a member of a file: its place in the file
            if not isinstance(data, RegionData):
                raise TarFormatError(f"member {member.name!r} has no place in the file")
            self.members[_member_name(member.name)] = ArchiveMember(
                member.name, member.kind, member.size, data.start, member.linkname
            )

    def find(self, name: str) -> ArchiveMember | None:
        """The regular member at `name`, following in-archive links (docker save makes some)."""
        name = _member_name(name)
        for _ in range(8):
            member = self.members.get(name)
            if member is None or member.kind == "file":
                return member
            if member.kind == "symlink":
                name = _member_name(f"{posixpath.dirname(name)}/{member.linkname}")
            elif member.kind == "hardlink":
                name = _member_name(member.linkname)
            else:
                return None
        return None

    def open(self, member: ArchiveMember) -> BinaryIO:
        """A raw stream over one member's bytes."""
        try:
            handle = open(self.path, "rb", buffering=0)  # noqa: SIM115  (owned by the section)
        except OSError as exc:
            raise TargetNotFoundError(f"{self.path}: cannot be opened ({exc})") from exc
        return _Section(handle, member.offset, member.size)  # type: ignore[return-value]

    def read(self, name: str, what: str) -> bytes:
        """A small member's bytes (a JSON document), or ImageFormatError if missing or huge."""
        member = self.find(name)
        if member is None:
            raise ImageFormatError(f"{self.path}: {what} {name!r} is not in the archive")
        if member.size > mf.MAX_DOCUMENT:
            raise ImageFormatError(f"{self.path}: {what} {name!r} is too large ({member.size} B)")
        with self.open(member) as stream:
            data = stream.read(member.size)
        if len(data) != member.size:
            raise ImageFormatError(f"{self.path}: {what} {name!r} is truncated")
        return data


def _member_name(name: str) -> str:
    return posixpath.normpath("/" + name).lstrip("/")


class BlobStore(Protocol):
    """Where a layout's files live: a directory or a tar archive."""

    label: str

    def size(self, rel: str) -> int | None:
        """Size of the file at a layout-relative path, None when absent."""
        ...

    def open(self, rel: str) -> BinaryIO:
        """A raw stream over the file at a layout-relative path."""
        ...


class DirStore:
    """A layout directory; paths are confined to it (symlinks leading outside are refused)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.realpath(root))
        self.label = str(root)

    def _path(self, rel: str) -> Path:
        full = os.path.realpath(self.root / rel)
        if os.path.commonpath([full, self.root]) != str(self.root):
            raise ImageFormatError(f"{self.label}: {rel} points outside the layout")
        return Path(full)

    def size(self, rel: str) -> int | None:
        """Size of a regular file, None when absent."""
        path = self._path(rel)
        return path.stat().st_size if path.is_file() else None

    def open(self, rel: str) -> BinaryIO:
        """Open a file of the layout."""
        try:
            return open(self._path(rel), "rb", buffering=0)
        except OSError as exc:
            raise ImageFormatError(f"{self.label}: cannot read {rel} ({exc})") from exc


class TarStore:
    """A layout packed in a tar archive, read in place."""

    def __init__(self, members: TarMembers) -> None:
        self.members = members
        self.label = str(members.path)

    def size(self, rel: str) -> int | None:
        """Size of a member, None when absent."""
        member = self.members.find(rel)
        return None if member is None else member.size

    def open(self, rel: str) -> BinaryIO:
        """A stream over one member."""
        member = self.members.find(rel)
        if member is None:
            raise ImageFormatError(f"{self.label}: {rel} is not in the archive")
        return self.members.open(member)


def read_document(store: BlobStore, rel: str, what: str) -> bytes:
    """A small file of the layout (index.json, oci-layout)."""
    size = store.size(rel)
    if size is None:
        raise ImageFormatError(f"{store.label}: {what} is missing ({rel})")
    if size > mf.MAX_DOCUMENT:
        raise ImageFormatError(f"{store.label}: {what} is too large ({size} bytes)")
    with store.open(rel) as stream:
        return stream.readall()  # type: ignore[attr-defined,no-any-return]


def read_blob(store: BlobStore, desc: mf.Descriptor, what: str) -> bytes:
    """A small blob (manifest, index, config), its size and digest checked."""
    rel = _checked_blob(store, desc, what)
    if desc.size > mf.MAX_DOCUMENT:
        raise ImageFormatError(f"{store.label}: {what} {desc.digest} is too large")
    name = f"{store.label}: {what}"
    with store.open(rel) as raw, DigestReader(raw, desc.digest, name, inline=True) as rd:
        data = rd.readall()
    return bytes(data)


def _checked_blob(store: BlobStore, desc: mf.Descriptor, what: str) -> str:
    rel = blob_path(desc.digest, f"{store.label}: {what}")
    size = store.size(rel)
    if size is None:
        raise ImageFormatError(f"{store.label}: {what} blob {desc.digest} is missing")
    if desc.size and size != desc.size:
        raise DigestMismatchError(
            f"{store.label}: {what} blob {desc.digest} is {size} bytes, "
            f"its descriptor says {desc.size}"
        )
    return rel


class OciImage(OpenedImage):
    """One image of a layout; layers read from the store, every blob digest-verified."""

    def __init__(self, store: BlobStore, metadata: ImageMetadata) -> None:
        self.store = store
        self.metadata = metadata

    @contextmanager
    def open_layer(self, layer: LayerInfo) -> Iterator[BinaryIO]:
        """The uncompressed layer: blob digest and diff_id checked when read to the end."""
        desc = mf.Descriptor(layer.media_type, layer.digest, layer.size)
        rel = _checked_blob(self.store, desc, f"layer {layer.digest}")
        with (
            self.store.open(rel) as raw,
            verified_layer(raw, layer.digest, layer.digest, layer.diff_id) as stream,
        ):
            yield stream

    def _index_stream(self, layer: LayerInfo, spec: CaptureSpec) -> LayerIndex:
        """Walk a layer as `open_layer` would stream it, decompressed on a worker thread."""
        from sievert.source.tarwalk import index_blob

        desc = mf.Descriptor(layer.media_type, layer.digest, layer.size)
        rel = _checked_blob(self.store, desc, f"layer {layer.digest}")
        with self.store.open(rel) as raw:
            return index_blob(raw, spec, layer, layer.digest)


@contextmanager
def verified_layer(raw: BinaryIO, name: str, blob_digest: str, diff_id: str) -> Iterator[BinaryIO]:
    """Decompress a layer blob, checking its digest (if known) and its diff_id, both at EOF."""
    blob = DigestReader(raw, blob_digest, f"layer {name}: blob") if blob_digest else None
    stream = decompressed(cast(BinaryIO, blob or raw), name, LAYER_READ_LIMIT)
    if diff_id and diff_id != blob_digest:
        what = f"layer {name}: uncompressed content (diff_id)"
        stream = cast(BinaryIO, io.BufferedReader(DigestReader(stream, diff_id, what), CHUNK))
    yield stream
    while stream.read(CHUNK):
        pass
    if blob is not None:
        blob.drain()


class Layout:
    """An opened OCI layout: its index and how to resolve a tag or digest to one image."""

    def __init__(self, store: BlobStore, kind: str) -> None:
        self.store = store
        self.kind = kind
        layout = mf.load_json(
            read_document(store, "oci-layout", "oci-layout"), _n(store, "oci-layout")
        )
        if not isinstance(layout.get("imageLayoutVersion"), str):
            raise ImageFormatError(f"{store.label}: oci-layout without imageLayoutVersion")
        index = mf.load_json(
            read_document(store, "index.json", "index.json"), _n(store, "index.json")
        )
        self.entries = mf.parse_index(index, _n(store, "index.json"))

    def tags(self) -> list[str]:
        """Every ref.name annotation of index.json."""
        return [
            dict(e.annotations)[REF_NAME] for e in self.entries if REF_NAME in dict(e.annotations)
        ]

    def _tags_text(self) -> str:
        return ", ".join(self.tags()) or "none"

    def open_image(self, ref: str, options: SourceOptions, reference: str) -> OciImage:
        """Resolve a tag, a digest or the only image to its manifest and config."""
        desc = self._select(ref, options)
        manifest_desc, manifest = self._resolve(desc, options, 0)
        config = read_blob(self.store, manifest.config, "config")
        tag = dict(desc.annotations).get(REF_NAME, "")
        metadata = mf.image_metadata(
            config,
            manifest,
            reference=reference,
            source_kind=self.kind,
            manifest_digest=manifest_desc.digest,
            repo_tags=(tag,) if tag else (),
        )
        return OciImage(self.store, metadata)

    def _select(self, ref: str, options: SourceOptions) -> mf.Descriptor:
        if _DIGEST.match(ref):
            return self._by_digest(ref)
        if ref:
            for entry in self.entries:
                if dict(entry.annotations).get(REF_NAME) == ref:
                    return entry
            raise TargetNotFoundError(
                f"{self.store.label}: no image tagged {ref!r}; tags: {self._tags_text()}"
            )
        if len(self.entries) == 1:
            return self.entries[0]
        if self.entries and not self.tags() and all(e.platform for e in self.entries):
            return mf.select_platform(self.entries, options.platform, _n(self.store, "index.json"))
        raise TargetNotFoundError(
            f"{self.store.label}: holds {len(self.entries)} images; pick one with "
            f"':<tag>' or '@<digest>' (tags: {self._tags_text()})"
        )

    def _by_digest(self, digest: str) -> mf.Descriptor:
        for entry in self.entries:
            if entry.digest == digest:
                return entry
        size = self.store.size(blob_path(digest, self.store.label))
        if size is None:
            raise TargetNotFoundError(f"{self.store.label}: no manifest {digest}")
        return mf.Descriptor("", digest, size)

    def _resolve(
        self, desc: mf.Descriptor, options: SourceOptions, depth: int
    ) -> tuple[mf.Descriptor, mf.Manifest]:
        name = _n(self.store, desc.digest)
        doc = mf.load_json(read_blob(self.store, desc, "manifest"), name)
        if not (desc.media_type in mf.INDEX_TYPES or mf.is_index(doc)):
            return desc, mf.parse_manifest(doc, name)
        if depth >= MAX_NESTING:
            raise ImageFormatError(f"{name}: indexes nested more than {MAX_NESTING} deep")
        return self._resolve(_pick(mf.parse_index(doc, name), options, name), options, depth + 1)


def _pick(entries: list[mf.Descriptor], options: SourceOptions, name: str) -> mf.Descriptor:
    """The entry for the platform, or the only platform-less nested index to descend into."""
    try:
        return mf.select_platform(entries, options.platform, name)
    except PlatformNotFoundError:
        nested = [e for e in entries if e.media_type in mf.INDEX_TYPES and not e.platform]
        if len(nested) != 1:
            raise
        return nested[0]


def _n(store: BlobStore, what: str) -> str:
    return f"{store.label}: {what}"


class OciDirSource:
    """`oci-dir:PATH[:TAG]` or `oci-dir:PATH@sha256:HEX`: an OCI image layout directory.

    With several images in `index.json` a tag (the `org.opencontainers.image.ref.name`
    annotation) or a manifest digest picks one; a multi-platform index is resolved to
    `options.platform`.
    """

    kind = "oci-dir"

    def claims(self, target: str) -> bool:
        """A directory holding an `oci-layout` file."""
        path, _ = split_layout_target(target)
        return (Path(path) / "oci-layout").is_file()

    def open(self, target: str, options: SourceOptions) -> OpenedImage:
        """Open the layout and resolve the image."""
        path, ref = split_layout_target(target)
        if not Path(path).is_dir():
            raise TargetNotFoundError(f"{path}: no such directory (oci-dir)")
        return Layout(DirStore(Path(path)), self.kind).open_image(ref, options, target)


class OciArchiveSource:
    """`oci-archive:FILE[:TAG]` or `oci-archive:FILE@sha256:HEX`: an OCI layout in one tar.

    Members are read in place (random access by offset), never extracted; tag and digest
    selection work as for `oci-dir`.
    """

    kind = "oci-archive"

    def claims(self, target: str) -> bool:
        """A tar file holding `oci-layout` and `index.json`."""
        path, _ = split_layout_target(target)
        names = tar_names(path)
        return "oci-layout" in names and "index.json" in names

    def open(self, target: str, options: SourceOptions) -> OpenedImage:
        """Index the archive's members and resolve the image."""
        path, ref = split_layout_target(target)
        if not Path(path).is_file():
            raise TargetNotFoundError(f"{path}: no such file (oci-archive)")
        store = TarStore(TarMembers(Path(path)))
        return Layout(store, self.kind).open_image(ref, options, target)


def tar_names(path: str) -> set[str]:
    """Member names of a plain tar file; empty when it is not one."""
    if not Path(path).is_file():
        return set()
    try:
        return set(TarMembers(Path(path)).members)
    except (ImageFormatError, TargetNotFoundError):
        return set()
