"""rpmdb in rpm's own ndb format (`Packages.db`, SUSE and rpm >= 4.15): slot pages plus blobs."""

from __future__ import annotations

import struct
import zlib

from sievert.errors import PackageDbError

HEADER_MAGIC = int.from_bytes(b"RpmP", "little")
SLOT_MAGIC = int.from_bytes(b"Slot", "little")
BLOB_MAGIC = int.from_bytes(b"BlbS", "little")
TAIL_MAGIC = int.from_bytes(b"BlbE", "little")
PAGE_SIZE = 4096
SLOT_SIZE = 16
BLOCK_SIZE = 16
HEADER_SLOTS = 2
"""The first 32 bytes of the slot area are the database header, not slots."""
BLOB_HEAD = 16
BLOB_TAIL = 12
MAX_SLOT_PAGES = 4096


def read_ndb_blobs(data: bytes) -> tuple[list[bytes], list[str]]:
    """Header blobs of an ndb Packages.db and problems with single slots (the rest is kept)."""
    if len(data) < 32:
        raise PackageDbError("ndb: file too short")
    magic, version, _generation, slot_pages = struct.unpack_from("<4I", data, 0)
    if magic != HEADER_MAGIC:
        raise PackageDbError("ndb: bad magic, not an ndb Packages.db")
    if version != 0:
        raise PackageDbError(f"ndb: unsupported version {version}")
    if not 0 < slot_pages <= MAX_SLOT_PAGES or slot_pages * PAGE_SIZE > len(data):
        raise PackageDbError(f"ndb: implausible slot page count {slot_pages}")
    blobs: list[bytes] = []
    problems: list[str] = []
    for index in range(HEADER_SLOTS, slot_pages * PAGE_SIZE // SLOT_SIZE):
        slot_magic, pkgidx, blkoff, blkcnt = struct.unpack_from("<4I", data, index * SLOT_SIZE)
        if slot_magic != SLOT_MAGIC:
            problems.append(f"ndb: slot {index} has a bad magic")
            continue
        if blkoff == 0:  # a free slot
            continue
        try:
            if blkoff < slot_pages * PAGE_SIZE // BLOCK_SIZE:
                raise PackageDbError(f"ndb: package {pkgidx} points into the slot area")
            blobs.append(_blob(data, pkgidx, blkoff, blkcnt))
        except PackageDbError as exc:
            problems.append(str(exc))
    return blobs, problems


def _blob(data: bytes, pkgidx: int, blkoff: int, blkcnt: int) -> bytes:
    """The header blob a used slot points at, its head checked against the slot."""
    start, span = blkoff * BLOCK_SIZE, blkcnt * BLOCK_SIZE
    if blkoff == 0 or span < BLOB_HEAD or start + span > len(data):
        raise PackageDbError(f"ndb: package {pkgidx} points outside the file")
    magic, owner, _generation, length = struct.unpack_from("<4I", data, start)
    if magic != BLOB_MAGIC or owner != pkgidx:
        raise PackageDbError(f"ndb: package {pkgidx} blob head does not match its slot")
    if (BLOB_HEAD + length + BLOB_TAIL + BLOCK_SIZE - 1) // BLOCK_SIZE != blkcnt:
        raise PackageDbError(f"ndb: package {pkgidx} blob length does not match its blocks")
    tail = start + span - BLOB_TAIL
    checksum, tail_length, tail_magic = struct.unpack_from("<3I", data, tail)
    if tail_magic != TAIL_MAGIC or tail_length != length:
        raise PackageDbError(f"ndb: package {pkgidx} blob tail is damaged")
    if zlib.adler32(data[start:tail]) != checksum:
        raise PackageDbError(f"ndb: package {pkgidx} blob checksum mismatch")
    return data[start + BLOB_HEAD : start + BLOB_HEAD + length]
