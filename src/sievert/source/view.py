"""The squashed file view: layers applied in order with whiteouts, each path knowing its layer."""

from __future__ import annotations

import posixpath
import re
import sqlite3
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

from sievert.model import FileRecord, LayerInfo, Location
from sievert.source.layerindex import KIND_OPAQUE, KIND_WHITEOUT, Entry, LayerIndex

MAX_SYMLINK_HOPS = 40


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a path glob: `**` spans directories, `*` and `?` stay within one component."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def compile_globs(patterns: Sequence[str]) -> re.Pattern[str]:
    """One regex matching any of the globs (paths without a leading '/')."""
    return _compile_globs(tuple(sorted(set(patterns))))


@lru_cache(maxsize=64)
def _compile_globs(patterns: tuple[str, ...]) -> re.Pattern[str]:
    if not patterns:
        return re.compile(r"(?!)")
    return re.compile("|".join(f"(?:{glob_regex(p).pattern})" for p in patterns))


_WILD = re.compile(r"[*?]")


class GlobMatcher:
    """Tests a path against many globs at once, ruling most paths out with a set lookup and a
    match on the basename alone before any whole-path regex runs.

    Same answers as `compile_globs(patterns).match(path)`; each glob lands in the one group whose
    cheap test is exact for it: no wildcard (a set), a literal last component (by basename),
    a last component with `*`/`?` (its regex on the basename first), and the rest (`**` in the
    last component, or a bare `*`: by the literal prefix of the glob).
    """

    def __init__(self, patterns: Sequence[str]) -> None:
        exact: set[str] = set()
        by_base: dict[str, list[str]] = {}
        by_base_glob: list[str] = []
        base_globs: list[str] = []
        by_prefix: list[str] = []
        for pattern in sorted(set(patterns)):
            last = pattern.rpartition("/")[2]
            if not _WILD.search(pattern):
                exact.add(pattern)
            elif not _WILD.search(last):
                by_base.setdefault(last, []).append(pattern)
            elif "**" not in last and last.strip("*"):
                by_base_glob.append(pattern)
                base_globs.append(last)
            else:
                by_prefix.append(pattern)
        self._exact = frozenset(exact)
        self._by_base = {base: compile_globs(globs) for base, globs in by_base.items()}
        self._base = compile_globs(base_globs)
        self._by_base_glob = compile_globs(by_base_glob)
        self._prefixes = tuple(_WILD.split(p, 1)[0] for p in by_prefix)
        self._by_prefix = compile_globs(by_prefix)
        self.empty = not patterns

    def match(self, path: str, base: str | None = None) -> bool:
        """Whether any glob matches the path (`base`: its last component, if known)."""
        if path in self._exact:
            return True
        if base is None:
            base = path.rpartition("/")[2]
        rx = self._by_base.get(base)
        if rx is not None and rx.match(path):
            return True
        if self._base.match(base) and self._by_base_glob.match(path):
            return True
        return (
            bool(self._prefixes)
            and path.startswith(self._prefixes)
            and self._by_prefix.match(path) is not None
        )


@lru_cache(maxsize=64)
def glob_matcher(patterns: tuple[str, ...]) -> GlobMatcher:
    """A (cached) GlobMatcher for these globs."""
    return GlobMatcher(patterns)


def matches(path: str, pattern: str) -> bool:
    """Whether a normalised path matches one glob."""
    return glob_regex(pattern).match(path) is not None


SPILL_AT = 100_000
"""Paths a view keeps in a dict; past this it moves them to a private on-disk SQLite table, so
memory stays bounded however many files an image holds."""


class _DictRecords:
    """path -> (entry, layer index) in memory."""

    def __init__(self) -> None:
        self._map: dict[str, tuple[Entry, int]] = {}

    def get(self, path: str) -> tuple[Entry, int] | None:
        return self._map.get(path)

    def put(self, entry: Entry, layer: int) -> None:
        self._map[entry.path] = (entry, layer)

    def remove(self, path: str) -> None:
        self._map.pop(path, None)

    def remove_children(self, path: str) -> None:
        prefix = path + "/" if path else ""
        for doomed in [p for p in self._map if p.startswith(prefix) and p != path]:
            del self._map[doomed]

    def __len__(self) -> int:
        return len(self._map)

    def values(self) -> Iterator[tuple[Entry, int]]:
        return iter(self._map.values())


_TEXT = "surrogatepass"
_INT64 = range(-(2**63), 2**63)


