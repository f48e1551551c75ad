"""What one layer holds: every entry's metadata plus the captured bytes of files catalogers need."""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import IO, Any

import msgspec
import zstandard

from sievert.model import Notice

KIND_WHITEOUT = "whiteout"
"""Entry kind for `.wh.<name>`: `path` (the hidden name) is removed from lower layers."""
KIND_OPAQUE = "opaque"
"""Entry kind for `.wh..wh..opq`: `path` (the directory) loses its lower-layer children."""


class Entry(msgspec.Struct, frozen=True):
    """One tar member (or directory walk entry), path normalised: no leading '/', no '..'."""

    path: str
    kind: str
    size: int = 0
    mode: int = 0
    uid: int = 0
    gid: int = 0
    link: str = ""


KIND_CODES = (
    "file",
    "dir",
    "symlink",
    "hardlink",
    "char",
    "block",
    "fifo",
    "socket",
    "other",
    KIND_WHITEOUT,
    KIND_OPAQUE,
)
KIND_NUMBERS = {kind: number for number, kind in enumerate(KIND_CODES)}
"""The code a kind is packed as."""
_MARKERS = frozenset((KIND_WHITEOUT, KIND_OPAQUE))
_ODD = 255
"""Kind code of an entry kept whole beside the table (a value that does not pack)."""
_RECORD = struct.Struct("<BHqqqII")
"""kind, mode, size, uid, gid, path length, link length; then the path and link (UTF-8)."""
pack_head = _RECORD.pack
"""Pack a record's head as `EntryTable.add` does (for `EntryTable.extend`)."""
_TEXT = "surrogatepass"
_SPOOL = 4 * 1024 * 1024
"""Bytes of packed entries held in memory before a table moves to an unlinked temp file."""
_CHUNK = 1024 * 1024
_LEVEL = 1
"""zstd level of a cached layer index: 1 compresses the apps image's layers 10% less than 3
(about 270 KiB a layer) in 30% less time, on the path of a cold scan."""
_BATCH = 64 * 1024
_MARKED = 1024
"""Whiteout and opaque entries a table lists beside its packing (see `marker_rows`)."""

Row = tuple[bytes, str, int, int, int, int, bytes]
"""An entry's fields, path and link as UTF-8 bytes (surrogates passed): see `EntryTable.rows`."""


