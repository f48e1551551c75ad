"""rpmdb in SQLite (`rpmdb.sqlite`, rpm >= 4.16): header blobs of the `Packages` table."""

from __future__ import annotations

import sqlite3

from sievert.errors import PackageDbError

SQLITE_MAGIC = b"SQLite format 3\x00"


def read_sqlite_blobs(data: bytes) -> list[bytes]:
    """Every header blob of an rpmdb.sqlite, read in memory; PackageDbError when unreadable."""
    if not data.startswith(SQLITE_MAGIC) or len(data) < 100:
        raise PackageDbError("not an SQLite database")
    image = bytearray(data)
    if image[18:20] == b"\x02\x02":  # WAL mode: read the main file as a rollback-journal db
        image[18:20] = b"\x01\x01"
    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(bytes(image))
        rows = connection.execute("SELECT blob FROM Packages ORDER BY hnum").fetchall()
    except sqlite3.Error as exc:
        raise PackageDbError(f"SQLite rpmdb unreadable: {exc}") from exc
    finally:
        connection.close()
    return [bytes(row[0]) for row in rows if isinstance(row[0], bytes | bytearray | memoryview)]