def _to_sql(number: int) -> int | str:
    return number if number in _INT64 else str(number)


class _SqlRecords:
    """path -> (entry, layer index) in a private temporary SQLite database (deleted on close;
    its page cache bounded), for views with more paths than `SPILL_AT`."""

    def __init__(self, items: Iterator[tuple[Entry, int]]) -> None:
        self._db = sqlite3.connect("", isolation_level=None)
        self._db.execute("PRAGMA cache_size = -8192")  # KiB
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute(
            "CREATE TABLE r (path BLOB PRIMARY KEY, layer INT, kind TEXT, size, mode INT, "
            "uid, gid, link BLOB) WITHOUT ROWID"
        )
        self._db.execute("BEGIN")
        self._db.executemany(
            "INSERT OR REPLACE INTO r VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (self._row(entry, layer) for entry, layer in items),
        )

    @staticmethod
    def _row(entry: Entry, layer: int) -> tuple[object, ...]:
        return (
            entry.path.encode("utf-8", _TEXT),
            layer,
            entry.kind,
            _to_sql(entry.size),
            entry.mode,
            _to_sql(entry.uid),
            _to_sql(entry.gid),
            entry.link.encode("utf-8", _TEXT),
        )

    @staticmethod
    def _entry(row: tuple[Any, ...]) -> tuple[Entry, int]:
        path, layer, kind, size, mode, uid, gid, link = row
        entry = Entry(
            path.decode("utf-8", _TEXT),
            kind,
            int(size),
            mode,
            int(uid),
            int(gid),
            link.decode("utf-8", _TEXT),
        )
        return entry, layer

    def get(self, path: str) -> tuple[Entry, int] | None:
        row = self._db.execute(
            "SELECT * FROM r WHERE path = ?", (path.encode("utf-8", _TEXT),)
        ).fetchone()
        return None if row is None else self._entry(row)

    def put(self, entry: Entry, layer: int) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO r VALUES (?, ?, ?, ?, ?, ?, ?, ?)", self._row(entry, layer)
        )

    def remove(self, path: str) -> None:
        self._db.execute("DELETE FROM r WHERE path = ?", (path.encode("utf-8", _TEXT),))

    def remove_children(self, path: str) -> None:
        if not path:
            self._db.execute("DELETE FROM r WHERE path != x''")
            return
        low, high = (path + "/").encode("utf-8", _TEXT), (path + "0").encode("utf-8", _TEXT)
        self._db.execute("DELETE FROM r WHERE path >= ? AND path < ?", (low, high))

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM r").fetchone()[0])

    def values(self) -> Iterator[tuple[Entry, int]]:
        return (self._entry(row) for row in self._db.execute("SELECT * FROM r"))

    def close(self) -> None:
        self._db.close()


