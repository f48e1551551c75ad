"""rpmdb in BerkeleyDB hash format (`var/lib/rpm/Packages`, rpm < 4.16): a hash-page walk.

dissect.database.bsd reads these files too, but it stops on an empty hash page (TypeError)
and can loop forever on a hostile overflow chain, so the walk is done here with bounds checks.
"""

from __future__ import annotations

import struct

from sievert.errors import PackageDbError

HASH_MAGIC = 0x061561
P_HASH_UNSORTED, P_OVERFLOW, P_HASHMETA, P_HASH = 2, 7, 8, 13
H_KEYDATA, H_OFFPAGE = 1, 3
PAGE_HEADER = 26
CHECKSUM_EXTRA = 6
"""Checksummed databases keep 2 padding + 4 checksum bytes after the page header."""
VALID_PAGE_SIZES = frozenset(1 << n for n in range(9, 17))
RECORD_ZERO = b"\x00\x00\x00\x00"
"""rpm keeps its next-instance counter under key 0; it is not a package."""


def read_bdb_blobs(data: bytes) -> tuple[list[bytes], list[str]]:
    """Package header blobs of a BerkeleyDB hash rpmdb, and problems with single entries."""
    endian, page_size, overhead = _meta(data)
    blobs: list[bytes] = []
    problems: list[str] = []
    for pgno in range(1, len(data) // page_size):
        page = data[pgno * page_size : (pgno + 1) * page_size]
        if page[25] not in (P_HASH, P_HASH_UNSORTED):
            continue
        for key, value in _pairs(data, page, (endian, page_size, overhead), problems):
            if key != RECORD_ZERO:
                blobs.append(value)
    return blobs, problems


def _meta(data: bytes) -> tuple[str, int, int]:
    """Byte order, page size and page-header size from the metadata page."""
    if len(data) < 512:
        raise PackageDbError("BerkeleyDB: file too short")
    for endian in ("<", ">"):
        magic, _version, page_size = struct.unpack_from(f"{endian}3I", data, 12)
        if magic == HASH_MAGIC:
            break
    else:
        raise PackageDbError("BerkeleyDB: not a hash database (bad magic)")
    if page_size not in VALID_PAGE_SIZES or data[25] != P_HASHMETA:
        raise PackageDbError(f"BerkeleyDB: bad page size {page_size} or meta page type")
    if data[24] != 0:
        raise PackageDbError("BerkeleyDB: encrypted databases are not supported")
    overhead = PAGE_HEADER + (CHECKSUM_EXTRA if data[26] & 0x01 else 0)
    return endian, page_size, overhead


def _pairs(
    data: bytes, page: bytes, shape: tuple[str, int, int], problems: list[str]
) -> list[tuple[bytes, bytes]]:
    """(key, value) pairs of one hash page; entries that do not fit are reported and skipped."""
    endian, page_size, overhead = shape
    (count,) = struct.unpack_from(f"{endian}H", page, 20)
    if overhead + 2 * count > page_size:
        problems.append("BerkeleyDB: a hash page claims more entries than fit")
        return []
    offsets = struct.unpack_from(f"{endian}{count}H", page, overhead)
    pairs: list[tuple[bytes, bytes]] = []
    for i in range(0, count - 1, 2):
        try:
            key = _item(data, page, offsets, i, shape)
            pairs.append((key, _item(data, page, offsets, i + 1, shape)))
        except PackageDbError as exc:
            problems.append(str(exc))
    return pairs


def _item(
    data: bytes, page: bytes, offsets: tuple[int, ...], i: int, shape: tuple[str, int, int]
) -> bytes:
    """Item i of a hash page: inline key/data, or an overflow chain."""
    endian, page_size, overhead = shape
    start = offsets[i]
    end = page_size if i == 0 else offsets[i - 1]
    if not overhead <= start < end <= page_size:
        raise PackageDbError(f"BerkeleyDB: hash item at offset {start} out of range")
    kind = page[start]
    if kind == H_KEYDATA:
        return page[start + 1 : end]
    if kind == H_OFFPAGE and start + 12 <= end:
        pgno, total = struct.unpack_from(f"{endian}2I", page, start + 4)
        return _overflow(data, pgno, total, shape)
    raise PackageDbError(f"BerkeleyDB: unsupported hash item type {kind}")


def _overflow(data: bytes, pgno: int, total: int, shape: tuple[str, int, int]) -> bytes:
    """Follow an overflow chain for `total` bytes; cycles and short chains are errors."""
    endian, page_size, overhead = shape
    if total > len(data):
        raise PackageDbError(f"BerkeleyDB: overflow item of {total} bytes is larger than the file")
    parts: list[bytes] = []
    seen: set[int] = set()
    remaining = total
    while remaining > 0:
        base = pgno * page_size
        if pgno == 0 or pgno in seen or base + page_size > len(data):
            raise PackageDbError(f"BerkeleyDB: broken overflow chain at page {pgno}")
        seen.add(pgno)
        if data[base + 25] != P_OVERFLOW:
            raise PackageDbError(f"BerkeleyDB: page {pgno} is not an overflow page")
        next_pgno = struct.unpack_from(f"{endian}I", data, base + 16)[0]
        length = struct.unpack_from(f"{endian}H", data, base + 22)[0]
        take = min(remaining, length, page_size - overhead)
        if take == 0:
            raise PackageDbError(f"BerkeleyDB: empty overflow page {pgno}")
        parts.append(data[base + overhead : base + overhead + take])
        remaining -= take
        pgno = next_pgno
    return b"".join(parts)
