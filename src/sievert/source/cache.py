"""Layer analysis cache: one SQLite file, one row per (diff_id, capture spec), LRU-bounded."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path

from sievert.errors import CacheError
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
"""
DEFAULT_MAX_BYTES = 2 * 1024 * 1024 * 1024
CACHE_FILE = "layers.sqlite"
OPEN_ATTEMPTS = 40
"""Tries to open a cache another process is creating (about 40 s in all)."""


class LayerCache:
    """Cached `LayerIndex`es keyed by diff_id plus the capture spec's version."""

    def __init__(self, directory: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.path = directory / CACHE_FILE
        self.max_bytes = max_bytes
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
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.executescript(SCHEMA)

    @staticmethod
    def key(diff_id: str, spec: CaptureSpec) -> str:
        """Row key of one layer under one capture spec."""
        return f"{diff_id}|{spec.version}"

    def get(self, diff_id: str, spec: CaptureSpec) -> LayerIndex | None:
        """The cached index, or None (a damaged row is dropped)."""
        key = self.key(diff_id, spec)
        try:
            row = self._db.execute("SELECT data FROM layers WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error as exc:
            raise CacheError(f"layer cache {self.path}: {exc}") from exc
        if row is None:
            return None
        try:
            index = LayerIndex.from_bytes(row[0])
        except ValueError:
            self._execute("DELETE FROM layers WHERE key = ?", (key,))
            return None
        self._execute("UPDATE layers SET last_used = ? WHERE key = ?", (time.time(), key))
        return index

    def put(self, diff_id: str, spec: CaptureSpec, index: LayerIndex) -> None:
        """Store an index, then evict least-recently-used rows over the size bound."""
        data = index.to_bytes()
        self._execute(
            "INSERT OR REPLACE INTO layers (key, data, size, last_used) VALUES (?, ?, ?, ?)",
            (self.key(diff_id, spec), data, len(data), time.time()),
        )
        self._evict()

    def _evict(self) -> None:
        total = self._db.execute("SELECT coalesce(sum(size), 0) FROM layers").fetchone()[0]
        if total <= self.max_bytes:
            return
        rows = self._db.execute("SELECT key, size FROM layers ORDER BY last_used").fetchall()
        for key, size in rows:
            if total <= self.max_bytes:
                break
            self._execute("DELETE FROM layers WHERE key = ?", (key,))
            total -= size

    def _execute(self, sql: str, params: tuple[object, ...]) -> None:
        try:
            self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise CacheError(f"layer cache {self.path}: {exc}") from exc

    def stats(self) -> tuple[int, int]:
        """(number of cached layers, total bytes)."""
        row = self._db.execute("SELECT count(*), coalesce(sum(size), 0) FROM layers").fetchone()
        return int(row[0]), int(row[1])

    def clear(self) -> int:
        """Remove every entry; returns how many were removed."""
        count = self.stats()[0]
        self._execute("DELETE FROM layers", ())
        self._db.execute("VACUUM")
        return count

    def close(self) -> None:
        """Close the connection."""
        self._db.close()
