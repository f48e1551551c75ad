"""Small builders for catalog tests: file views from dicts, rpm header blobs, ndb files."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping, Sequence

from sievert.source.layerindex import Entry, LayerIndex
from sievert.source.view import FileView, normalize


class Link(str):
    """A symlink target in a layer dict (a plain str or bytes value is a file's content)."""

    __slots__ = ()


Layer = Mapping[str, "bytes | str | Link"]


def layer_index(files: Layer, diff_id: str = "sha256:test") -> LayerIndex:
    """A LayerIndex holding the given files and symlinks plus every parent directory."""
    entries: dict[str, Entry] = {}
    contents: dict[str, bytes] = {}
    for raw_path, value in files.items():
        path = normalize(raw_path)
        parts = path.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            entries.setdefault(parent, Entry(parent, "dir", mode=0o755))
        if isinstance(value, Link):
            entries[path] = Entry(path, "symlink", link=str(value))
            continue
        data = value.encode() if isinstance(value, str) else value
        entries[path] = Entry(path, "file", size=len(data), mode=0o644)
        contents[path] = data
    return LayerIndex(diff_id, tuple(entries.values()), contents)


def view_of(*layers: Layer) -> FileView:
    """A FileView with each dict applied as one layer, in order."""
    view = FileView()
    for index, files in enumerate(layers):
        view.apply(index, layer_index(files, f"sha256:{index:064d}"))
    return view


# rpm header blobs -----------------------------------------------------------------------------
STRING, STRING_ARRAY, INT32, BIN = 6, 8, 4, 7
TagValue = tuple[int, int, object]


def header_blob(tags: Sequence[TagValue]) -> bytes:
    """An rpm header blob (il, dl, index entries, data store) from (tag, type, value) triples."""
    index = b""
    store = b""
    for tag, kind, value in tags:
        if kind == INT32:
            assert isinstance(value, list | tuple)
            while len(store) % 4:
                store += b"\x00"
            data, count = struct.pack(f">{len(value)}I", *value), len(value)
        elif kind == STRING_ARRAY:
            assert isinstance(value, list | tuple)
            data = b"".join(str(v).encode() + b"\x00" for v in value)
            count = len(value)
        else:
            data, count = str(value).encode() + b"\x00", 1
        index += struct.pack(">iIII", tag, kind, len(store), count)
        store += data
    return struct.pack(">II", len(tags), len(store)) + index + store


def simple_header(
    name: str = "openssl",
    version: str = "3.0.7",
    release: str = "18.el9",
    epoch: int | None = 1,
    files: Sequence[str] = ("/usr/bin/openssl", "/etc/pki/tls/openssl.cnf"),
) -> bytes:
    """A realistic header for one package with owned files."""
    dirs = sorted({f.rsplit("/", 1)[0] + "/" for f in files})
    tags: list[TagValue] = [
        (1000, STRING, name),
        (1001, STRING, version),
        (1002, STRING, release),
        (1014, STRING, "Apache-2.0"),
        (1011, STRING, "Red Hat, Inc."),
        (1022, STRING, "x86_64"),
        (1044, STRING, f"{name}-{version}-{release}.src.rpm"),
        (1009, INT32, [12345]),
        (1116, INT32, [dirs.index(f.rsplit("/", 1)[0] + "/") for f in files]),
        (1117, STRING_ARRAY, [f.rsplit("/", 1)[1] for f in files]),
        (1118, STRING_ARRAY, dirs),
    ]
    if epoch is not None:
        tags.append((1003, INT32, [epoch]))
    return header_blob(tags)


# ndb Packages.db ------------------------------------------------------------------------------
def ndb_file(blobs: Sequence[bytes], slot_pages: int = 1) -> bytes:
    """An ndb Packages.db as rpm's rpmpkg.c lays it out: header, slot pages, checksummed blobs."""
    slots = bytearray()
    body = bytearray()
    next_block = slot_pages * 4096 // 16
    for pkgidx, blob in enumerate(blobs, 1):
        blkcnt = (16 + len(blob) + 12 + 15) // 16
        slots += struct.pack("<4I", int.from_bytes(b"Slot", "little"), pkgidx, next_block, blkcnt)
        head = struct.pack("<4I", int.from_bytes(b"BlbS", "little"), pkgidx, 7, len(blob))
        padded = head + blob + b"\x00" * (blkcnt * 16 - 16 - len(blob) - 12)
        tail = struct.pack(
            "<3I", zlib.adler32(padded), len(blob), int.from_bytes(b"BlbE", "little")
        )
        body += padded + tail
        next_block += blkcnt
    header = struct.pack(
        "<5I", int.from_bytes(b"RpmP", "little"), 0, 3, slot_pages, len(blobs) + 1
    ) + bytes(12)
    free_slot = struct.pack("<4I", int.from_bytes(b"Slot", "little"), 0, 0, 0)
    slot_area = header + bytes(slots)
    while len(slot_area) < slot_pages * 4096:
        slot_area += free_slot
    return slot_area + bytes(body)
