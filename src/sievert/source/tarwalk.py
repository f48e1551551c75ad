"""Read one layer's tar stream once: record every entry, capture the files catalogers need."""

from __future__ import annotations

import io
import posixpath
import zlib
from typing import BinaryIO

import zstandard

from sievert.errors import DigestMismatchError, LayerError
from sievert.model import LayerInfo, Notice
from sievert.source.blob import CHUNK, BoundedReader
from sievert.source.capture import CaptureSpec, run_extractors
from sievert.source.decode import LayerDecoder
from sievert.source.layerindex import KIND_OPAQUE, KIND_WHITEOUT, EntryTable, LayerIndex
from sievert.source.tarstream import FileRegion, Member, TarFormatError, TarReader
from sievert.source.view import glob_matcher

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"


def safe_member_path(name: str) -> str | None:
    """Normalised member path, or None when it would escape the root ('..' past '/')."""
    if not name.startswith(("/", ".")) and "/." not in name and "//" not in name:
        return name.rstrip("/")  # already normal: the common case, no normpath needed
    joined = posixpath.normpath(posixpath.join("/", name))
    relative = posixpath.normpath(name.lstrip("/")) if name.strip("/") else "."
    if relative == ".." or relative.startswith("../"):
        return None
    return joined.lstrip("/")


def layer_name(layer: LayerInfo) -> str:
    """How notices and errors name a layer."""
    return layer.digest or layer.diff_id or f"#{layer.index}"


def index_tar(stream: BinaryIO, spec: CaptureSpec, layer: LayerInfo) -> LayerIndex:
    """Index an uncompressed layer tar stream; raises LayerError naming the layer on damage."""
    name = layer_name(layer)
    walker = _Walker(spec, name)
    bounded = io.BufferedReader(BoundedReader(stream, spec.max_layer_size, name), CHUNK)
    try:
        for member in TarReader(bounded):
            walker.add(member)
        while bounded.read(CHUNK):  # past the end-of-archive blocks, so EOF digest checks run
            pass
    except (LayerError, DigestMismatchError):
        raise
    except (TarFormatError, EOFError, OSError, zlib.error, zstandard.ZstdError) as exc:
        raise _damaged(name, exc) from exc
    return walker.result(layer.diff_id)


def index_blob(raw: BinaryIO, spec: CaptureSpec, layer: LayerInfo, blob_digest: str) -> LayerIndex:
    """Index a layer blob (gzip, zstd or plain) read from `raw`: decompressed on a worker
    thread (`blob.LayerDecoder`), its blob digest (when given) and diff_id checked at the end.
    Same results and errors as `verified_layer` + `index_tar`, with fewer copies and threads."""
    name = layer_name(layer)
    walker = _Walker(spec, name)
    with LayerDecoder(
        raw, layer.digest, blob_digest, layer.diff_id, spec.max_layer_size, name
    ) as decoded:
        try:
            for member in TarReader(decoded):
                walker.add(member)
            decoded.finish()
        except (LayerError, DigestMismatchError):
            raise
        except (TarFormatError, OSError) as exc:
            raise _damaged(name, exc) from exc
    return walker.result(layer.diff_id)


def index_tar_region(
    fd: int, start: int, size: int, spec: CaptureSpec, layer: LayerInfo
) -> LayerIndex:
    """Index an uncompressed layer tar lying in a file at `start` (a docker-save member):
    headers read in place, the data of members nobody wants seeked over, never read.

    The caller verifies the layer's digest over the same bytes (`blob.RegionDigests`) before
    the index is used; the size bound applies as for a stream.
    """
    name = layer_name(layer)
    if size > spec.max_layer_size:
        raise LayerError(
            name,
            f"uncompressed size exceeds the limit of {spec.max_layer_size} bytes "
            "(decompression bomb?)",
        )
    walker = _Walker(spec, name)
    try:
        for member in TarReader(FileRegion(fd, start, size)):
            walker.add(member)
    except LayerError:
        raise
    except (TarFormatError, OSError) as exc:
        raise _damaged(name, exc) from exc
    return walker.result(layer.diff_id)


def _damaged(name: str, exc: Exception) -> LayerError:
    return LayerError(name, f"corrupt or truncated tar ({exc or type(exc).__name__})")