class EntryTable:
    """A layer's entries packed one after another in a spool (in memory up to 4 MiB, then in
    an unlinked temporary file): walking a layer keeps no Python object per member,
    and memory does not grow with the member count. Iterating yields `Entry`s on demand."""

    __slots__ = ("_count", "_marked", "_moved", "_odd", "_pending", "_spool", "markers")

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self._spool: IO[bytes] = io.BytesIO()
        """The packed records: in memory, then in a temporary file past `_SPOOL` bytes."""
        self._moved = False
        """True when a reader moved the file position away from the end."""
        self._pending = bytearray()
        """Records added but not yet written to the spool (written by `_BATCH` bytes)."""
        self._count = 0
        self.markers = 0
        """How many whiteout and opaque entries the table holds."""
        self._marked: list[tuple[bytes, str]] | None = []
        """(path, kind) of those entries in order, while there are at most `_MARKED` (None
        past that: `marker_rows` then reads the whole table)."""
        self._odd: dict[int, Entry] = {}
        for entry in entries:
            self.add(*entry_fields(entry))

    def add(
        self, path: str, kind: str, size: int, mode: int, uid: int, gid: int, link: str
    ) -> None:
        """Append one entry."""
        raw_path = path.encode("utf-8", _TEXT)
        raw_link = link.encode("utf-8", _TEXT) if link else b""
        try:
            head = _RECORD.pack(
                KIND_NUMBERS[kind], mode, size, uid, gid, len(raw_path), len(raw_link)
            )
        except (KeyError, struct.error):  # an odd kind or a number out of range: kept whole
            self._odd[self._count] = Entry(path, kind, size, mode, uid, gid, link)
            head, raw_path, raw_link = _RECORD.pack(_ODD, 0, 0, 0, 0, 0, 0), b"", b""
        if kind in _MARKERS:
            self._mark(path.encode("utf-8", _TEXT), kind)
        pending = self._pending
        pending += head
        pending += raw_path
        pending += raw_link
        self._count += 1
        if len(pending) >= _BATCH:
            self._write_pending()

    def _mark(self, raw_path: bytes, kind: str) -> None:
        self.markers += 1
        if self._marked is not None:
            self._marked.append((raw_path, kind))
            if len(self._marked) > _MARKED:
                self._marked = None

    def marker_rows(self) -> Iterable[tuple[bytes, str]]:
        """(path, kind) of the whiteout and opaque entries, in order (path as `rows` gives it),
        without reading the other entries when they are few."""
        if self._marked is not None:
            return self._marked
        return ((row[0], row[1]) for row in self.rows() if row[1] in _MARKERS)

    def extend(self, packed: bytes | bytearray, count: int) -> None:
        """Append `count` records packed as `add` packs them (a head by `pack_head`, then the
        path and link): entries of plain kinds whose numbers fit, neither markers nor odd."""
        self._pending += packed
        self._count += count
        if len(self._pending) >= _BATCH:
            self._write_pending()

    def _write_pending(self) -> None:
        if self._moved:
            self._spool.seek(0, io.SEEK_END)
            self._moved = False
        self._append(self._pending)
        self._pending.clear()

    def _append(self, data: bytes | bytearray) -> None:
        """Write at the end of the spool (positioned there), moving it from memory to a
        temporary file when it grows past `_SPOOL` bytes."""
        spool = self._spool
        if isinstance(spool, io.BytesIO) and spool.tell() + len(data) > _SPOOL:
            import tempfile  # most layers' tables stay in memory

            self._spool = tempfile.TemporaryFile()  # noqa: SIM115  (closed with the table)
            with spool.getbuffer() as held:
                self._spool.write(held)
            spool.close()
        self._spool.write(data)

    def __len__(self) -> int:
        return self._count

    def packed_size(self) -> int:
        """Bytes of the packed records (what `chunks` yields)."""
        if self._pending:
            self._write_pending()
        self._moved = True
        return self._spool.seek(0, io.SEEK_END)

    def __del__(self) -> None:
        self._spool.close()  # the temp file (if it spilled) goes with the table

    def _read(self, at: int, size: int) -> bytes:
        if self._pending:
            self._write_pending()
        self._moved = True
        self._spool.seek(at)
        return self._spool.read(size)

    def __iter__(self) -> Iterator[Entry]:
        for path, kind, size, mode, uid, gid, link in self.rows():
            yield Entry(
                path.decode("utf-8", _TEXT),
                kind,
                size,
                mode,
                uid,
                gid,
                link.decode("utf-8", _TEXT) if link else "",
            )

    def rows(self) -> Iterator[Row]:
        """Every entry as (path, kind, size, mode, uid, gid, link), path and link as UTF-8
        bytes (surrogates passed): read straight from the packing, no `Entry` built."""
        unpack, head, kinds = _RECORD.unpack_from, _RECORD.size, KIND_CODES
        buffer = b""
        pos = number = read_at = 0
        while number < self._count:
            if len(buffer) - pos < head:
                more = self._read(read_at, _CHUNK)
                read_at += len(more)
                buffer = buffer[pos:] + more
                pos = 0
                if len(buffer) < head:
                    raise ValueError("damaged entry table")
            kind, mode, size, uid, gid, path_len, link_len = unpack(buffer, pos)
            start = pos + head
            middle = start + path_len
            pos = middle + link_len
            while len(buffer) < pos:
                more = self._read(read_at, max(_CHUNK, pos - len(buffer)))
                if not more:
                    raise ValueError("damaged entry table")
                read_at += len(more)
                buffer += more
            if kind == _ODD:
                yield entry_row(self._odd_entry(number))
            else:
                yield buffer[start:middle], kinds[kind], size, mode, uid, gid, buffer[middle:pos]
            number += 1

    def _odd_entry(self, number: int) -> Entry:
        entry = self._odd.get(number)
        if entry is None:
            raise ValueError("damaged entry table")
        return entry

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EntryTable | tuple | list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"EntryTable({self._count} entries)"

    def chunks(self) -> Iterator[bytes]:
        """The packed records (odd entries as JSON after them: see `to_parts`)."""
        at = 0
        while chunk := self._read(at, _CHUNK):
            at += len(chunk)
            yield chunk

    def odd_rows(self) -> list[list[Any]]:
        """The entries kept whole, as [number, path, kind, size, mode, uid, gid, link]."""
        return [[n, *entry_fields(e)] for n, e in self._odd.items()]

    @classmethod
    def from_parts(cls, packed: bytes, count: int, odd: list[list[Any]]) -> EntryTable:
        """Inverse of `chunks` + `odd_rows` (raises ValueError on damaged data)."""
        return cls.from_chunks((packed,), count, odd)

    @classmethod
    def from_chunks(cls, packed: Iterable[bytes], count: int, odd: list[list[Any]]) -> EntryTable:
        """`from_parts` with the packed records given in pieces (never all in memory at once)."""
        table = cls()
        size = 0
        for chunk in packed:
            table._append(chunk)
            size += len(chunk)
        table._count = count
        try:
            table._odd = {int(n): Entry(*row) for n, *row in odd}
        except (TypeError, ValueError) as exc:
            raise ValueError(f"damaged entry table: {exc}") from exc
        table._check(size)
        return table

    def _check(self, size: int) -> None:
        """ValueError unless the packed records add up (kinds known, lengths inside); reads
        the spool by chunks."""
        buffer = b""
        pos = read_at = 0
        for number in range(self._count):
            if len(buffer) - pos < _RECORD.size:
                more = self._read(read_at, _CHUNK)
                read_at += len(more)
                buffer = buffer[pos:] + more
                pos = 0
                if len(buffer) < _RECORD.size:
                    raise ValueError("damaged entry table: records run past the data")
            kind, _, _, _, _, path_len, link_len = _RECORD.unpack_from(buffer, pos)
            if kind == _ODD:
                entry = self._odd_entry(number)
                if entry.kind in _MARKERS:
                    self._mark(entry.path.encode("utf-8", _TEXT), entry.kind)
            elif kind >= len(KIND_CODES):
                raise ValueError(f"damaged entry table: kind {kind}")
            elif KIND_CODES[kind] in _MARKERS:
                start = pos + _RECORD.size
                self._mark(bytes(buffer[start : start + path_len]), KIND_CODES[kind])
                if start + path_len > len(buffer):
                    self._marked = None  # its path runs past the buffer: read it with `rows`
            pos += _RECORD.size + path_len + link_len
            if pos > len(buffer):  # a long record: skip what it holds beyond the buffer
                read_at += pos - len(buffer)
                buffer, pos = b"", 0
                if read_at > size:
                    raise ValueError("damaged entry table: records run past the data")
        if read_at - len(buffer) + pos != size:
            raise ValueError("damaged entry table: length mismatch")