class FileView:
    """Squashed view of an image's layers, built one layer at a time with `apply`.

    Holds one record per path: in a dict up to `spill_at` paths, then in a private on-disk
    SQLite table (the same answers, memory no longer growing with the file count).
    """

    def __init__(self, layers: Sequence[LayerInfo] = (), spill_at: int = SPILL_AT) -> None:
        self._layers = tuple(layers)
        self._records: _DictRecords | _SqlRecords = _DictRecords()
        """path -> (entry, layer index); FileRecords are built only when asked for."""
        self._spill_at = spill_at
        self._contents: dict[str, bytes] = {}
        self._extracts: dict[str, dict[str, bytes]] = {}
        self.data_changed: set[str] = set()
        """Paths whose captured bytes or summaries the last `apply` wrote or removed."""
        self.applied = -1
        """Index of the last layer applied."""

    def __del__(self) -> None:
        if isinstance(self._records, _SqlRecords):
            self._records.close()

    # building -----------------------------------------------------------------------------
    def apply(self, index: int, layer: LayerIndex) -> None:
        """Apply one layer on top.

        `data_changed` then holds the paths whose captured bytes or extractor summaries
        changed: what catalogers can see.
        """
        self.data_changed = set(layer.contents) | set(layer.extracts)
        before = set(self._contents) | set(self._extracts)
        markers = getattr(layer.entries, "markers", None)  # a packed table counts them
        for entry in layer.entries if markers is None or markers else ():
            if entry.kind == KIND_OPAQUE:
                self._delete_children(entry.path)
            elif entry.kind == KIND_WHITEOUT:
                self._delete(entry.path)
        records = self._records
        spill = self._spill_at if isinstance(records, _DictRecords) else 0
        for entry in layer.entries:
            if entry.kind in (KIND_OPAQUE, KIND_WHITEOUT):
                continue
            if entry.kind != "dir":
                self._contents.pop(entry.path, None)
                self._extracts.pop(entry.path, None)
                old = records.get(entry.path)
                if old is not None and old[0].kind == "dir":
                    self._delete(entry.path)
            records.put(entry, index)
            if spill and len(records) > spill:
                records = self._records = _SqlRecords(records.values())
                spill = 0
        for path, data in layer.contents.items():
            self._contents[path] = data
        for path, summaries in layer.extracts.items():
            self._extracts[path] = summaries
        self.data_changed |= before - set(self._contents) - set(self._extracts)
        self.applied = index

    def _delete(self, path: str) -> None:
        self._records.remove(path)
        self._contents.pop(path, None)
        self._extracts.pop(path, None)
        self._delete_children(path)

    def _delete_children(self, path: str) -> None:
        self._records.remove_children(path)
        prefix = path + "/" if path else ""
        for doomed in [p for p in self._contents if p.startswith(prefix) and p != path]:
            del self._contents[doomed]
        for doomed in [p for p in self._extracts if p.startswith(prefix) and p != path]:
            del self._extracts[doomed]

    # reading ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._records)

    def records(self) -> Iterator[FileRecord]:
        """Every path of the squashed view."""
        return (_file_record(entry, index) for entry, index in self._records.values())

    def record(self, path: str) -> FileRecord | None:
        """The entry at a path (not following symlinks)."""
        found = self._records.get(normalize(path))
        return None if found is None else _file_record(*found)

    def exists(self, path: str) -> bool:
        """Whether the path exists after symlink resolution."""
        return self.resolve(path) is not None

    def glob(self, pattern: str) -> list[str]:
        """Captured file paths matching a glob, sorted."""
        rx = glob_regex(normalize(pattern))
        return sorted(p for p in self._contents if rx.match(p))

    def extracted(self, extractor: str) -> list[tuple[str, bytes]]:
        """(path, summary) for every file an extractor reduced, sorted by path."""
        return sorted(
            (path, by_name[extractor])
            for path, by_name in self._extracts.items()
            if extractor in by_name
        )

    def read(self, path: str) -> bytes | None:
        """Captured bytes of a file, following symlinks inside the image root; None if absent."""
        real = self.resolve(path)
        if real is None:
            return None
        data = self._contents.get(real)
        if data is None:
            found = self._records.get(real)
            if found is not None and found[0].kind == "hardlink":
                return self._contents.get(found[0].link)
        return data

    def read_text(self, path: str) -> str | None:
        """`read` decoded as UTF-8 with replacement."""
        data = self.read(path)
        return None if data is None else data.decode("utf-8", "replace")

    def resolve(self, path: str) -> str | None:
        """Follow symlinks (absolute ones from the image root), never leaving the root."""
        parts = [p for p in normalize(path).split("/") if p]
        done: list[str] = []
        hops = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                if done:
                    done.pop()
                continue
            candidate = "/".join([*done, part])
            found = self._records.get(candidate)
            record = found[0] if found is not None else None
            if record is None:
                if not parts:
                    return None
                done.append(part)  # a parent directory the layer tars never listed
                continue
            if record.kind == "symlink":
                hops += 1
                if hops > MAX_SYMLINK_HOPS:
                    return None
                target = record.link
                if target.startswith("/"):
                    done = []
                parts = [p for p in target.split("/") if p and p != "."] + parts
                continue
            done.append(part)
        return "/".join(done)

    def location(self, path: str) -> Location:
        """Where a path is, with the layer that last wrote it."""
        norm = normalize(path)
        found = self._records.get(norm)
        index = found[1] if found is not None else -1
        if 0 <= index < len(self._layers):
            layer = self._layers[index]
            return Location("/" + norm, index, layer.digest, layer.diff_id)
        return Location("/" + norm, index)


def _file_record(entry: Entry, index: int) -> FileRecord:
    return FileRecord(
        entry.path, entry.kind, entry.size, entry.mode, entry.uid, entry.gid, entry.link, index
    )


def normalize(path: str) -> str:
    """Path as the view keys it: no leading '/' or './', no '.' or empty components."""
    return posixpath.normpath("/" + path).lstrip("/")