class PathFilter:
    """The paths seen so far in a layer, in a fixed 2 MiB (a Bloom filter): `may_hold` is False
    only for a path never added, so a 'missing hardlink target' notice is never wrong; past
    about a million members a few such notices may go unsaid. Memory does not grow with members.
    """

    BITS = 1 << 24

    def __init__(self) -> None:
        self._bits = bytearray(self.BITS // 8)

    def _slots(self, path: str) -> tuple[int, int, int]:
        h = hash(path) & 0xFFFFFFFFFFFFFFFF
        mask = self.BITS - 1
        return h & mask, (h >> 24) & mask, ((h >> 40) ^ (h * 0x9E3779B1)) & mask

    def add(self, path: str) -> None:
        """Remember a path."""
        bits = self._bits
        for slot in self._slots(path):
            bits[slot >> 3] |= 1 << (slot & 7)

    def may_hold(self, path: str) -> bool:
        """False when the path was certainly never added."""
        bits = self._bits
        return all(bits[slot >> 3] & (1 << (slot & 7)) for slot in self._slots(path))


class _Walker:
    """Accumulates one layer's entries and captured contents."""

    def __init__(self, spec: CaptureSpec, layer_name: str) -> None:
        self.spec = spec
        self.layer_name = layer_name
        self.capture = glob_matcher(spec.globs)
        self.extractors = [(x, glob_matcher(x.globs)) for x in spec.extractors]
        self.any_extractor = glob_matcher(tuple(g for x in spec.extractors for g in x.globs))
        self.any_plain = glob_matcher(
            tuple(g for x in spec.extractors if not x.executable_only for g in x.globs)
        )
        self.extracts: dict[str, dict[str, bytes]] = {}
        self.entries = EntryTable()
        self.contents: dict[str, bytes] = {}
        self.notices: list[Notice] = []
        self.seen = PathFilter()
        self.bytes = 0

    def add(self, member: Member) -> None:
        """Record one member (and capture its bytes when wanted)."""
        if len(self.entries) >= self.spec.max_entries:
            raise LayerError(self.layer_name, f"more than {self.spec.max_entries} tar entries")
        path = safe_member_path(member.name)
        if path is None:
            self._notice(f"member path escapes the root, skipped: {member.name!r}")
            return
        if not path:
            return
        base = path.rpartition("/")[2]
        if base.startswith(WHITEOUT_PREFIX):
            self._whiteout(path, base)
            return
        kind = member.kind
        link = self._link(member, kind)
        self.entries.add(path, kind, member.size, member.mode, member.uid, member.gid, link)
        self.seen.add(path)
        self.bytes += member.size
        if kind in ("file", "hardlink") and self.capture.match(path, base):
            self._capture(member, path, kind, link)
        if kind == "file" and self.extractors:
            self._extract(member, path, base)
        elif kind == "hardlink" and link in self.extracts:
            self.extracts[path] = self.extracts[link]

    def _whiteout(self, path: str, base: str) -> None:
        parent = posixpath.dirname(path)
        if base == OPAQUE_MARKER:
            self.entries.add(parent, KIND_OPAQUE, 0, 0, 0, 0, "")
        else:
            hidden = posixpath.join(parent, base[len(WHITEOUT_PREFIX) :])
            self.entries.add(hidden, KIND_WHITEOUT, 0, 0, 0, 0, "")

    def _link(self, member: Member, kind: str) -> str:
        if kind == "symlink":
            return member.linkname
        if kind != "hardlink":
            return ""
        target = safe_member_path(member.linkname)
        if target is None:
            self._notice(f"hardlink escapes the root: {member.name!r} -> {member.linkname!r}")
            return ""
        if not self.seen.may_hold(target):
            self._notice(f"hardlink to a missing target: {member.name!r} -> {member.linkname!r}")
        return target

    def _capture(self, member: Member, path: str, kind: str, link: str) -> None:
        if kind == "hardlink":
            if link in self.contents:
                self.contents[path] = self.contents[link]
            return
        if member.size > self.spec.max_file_size:
            self._notice(
                f"{path}: {member.size} bytes is over the {self.spec.max_file_size}-byte "
                "limit for files read, skipped"
            )
            return
        self.contents[path] = member.read()

    def _extract(self, member: Member, path: str, base: str) -> None:
        executable = bool(member.mode & 0o111)
        if not (self.any_extractor if executable else self.any_plain).match(path, base):
            return  # one combined test rules out most files before the per-extractor ones
        wanted = [
            x
            for x, globs in self.extractors
            if (executable or not x.executable_only) and globs.match(path, base)
        ]
        if not wanted:
            return
        head = member.read(16)
        wanted = [x for x in wanted if head.startswith(x.magic)]
        if not wanted:
            return
        limit = max(x.max_size for x in wanted)
        if member.size > limit:
            self._notice(
                f"{path}: {member.size} bytes is over the {limit}-byte limit, not analysed"
            )
            return
        summaries = run_extractors(wanted, path, head + member.read(), self._notice)
        if summaries:
            self.extracts[path] = summaries

    def _notice(self, message: str) -> None:
        self.notices.append(Notice(message, self.layer_name))

    def result(self, diff_id: str) -> LayerIndex:
        """The finished index."""
        return LayerIndex(
            diff_id,
            self.entries,
            self.contents,
            tuple(self.notices),
            self.bytes,
            self.extracts,
        )
