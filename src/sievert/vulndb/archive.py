"""`sievert db export` / `import`: one zstd-compressed file carrying the database's sha256."""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import BinaryIO

import zstandard

from sievert.errors import DatabaseError
from sievert.files import open_binary_output
from sievert.vulndb.store import VulnDB

MAGIC = b"SIEVERT-VULNDB 1\n"
CHUNK = 1 << 20


def export_db(db_path: Path, out: Path) -> str:
    """Write db_path to out (header with sha256 and size, then zstd); returns the sha256.

    `out` is written as `sievert.files.open_output` writes (`-` is stdout, devices written
    through, temp file and rename otherwise)."""
    VulnDB(db_path).close()  # refuse to export something that is not a database
    digest, size = _sha256(db_path)
    with open_binary_output(out) as dst, db_path.open("rb") as src:
        dst.write(MAGIC + f"sha256 {digest} size {size}\n".encode())
        compressor = zstandard.ZstdCompressor(level=10, write_checksum=True)
        compressor.copy_stream(src, dst, size=size, read_size=CHUNK, write_size=CHUNK)
    return digest


def import_db(archive: Path, db_path: Path) -> str:
    """Verify and install an exported database at db_path atomically; returns its sha256."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=db_path.parent, prefix=db_path.name + ".", suffix=".import")
    try:
        with archive.open("rb") as src, os.fdopen(fd, "wb") as dst:
            expected, size = _read_header(src, archive)
            digest, written = _decompress(src, dst, archive)
        if written != size or digest != expected:
            raise DatabaseError(
                f"{archive}: checksum mismatch (expected sha256 {expected} / {size} bytes, "
                f"got {digest} / {written} bytes): the file is damaged or was altered"
            )
        VulnDB(Path(tmp)).close()
        Path(tmp).replace(db_path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
    return digest


def _read_header(src: BinaryIO, archive: Path) -> tuple[str, int]:
    if src.read(len(MAGIC)) != MAGIC:
        raise DatabaseError(f"{archive}: not a Sievert database export (bad header)")
    parts = src.readline(200).decode("ascii", "replace").split()
    if len(parts) != 4 or parts[0] != "sha256" or parts[2] != "size" or not parts[3].isdecimal():
        raise DatabaseError(f"{archive}: not a Sievert database export (bad checksum line)")
    return parts[1], int(parts[3])


def _decompress(src: BinaryIO, dst: BinaryIO, archive: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    written = 0
    try:
        with zstandard.ZstdDecompressor().stream_reader(src, read_size=CHUNK) as reader:
            while chunk := reader.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
                written += len(chunk)
    except zstandard.ZstdError as exc:
        raise DatabaseError(f"{archive}: corrupt zstd data: {exc}") from exc
    return digest.hexdigest(), written


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as src:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
