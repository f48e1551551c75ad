"""Read one layer's tar stream once: record every entry, capture the files catalogers need."""

from __future__ import annotations

import io
import posixpath
import zlib
from typing import BinaryIO
from zlib import adler32

import zstandard

from sievert.errors import DigestMismatchError, LayerError
from sievert.model import LayerInfo, Notice
from sievert.source.blob import CHUNK, BoundedReader
from sievert.source.capture import (
    CaptureSpec,
    Extractor,
    FileData,
    run_extractors,
    run_extractors_at,
)
from sievert.source.layerindex import (
    KIND_NUMBERS,
    KIND_OPAQUE,
    KIND_WHITEOUT,
    EntryTable,
    LayerIndex,
    pack_head,
)
from sievert.source.tarstream import (
    BLOCK,
    KINDS,
    FileRegion,
    Member,
    TarFormatError,
    TarReader,
    _octal,
)
from sievert.source.view import glob_matcher

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
_FLAGS = {flag[0]: (kind, KIND_NUMBERS[kind]) for flag, kind in KINDS.items()}
"""Type flag byte -> (kind, packed kind code), for the flags the fast path takes."""
_FILE, _HARDLINK, _SYMLINK = (KIND_NUMBERS[k] for k in ("file", "hardlink", "symlink"))
_CACHED = 4096
"""Distinct header fields each parse cache of a walk keeps (they repeat: modes, owners)."""
_FLUSH = 64 * 1024


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
        walker.walk(TarReader(bounded))
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
    from sievert.source.decode import LayerDecoder  # ISA-L and the queue: compressed layers only

    name = layer_name(layer)
    walker = _Walker(spec, name)
    with LayerDecoder(
        raw, layer.digest, blob_digest, layer.diff_id, spec.max_layer_size, name
    ) as decoded:
        try:
            walker.walk(TarReader(decoded))
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
    walker = _Walker(spec, name, size)
    try:
        walker.walk(TarReader(FileRegion(fd, start, size)))
    except LayerError:
        raise
    except (TarFormatError, OSError) as exc:
        raise _damaged(name, exc) from exc
    return walker.result(layer.diff_id)


def _numbers(raw: bytes) -> tuple[int, int, int] | None:
    """(mode, uid, gid) of header bytes 100-124, read as `TarReader` reads them; None when a
    field is not octal text (the header then takes the general path)."""
    if not raw.isascii():
        return None
    try:
        return _octal(raw[:8]) & 0o7777, _octal(raw[8:16]), _octal(raw[16:])
    except TarFormatError:
        return None


def _damaged(name: str, exc: Exception) -> LayerError:
    return LayerError(name, f"corrupt or truncated tar ({exc or type(exc).__name__})")


