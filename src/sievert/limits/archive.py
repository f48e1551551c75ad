"""Archives read within bounds: member count, member size, total expansion and ratio.

Sizes are checked against what the archive declares before anything is allocated, and against
what is actually read as it is read, so neither a lying header nor a zip bomb can make a reader
hold more than the bounds in `sievert.limits`.
"""

from __future__ import annotations

import io
import zipfile
from typing import BinaryIO, cast

from sievert.limits import ARCHIVE_MEMBERS, ARCHIVE_RATIO, ARCHIVE_SIZE, JSON_SIZE, MIB, Limit

RATIO_FLOOR = 1 * MIB
"""Below this many uncompressed bytes the ratio is not checked (tiny files compress well)."""


def check_expansion(expanded: int, compressed: int, where: str) -> None:
    """LimitError when a stream inflated past ARCHIVE_SIZE or past ARCHIVE_RATIO times its
    compressed size (used for downloads whose Content-Encoding decompresses on the way in)."""
    bound = ARCHIVE_SIZE.value()
    if expanded > bound:
        raise ARCHIVE_SIZE.error(where, bound)
    _check_ratio(expanded, compressed, where)


def _check_ratio(expanded: int, compressed: int, where: str) -> None:
    if expanded > RATIO_FLOOR:
        bound = ARCHIVE_RATIO.value()
        if expanded > bound * max(compressed, 1):
            raise ARCHIVE_RATIO.error(where, bound)


class ZipReader:
    """Reads a zip archive's members one by one within the archive limits."""

    def __init__(self, archive: zipfile.ZipFile, where: str) -> None:
        self.archive = archive
        self.where = where
        self.infos = archive.infolist()
        ARCHIVE_MEMBERS.check(len(self.infos), where)
        self.total = 0
        self.total_bound = ARCHIVE_SIZE.value()
        self.compressed = sum(info.compress_size for info in self.infos)

    def names(self) -> list[str]:
        """Member names, in archive order."""
        return [info.filename for info in self.infos]

    def read(self, member: str | zipfile.ZipInfo, limit: Limit = JSON_SIZE) -> bytes:
        """One member's bytes; LimitError when its size, ratio or the archive total is over."""
        info = member if isinstance(member, zipfile.ZipInfo) else self.archive.getinfo(member)
        where = f"{self.where}:{info.filename}"
        bound = limit.value()
        if info.file_size > bound:
            raise limit.error(where, bound)
        _check_ratio(info.file_size, info.compress_size, where)
        if self.total + info.file_size > self.total_bound:
            raise ARCHIVE_SIZE.error(self.where, self.total_bound)
        _check_ratio(self.total + info.file_size, self.compressed, self.where)
        with self.archive.open(info) as handle:
            data = handle.read(min(bound, info.file_size) + 1)
        if len(data) > bound:
            raise limit.error(where, bound)
        self.total += len(data)
        return data

    def copy(self, member: str, target: BinaryIO) -> None:
        """Copy one member (a nested archive) to target, bounded by the total and the ratio."""
        info = self.archive.getinfo(member)
        where = f"{self.where}:{member}"
        with self.archive.open(info) as handle:
            remaining = self.total_bound - self.total
            capped = CappedReader(cast(BinaryIO, handle), where, info.compress_size, remaining)
            while chunk := capped.read(MIB):
                target.write(chunk)
            self.total += capped.count


class CappedReader(io.RawIOBase):
    """A binary stream that raises LimitError once it yields more than the bound or the ratio."""

    def __init__(self, raw: BinaryIO, where: str, compressed: int, bound: int | None = None):
        super().__init__()
        self.raw = raw
        self.where = where
        self.compressed = compressed
        self.bound = ARCHIVE_SIZE.value() if bound is None else bound
        self.count = 0

    def readable(self) -> bool:
        """Always: this is a reader."""
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        """Fill buffer from the wrapped stream, counting and checking what was read."""
        data = self.raw.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.count += size
        if self.count > self.bound:
            raise ARCHIVE_SIZE.error(self.where, self.bound)
        _check_ratio(self.count, self.compressed, self.where)
        return size


def capped_stream(raw: BinaryIO, where: str, compressed: int) -> io.BufferedReader:
    """A buffered reader over a decompressing stream, bounded by the archive size and ratio."""
    return io.BufferedReader(CappedReader(raw, where, compressed), buffer_size=MIB)