def entry_row(entry: Entry) -> Row:
    """An entry as `EntryTable.rows` yields it."""
    return (
        entry.path.encode("utf-8", _TEXT),
        entry.kind,
        entry.size,
        entry.mode,
        entry.uid,
        entry.gid,
        entry.link.encode("utf-8", _TEXT),
    )


def entry_fields(entry: Entry) -> tuple[str, str, int, int, int, int, str]:
    """(path, kind, size, mode, uid, gid, link) of an entry."""
    return entry.path, entry.kind, entry.size, entry.mode, entry.uid, entry.gid, entry.link


class LayerIndex(msgspec.Struct, frozen=True):
    """The cacheable result of reading one layer once."""

    diff_id: str
    entries: tuple[Entry, ...] | EntryTable
    """Every member's metadata (an `EntryTable` from a walk: packed, not one object each)."""
    contents: dict[str, bytes] = msgspec.field(default_factory=dict)
    notices: tuple[Notice, ...] = ()
    bytes_read: int = 0
    extracts: dict[str, dict[str, bytes]] = msgspec.field(default_factory=dict)
    """Extractor summaries: path -> {extractor name: reduced bytes}."""

    def to_bytes(self) -> bytes:
        """Serialise for the layer cache (JSON header, packed entries, raw contents; zstd)."""
        table = self.entries if isinstance(self.entries, EntryTable) else EntryTable(self.entries)
        names = list(self.contents)
        extracts = [(p, n, d) for p, by_name in self.extracts.items() for n, d in by_name.items()]
        header = {
            "diff_id": self.diff_id,
            "entries": [len(table), table.packed_size()],
            "odd_entries": table.odd_rows(),
            "contents": [[n, len(self.contents[n])] for n in names],
            "notices": [[n.message, n.where, n.level] for n in self.notices],
            "bytes_read": self.bytes_read,
            "extracts": [[p, n, len(d)] for p, n, d in extracts],
        }
        head = json.dumps(header, separators=(",", ":")).encode()
        pieces = chain(
            (struct.pack(">Q", len(head)), head),
            table.chunks(),
            (self.contents[name] for name in names),
            (data for _, _, data in extracts),
        )
        out = io.BytesIO()
        with zstandard.ZstdCompressor(level=_LEVEL).stream_writer(out, closefd=False) as writer:
            for block in _blocks(pieces):
                writer.write(block)
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> LayerIndex:
        """Inverse of `to_bytes`; raises ValueError on damaged data. Decompressed as a stream:
        the packed entries go to the table's spool by chunks, never whole in memory."""
        try:
            return cls._read(zstandard.ZstdDecompressor().stream_reader(data))
        except (
            zstandard.ZstdError,
            struct.error,
            json.JSONDecodeError,
            UnicodeDecodeError,
            KeyError,
            TypeError,
            ValueError,
        ) as exc:
            raise ValueError(f"damaged layer index: {exc}") from exc

    @classmethod
    def _read(cls, reader: Any) -> LayerIndex:
        (head_len,) = struct.unpack(">Q", _take(reader, 8))
        header = json.loads(_take(reader, head_len))
        count, packed_size = header["entries"]
        if not isinstance(count, int) or not isinstance(packed_size, int) or packed_size < 0:
            raise ValueError("entries are not a packed table")
        entries = EntryTable.from_chunks(
            _pieces(reader, packed_size), count, header.get("odd_entries", [])
        )
        contents: dict[str, bytes] = {}
        for name, size in header["contents"]:
            contents[name] = _take(reader, size)
        extracts: dict[str, dict[str, bytes]] = {}
        for path, name, size in header.get("extracts", []):
            extracts.setdefault(path, {})[name] = _take(reader, size)
        if reader.read(1):
            raise ValueError("content length mismatch")
        return cls(
            diff_id=header["diff_id"],
            entries=entries,
            contents=contents,
            notices=tuple(Notice(*row) for row in header["notices"]),
            bytes_read=header["bytes_read"],
            extracts=extracts,
        )


def _blocks(pieces: Iterable[bytes]) -> Iterator[bytes | bytearray]:
    """The pieces joined into blocks of about `_CHUNK` bytes (a compressor call per small file
    costs more than compressing it)."""
    block = bytearray()
    for piece in pieces:
        if len(block) + len(piece) > _CHUNK and block:
            yield block
            block = bytearray()
        if len(piece) >= _CHUNK:
            yield piece
        else:
            block += piece
    if block:
        yield block


def _pieces(reader: Any, size: int) -> Iterator[bytes]:
    """Exactly `size` bytes from a stream, by chunks (ValueError if it ends before)."""
    left = size
    while left > 0:
        chunk = reader.read(min(left, _CHUNK))
        if not chunk:
            raise ValueError("data ends early")
        left -= len(chunk)
        yield chunk


def _take(reader: Any, size: int) -> bytes:
    """Exactly `size` bytes from a stream, in one piece."""
    if not isinstance(size, int) or size < 0:
        raise ValueError(f"a length of {size!r}")
    return b"".join(_pieces(reader, size))