class PathFilter:
    """The paths seen so far in a layer, in at most 2 MiB (a Bloom filter, two slots a path
    from the `hash` of its UTF-8 bytes): `may_hold` is False only for a path never added, so
    a 'missing hardlink target' notice is never wrong; past about a million members a few
    such notices may go unsaid. Memory does not grow with members. (`_Walker.walk` sets the
    slots inline.) A layer of known size gets a smaller filter, 32 bits for each member it
    could hold at most (one per 512-byte block; never fewer than 64 Ki bits).
    """

    MAX_BITS = 1 << 24
    MIN_BITS = 1 << 16

    def __init__(self, max_members: int | None = None) -> None:
        bits = self.MAX_BITS
        if max_members is not None:
            bits = min(bits, max(self.MIN_BITS, 1 << (32 * max_members).bit_length()))
        self.mask = bits - 1
        self.bits = bytearray(bits // 8)

    def _slots(self, path: str) -> tuple[int, int]:
        h = hash(path.encode("utf-8", "surrogatepass"))  # the bytes the table holds
        return h & self.mask, (h >> 24) & self.mask

    def add(self, path: str) -> None:
        """Remember a path."""
        bits = self.bits
        for slot in self._slots(path):
            bits[slot >> 3] |= 1 << (slot & 7)

    def may_hold(self, path: str) -> bool:
        """False when the path was certainly never added."""
        bits = self.bits
        return all(bits[slot >> 3] & (1 << (slot & 7)) for slot in self._slots(path))


class _Walker:
    """Accumulates one layer's entries and captured contents."""

    def __init__(self, spec: CaptureSpec, layer_name: str, size: int | None = None) -> None:
        """`size`: the layer's size in bytes, when known (it bounds its member count)."""
        self.spec = spec
        self.layer_name = layer_name
        self.capture = glob_matcher(spec.globs)
        self.extractors = [(x, glob_matcher(x.globs)) for x in spec.extractors]
        self.any_extractor = glob_matcher(tuple(g for x in spec.extractors for g in x.globs))
        plain = tuple(g for x in spec.extractors if not x.executable_only for g in x.globs)
        self.any_plain = glob_matcher(plain)
        self.wanted_plain = glob_matcher((*spec.globs, *plain))
        """What may want a file without execute bits: captured or a plain extractor's."""
        self.extracts: dict[str, dict[str, bytes]] = {}
        self.entries = EntryTable()
        self.contents: dict[str, bytes] = {}
        self.notices: list[Notice] = []
        self.seen = PathFilter(None if size is None else size // BLOCK)
        self.bytes = 0
        self._modes: dict[bytes, tuple[int, int, int] | None] = {}
        """Parse cache of `walk`: header bytes 100-124 -> `_numbers` (they repeat)."""

    def walk(self, reader: TarReader) -> None:
        """Record every member of the tar `reader` reads.

        The common header (ustar or GNU, ASCII text, plain octal numbers, a known type, not
        PAX or a long name) is parsed here in place in the reader's window, its checksum
        checked exactly (an ASCII header's byte sum is below Adler-32's modulus, so the sum
        is its low half), its entry packed straight into the table: no object per member.
        Any other header, the end of the archive and every damage go through
        `reader.next_member` and `add`, as do whiteouts; members whose data is wanted get a
        `Member` for `_capture` and `_extract`. Same entries, notices and errors either way.
        """
        cursor = reader.cursor
        window = cursor.source.window
        buf, at = cursor.buf, cursor.at
        table, packed, pending, total = self.entries, bytearray(), 0, 0
        count, limit = len(table), self.spec.max_entries
        flags, modes = _FLAGS, self._modes
        bits, mask = self.seen.bits, self.seen.mask
        capture, wanted_plain = self.capture.match, self.wanted_plain.match
        exec_wanted = bool(self.extractors)
        while True:
            end = at + BLOCK
            if end > len(buf):
                buf, at = window(at, BLOCK)
                end = at + BLOCK
            h = buf[at:end]
            size = -1
            if len(h) == BLOCK and h[0] and h.isascii():
                field = h[148:156]
                try:
                    kind, code = flags[h[156]]
                    mode, uid, gid = modes[h[100:124]]  # type: ignore[misc]  # None: TypeError
                    if (
                        not h[135]
                        and (adler32(h) & 0xFFFF) - 1
                        == int(field.rstrip(b" \0"), 8) + sum(field) - 8 * 0x20
                    ):
                        size = int(h[124:135], 8)
                except KeyError:
                    if self._learn(h):
                        continue  # its fields are parsed and cached now: again
                except (TypeError, ValueError):
                    pass
            if size < 0:  # not the common header: the reader's full parse, and `add`
                table.extend(packed, pending)
                packed, pending = bytearray(), 0
                cursor.buf, cursor.at = buf, at
                member = reader.next_member()
                if member is None:
                    break
                self.add(member)
                reader.skip_rest()
                buf, at, count = cursor.buf, cursor.at, len(table)
                continue
            if count >= limit:
                raise LayerError(self.layer_name, f"more than {limit} tar entries")
            stop = h.find(0, 0, 100)
            raw = h[:stop] if stop >= 0 else h[:100]
            if h[345] and h[257:262] == b"ustar":
                stop = h.find(0, 345, 500)
                raw = (h[345:stop] if stop >= 0 else h[345:500]) + b"/" + raw
            next_at = end + ((size + 511) & -512)
            name = raw.decode("ascii")
            if name.startswith(("/", ".")) or "/." in name or "//" in name:
                normal = safe_member_path(name)
                if normal is None:
                    self._notice(f"member path escapes the root, skipped: {name!r}")
                    at = next_at
                    continue
                path, raw_path = normal, normal.encode("ascii")
            else:
                path, raw_path = name.rstrip("/"), raw.rstrip(b"/")
            if not path:
                at = next_at
                continue
            base = path.rpartition("/")[2]
            if base.startswith(WHITEOUT_PREFIX):
                table.extend(packed, pending)
                packed, pending = bytearray(), 0
                self._whiteout(path, base)
                at, count = next_at, len(table)
                continue
            link = b""
            if code in (_SYMLINK, _HARDLINK):
                stop = h.find(0, 157, 257)
                link = h[157:stop] if stop >= 0 else h[157:257]
                if code == _HARDLINK:
                    link = self._hardlink(name, link.decode("ascii")).encode()
            packed += pack_head(code, mode, size, uid, gid, len(raw_path), len(link))
            packed += raw_path
            if link:
                packed += link
            pending += 1
            count += 1
            slot = hash(raw_path)
            bits[(slot & mask) >> 3] |= 1 << (slot & 7)
            slot >>= 24
            bits[(slot & mask) >> 3] |= 1 << (slot & 7)
            total += size
            if len(packed) >= _FLUSH:
                table.extend(packed, pending)
                packed, pending = bytearray(), 0
            if (code == _FILE and ((mode & 0o111 and exec_wanted) or wanted_plain(path, base))) or (
                code == _HARDLINK and (capture(path, base) or link.decode() in self.extracts)
            ):
                cursor.buf, cursor.at = buf, end
                reader.at_data(size)
                member = Member(name, kind, size, mode, uid, gid, "", reader)
                self._wanted(member, path, base, link.decode("ascii"))
                reader.skip_rest()
                buf, at = cursor.buf, cursor.at
                continue
            at = next_at
        table.extend(packed, pending)
        self.bytes += total

    def _learn(self, h: bytes) -> bool:
        """Parse and cache a header's mode and owner fields (a full cache is emptied first:
        memory stays bounded); False when its type is not the fast path's."""
        if h[156] not in _FLAGS:
            return False
        modes = self._modes
        if len(modes) >= _CACHED:
            modes.clear()
        modes[h[100:124]] = _numbers(h[100:124])
        return True

    def _wanted(self, member: Member, path: str, base: str, link: str) -> None:
        """Capture and extraction of a file or hardlink member (from `add`, or for a member
        the fast path recorded)."""
        kind = member.kind
        data = self._capture(member, path, kind, link) if self.capture.match(path, base) else None
        if kind == "file" and self.extractors:
            self._extract(member, path, base, data)
        elif kind == "hardlink" and link in self.extracts:
            self.extracts[path] = self.extracts[link]

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
        if kind in ("file", "hardlink"):
            self._wanted(member, path, base, link)

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
        return self._hardlink(member.name, member.linkname)

    def _hardlink(self, name: str, linkname: str) -> str:
        """A hardlink's normalised target ('' when it escapes), with notices."""
        target = safe_member_path(linkname)
        if target is None:
            self._notice(f"hardlink escapes the root: {name!r} -> {linkname!r}")
            return ""
        if not self.seen.may_hold(target):
            self._notice(f"hardlink to a missing target: {name!r} -> {linkname!r}")
        return target

    def _capture(self, member: Member, path: str, kind: str, link: str) -> bytes | None:
        """Keep the member's bytes; they are returned when this read them (the data can be
        read once: the extractors get them from here)."""
        if kind == "hardlink":
            if link in self.contents:
                self.contents[path] = self.contents[link]
            return None
        if member.size > self.spec.max_file_size:
            self._notice(
                f"{path}: {member.size} bytes is over the {self.spec.max_file_size}-byte "
                "limit for files read, skipped"
            )
            return None
        data = self.contents[path] = member.read()
        return data

    def _extract(self, member: Member, path: str, base: str, read: bytes | None = None) -> None:
        """Run the extractors that want this file on its bytes (`read`: already read)."""
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
        placed = None if read is not None else self._placed(member, wanted)
        if placed is not None:
            self._extract_placed(placed, path, wanted)
            return
        if member.size <= max(x.max_size for x in wanted) and not any(x.magic for x in wanted):
            data = member.read() if read is None else read  # all of it: no head read first
        else:
            head = member.read(16) if read is None else read[:16]
            wanted = [x for x in wanted if head.startswith(x.magic)]
            if not wanted:
                return
            limit = max(x.max_size for x in wanted)
            if member.size > limit:
                self._notice(
                    f"{path}: {member.size} bytes is over the {limit}-byte limit, not analysed"
                )
                return
            data = head + member.read() if read is None else read
        summaries = run_extractors(wanted, path, data, self._notice)
        if summaries:
            self.extracts[path] = summaries

    @staticmethod
    def _placed(member: Member, wanted: list[Extractor]) -> FileData | None:
        """The member's data left in place when every extractor wanting it reads at random."""
        if any(x.reduce_at is None for x in wanted):
            return None
        return member.random_access()

    def _extract_placed(self, data: FileData, path: str, wanted: list[Extractor]) -> None:
        """`_extract` of a member read at random: the same magic and size tests, then each
        extractor reads what it needs."""
        head = data.head()
        wanted = [x for x in wanted if head.startswith(x.magic)]
        if not wanted:
            return
        limit = max(x.max_size for x in wanted)
        if data.size > limit:
            self._notice(f"{path}: {data.size} bytes is over the {limit}-byte limit, not analysed")
            return
        summaries = run_extractors_at(wanted, path, data, self._notice)
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
