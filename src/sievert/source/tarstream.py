"""A lean streaming tar reader: headers parsed with struct, data skipped without copies.

Handles ustar/GNU/PAX: base-256 sizes, GNU long names and link names ('L', 'K'), PAX extended
headers ('x', and global 'g' ignored), header checksums. Faster than `tarfile` in stream mode for
layers of thousands of small members, and strict about truncation and corrupt headers.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

BLOCK = 512
_HEADER = struct.Struct("100s8s8s8s12s12s8sc100s6s2s32s32s8s8s155s12x")
_MAX_META = 16 * 1024 * 1024
"""Upper bound for a PAX header or GNU long name (hostile input)."""
KINDS = {
    b"0": "file",
    b"\0": "file",
    b"7": "file",
    b"S": "file",
    b"1": "hardlink",
    b"2": "symlink",
    b"3": "char",
    b"4": "block",
    b"5": "dir",
    b"6": "fifo",
}


class TarFormatError(Exception):
    """A corrupt or truncated tar stream."""


@dataclass(slots=True)
class Member:
    """One archive member; `read()` gives its data while the iterator is on it."""

    name: str
    kind: str
    size: int
    mode: int
    uid: int
    gid: int
    linkname: str
    _reader: TarReader

    def read(self, limit: int = -1) -> bytes:
        """The member's data (at most `limit` bytes); only before the iterator moves on."""
        return self._reader.read_data(self, limit)


class TarReader:
    """Iterate the members of a tar stream once."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._remaining = 0
        self._padding = 0
        self._scratch = bytearray(1024 * 1024)

    def __iter__(self) -> Iterator[Member]:
        pax: dict[str, str] = {}
        long_name = long_link = ""
        while True:
            self._skip_rest()
            header = self._read_exact(BLOCK, allow_eof=True)
            if not header or header == bytes(BLOCK):
                return  # some writers (umoci) omit the end-of-archive blocks
            fields = _HEADER.unpack(header)
            _check_sum(header, fields[6])
            size = _number(fields[4])
            self._remaining = size
            self._padding = -size % BLOCK
            flag = fields[7]
            if flag in (b"x", b"g", b"L", b"K"):
                if size > _MAX_META:
                    raise TarFormatError(f"extended header of {size} bytes")
                data = self._read_exact(size)
                self._remaining = 0
                if flag == b"x":
                    pax = _parse_pax(data)
                elif flag == b"L":
                    long_name = _text(data)
                elif flag == b"K":
                    long_link = _text(data)
                continue
            yield self._member(fields, size, pax, long_name, long_link)
            pax, long_name, long_link = {}, "", ""

    def _member(
        self,
        fields: tuple[bytes, ...],
        size: int,
        pax: dict[str, str],
        long_name: str,
        long_link: str,
    ) -> Member:
        name = pax.get("path") or long_name or _ustar_name(fields)
        link = pax.get("linkpath") or long_link or _text(fields[8])
        if "size" in pax:
            size = _pax_int(pax["size"])
            self._remaining, self._padding = size, -size % BLOCK
        return Member(
            name=name,
            kind=KINDS.get(fields[7], "file"),
            size=size,
            mode=_number(fields[1]) & 0o7777,
            uid=_pax_int(pax["uid"]) if "uid" in pax else _number(fields[2]),
            gid=_pax_int(pax["gid"]) if "gid" in pax else _number(fields[3]),
            linkname=link,
            _reader=self,
        )

    def read_data(self, member: Member, limit: int) -> bytes:
        """Read the current member's data."""
        del member
        want = self._remaining if limit < 0 else min(limit, self._remaining)
        data = self._read_exact(want)
        self._remaining -= len(data)
        return data

    def _skip_rest(self) -> None:
        left = self._remaining + self._padding
        view = memoryview(self._scratch)
        while left:
            n = self._stream.readinto(view[: min(left, len(view))])  # type: ignore[attr-defined]
            if not n:
                raise TarFormatError("unexpected end of data inside a member (truncated)")
            left -= n
        self._remaining = self._padding = 0

    def _read_exact(self, size: int, allow_eof: bool = False) -> bytes:
        data = self._stream.read(size)
        while len(data) < size:
            more = self._stream.read(size - len(data))
            if not more:
                if allow_eof and not data:
                    return b""
                raise TarFormatError("unexpected end of data (truncated)")
            data += more
        return data


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _ustar_name(fields: tuple[bytes, ...]) -> str:
    name = _text(fields[0])
    if fields[9].startswith(b"ustar"):
        prefix = _text(fields[15])
        if prefix:
            return f"{prefix}/{name}"
    return name


def _number(raw: bytes) -> int:
    """An octal field, or GNU base-256 when the high bit of the first byte is set."""
    if raw and raw[0] & 0x80:
        value = int.from_bytes(raw[1:], "big")
        return -value if raw[0] & 0x40 else value
    text = raw.split(b"\0", 1)[0].strip(b" ")
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError as exc:
        raise TarFormatError(f"invalid numeric header field {raw!r}") from exc


def _check_sum(header: bytes, field: bytes) -> None:
    expected = _number(field)
    rest = header[:148] + header[156:]
    unsigned = sum(rest) + 8 * 0x20
    if expected == unsigned:
        return
    signed = unsigned - 256 * sum(1 for b in rest if b > 127)
    if expected != signed:
        raise TarFormatError("header checksum mismatch (corrupt tar header)")


def _pax_int(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise TarFormatError(f"invalid PAX number {text!r}") from exc


def _parse_pax(data: bytes) -> dict[str, str]:
    """'%d key=value\\n' records."""
    records: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            break
        try:
            length = int(data[pos:space])
        except ValueError as exc:
            raise TarFormatError("malformed PAX header") from exc
        if length <= 0 or pos + length > len(data):
            raise TarFormatError("malformed PAX record length")
        record = data[space + 1 : pos + length - 1]
        key, _, value = record.partition(b"=")
        records[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return records
