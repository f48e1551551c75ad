"""Layer analysis cache: one SQLite file, one row per (diff_id, capture spec), LRU-bounded."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sievert.errors import CacheError

if TYPE_CHECKING:  # a rescan reads its stored analysis: no layer index is decoded
    from sievert.source.capture import CaptureSpec
    from sievert.source.layerindex import LayerIndex

SCHEMA = """
CREATE TABLE IF NOT EXISTS layers (
    key TEXT PRIMARY KEY,
    data BLOB NOT NULL,
    size INTEGER NOT NULL,
    last_used REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS layers_last_used ON layers (last_used);
CREATE TABLE IF NOT EXISTS analyses (
    key TEXT PRIMARY KEY,
    data BLOB NOT NULL,
    size INTEGER NOT NULL,
    last_used REAL NOT NULL
);
"""
TABLES = ("layers", "analyses")
"""Per-layer indexes, and whole analyses of a layer stack (see `get_analysis`)."""
DEFAULT_MAX_BYTES = 2 * 1024 * 1024 * 1024
CACHE_FILE = "layers.sqlite"
OPEN_ATTEMPTS = 40
"""Tries to open a cache another process is creating (about 40 s in all)."""
ENCODING_AHEAD = 2
"""Indexes `put` for the last time that may be waiting to be stored: the indexes held (and
their encodings) stay bounded however many layers a walk puts."""
TOUCH_AFTER = 60.0
"""Seconds a row's last use may lag before a read records it again: least-recently-used order
kept to the minute, so a rescan reads the cache without a write (and its WAL checkpoint)."""


def holds_nothing(directory: Path) -> bool:
    """Whether no cache was ever created in `directory`: any key is a miss, known without
    opening (or creating) the database."""
    return not (directory / CACHE_FILE).exists()


class LayerCache:
    """Cached `LayerIndex`es keyed by diff_id plus the capture spec's version, and opaque
    analyses of whole layer stacks; one LRU size bound over both."""

    def __init__(self, directory: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.path = directory / CACHE_FILE
        self.max_bytes = max_bytes
        self._pending: list[_Encoding] = []
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self._db = self._connect()
        except (OSError, sqlite3.Error) as exc:
            raise CacheError(f"layer cache {self.path}: {exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        try:
            db = self._open_when_free()
        except sqlite3.OperationalError:
            raise  # still locked by another process after the retries: not damage, never set aside
        except sqlite3.DatabaseError:
            # Not a database (damaged or foreign file): set it aside and start afresh.
            with contextlib.suppress(OSError):
                self.path.replace(self.path.with_suffix(".corrupt"))
            db = self._open()
        return db

    def _open_when_free(self) -> sqlite3.Connection:
        """Open and check the cache, retrying while another process creates it (WAL switch)."""
        for attempt in range(OPEN_ATTEMPTS):
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            try:
                self._prepare(db)
                db.execute("SELECT count(*) FROM layers").fetchone()
            except sqlite3.OperationalError as exc:
                db.close()
                if "locked" not in str(exc) or attempt == OPEN_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
            else:
                return db
        raise AssertionError("unreachable")

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self._prepare(db)
        return db

    @staticmethod
    def _prepare(db: sqlite3.Connection) -> None:
        db.execute("PRAGMA busy_timeout = 60000")
        if db.execute("PRAGMA page_count").fetchone()[0] == 0:
            # A new file's switch to WAL syncs nothing (four fsyncs otherwise, on every cold
            # run with a fresh cache): a crash then leaves an empty or unreadable file, which
            # `_connect` sets aside. Rows are written under NORMAL, as before.
            db.execute("PRAGMA synchronous = OFF")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.executescript(SCHEMA)

    @staticmethod
    def key(diff_id: str, spec: CaptureSpec) -> str:
        """Row key of one layer under one capture spec."""
        return f"{diff_id}|{spec.version}"

    def get(self, diff_id: str, spec: CaptureSpec) -> LayerIndex | None:
        """The cached index, or None (a damaged row is dropped)."""
        from sievert.source.layerindex import LayerIndex

        key = self.key(diff_id, spec)
        row = self._row("layers", key)
        if row is None:
            return None
        try:
            index = LayerIndex.from_bytes(row[0])
        except ValueError:
            self._execute("DELETE FROM layers WHERE key = ?", (key,))
            return None
        self._touch("layers", key, row[1])
        return index

    def put(
        self, diff_id: str, spec: CaptureSpec, index: LayerIndex, *, last_use: bool = False
    ) -> None:
        """Store an index, then evict least-recently-used rows over the size bound. With
        `last_use` (the caller reads nothing of the index any more) it is encoded on a worker
        thread, zstd compressing without the GIL while the caller goes on, and stored at the
        next read of the cache or when it closes."""
        key = self.key(diff_id, spec)
        if last_use:
            self._flush(ENCODING_AHEAD - 1)
            self._pending.append(_Encoding(key, index))
        else:
            self._store("layers", key, index.to_bytes())

    def _flush(self, keep: int = 0) -> None:
        """Store the indexes encoded on worker threads, in the order they were put, until
        `keep` are left (waiting for their encoding if need be)."""
        while len(self._pending) > keep:
            encoding = self._pending.pop(0)
            self._store("layers", encoding.key, encoding.result(self.path))

    def get_analysis(self, key: str) -> bytes | None:
        """The stored analysis under key (what the caller stored, unread), or None."""
        row = self._row("analyses", key)
        if row is None:
            return None
        self._touch("analyses", key, row[1])
        return row[0]

    def put_analysis(self, key: str, data: bytes) -> None:
        """Store an analysis, then evict least-recently-used rows over the size bound."""
        self._store("analyses", key, data)

    def _row(self, table: str, key: str) -> tuple[bytes, float] | None:
        """(data, last_used) of a row, or None."""
        self._flush()
        sql = f"SELECT data, last_used FROM {table} WHERE key = ?"
        try:
            row = self._db.execute(sql, (key,)).fetchone()
        except sqlite3.Error as exc:
            raise CacheError(f"layer cache {self.path}: {exc}") from exc
        return None if row is None else (bytes(row[0]), float(row[1]))

    def _touch(self, table: str, key: str, last_used: float) -> None:
        """Record a use, unless the row was used within TOUCH_AFTER seconds."""
        now = time.time()
        if not 0 <= now - last_used < TOUCH_AFTER:
            self._execute(f"UPDATE {table} SET last_used = ? WHERE key = ?", (now, key))

    def _store(self, table: str, key: str, data: bytes) -> None:
        self._execute(
            f"INSERT OR REPLACE INTO {table} (key, data, size, last_used) VALUES (?, ?, ?, ?)",
            (key, data, len(data), time.time()),
        )
        self._evict()

    def drop_analysis(self, key: str) -> None:
        """Forget one analysis (one its reader found damaged)."""
        self._execute("DELETE FROM analyses WHERE key = ?", (key,))

    def _evict(self) -> None:
        total = sum(
            self._db.execute(f"SELECT coalesce(sum(size), 0) FROM {table}").fetchone()[0]
            for table in TABLES
        )
        if total <= self.max_bytes:
            return
        rows = self._db.execute(
            "SELECT 'layers', key, size, last_used FROM layers UNION ALL "
            "SELECT 'analyses', key, size, last_used FROM analyses ORDER BY 4"
        ).fetchall()
        for table, key, size, _ in rows:
            if total <= self.max_bytes:
                break
            self._execute(f"DELETE FROM {table} WHERE key = ?", (key,))
            total -= size

    def _execute(self, sql: str, params: tuple[object, ...]) -> None:
        try:
            self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise CacheError(f"layer cache {self.path}: {exc}") from exc

    def stats(self) -> tuple[int, int]:
        """(number of cached layers, total bytes, stored analyses included)."""
        self._flush()
        row = self._db.execute("SELECT count(*), coalesce(sum(size), 0) FROM layers").fetchone()
        more = self._db.execute("SELECT coalesce(sum(size), 0) FROM analyses").fetchone()[0]
        return int(row[0]), int(row[1]) + int(more)

    def clear(self) -> int:
        """Remove every entry (analyses too); returns how many layers were removed."""
        count = self.stats()[0]
        for table in TABLES:
            self._execute(f"DELETE FROM {table}", ())
        self._db.execute("VACUUM")
        return count

    def close(self) -> None:
        """Store what is still being encoded, then close the connection."""
        try:
            self._flush()
        finally:
            self._pending.clear()
            self._db.close()


class _Encoding:
    """One layer index encoded (`LayerIndex.to_bytes`) on its own thread."""

    def __init__(self, key: str, index: LayerIndex) -> None:
        self.key = key
        self._index: LayerIndex | None = index
        self._data = b""
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="sievert-encode", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        index, self._index = self._index, None  # the encoded index is not held after
        try:
            if index is not None:
                self._data = index.to_bytes()
        except BaseException as exc:  # handed to the thread that stores it
            self._error = exc

    def result(self, where: Path) -> bytes:
        """The encoded index; CacheError when encoding it failed."""
        self._thread.join()
        if self._error is not None:
            raise CacheError(f"layer cache {where}: a layer index could not be encoded") from (
                self._error
            )
        return self._data
