"""The squashed file view: layers applied in order with whiteouts, each path knowing its layer."""

from __future__ import annotations

import gc
import posixpath
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any, Protocol

from sievert.model import FileRecord, LayerInfo, Location
from sievert.source.layerindex import (
    KIND_OPAQUE,
    KIND_WHITEOUT,
    Entry,
    LayerIndex,
    Row,
    entry_row,
)

MAX_SYMLINK_HOPS = 40


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a path glob: `**` spans directories, `*` and `?` stay within one component."""
    return re.compile(_glob_source(pattern))


def _glob_source(pattern: str) -> str:
    """The regex source of a path glob (see `glob_regex`), not compiled."""
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
    return "".join(out) + r"\Z"


def compile_globs(patterns: Sequence[str]) -> re.Pattern[str]:
    """One regex matching any of the globs (paths without a leading '/')."""
    return _compile_globs(tuple(sorted(set(patterns))))


@lru_cache(maxsize=64)
def _compile_globs(patterns: tuple[str, ...]) -> re.Pattern[str]:
    if not patterns:
        return re.compile(r"(?!)")
    return re.compile("|".join(f"(?:{_glob_source(p)})" for p in patterns))


_WILD = re.compile(r"[*?]")


def _literal_tail(pattern: str) -> str | None:
    """L when the glob is `**/L` with no wildcard in L (it matches L at the root or under any
    directory), else None."""
    if pattern.startswith("**/") and not _WILD.search(pattern, 3):
        return pattern[3:]
    return None


def _ends_in(path: str, tails: tuple[str, ...]) -> bool:
    """Whether `**/L` matches the path for some L in `tails`: the path is L, or ends with '/L'
    after a part without a newline (where the glob's `.*` stops, as the regex's does)."""
    for tail in tails:
        if path == tail:
            return True
        head = len(path) - len(tail) - 1
        if head >= 0 and path.endswith(tail) and path[head] == "/" and "\n" not in path[:head]:
            return True
    return False


def _suffix_glob(pattern: str) -> bool:
    """Whether the glob is `**/*END` with no wildcard in END: it matches a path whose last
    component ends with END, after a part without a newline (where the regex's `.*` stops)."""
    return (
        pattern.startswith("**/*")
        and len(pattern) > 4
        and "/" not in pattern[3:]
        and not _WILD.search(pattern, 4)
    )


class _Globs:
    """Globs tested together, `**/literal` ones by string tests and the rest by one regex
    compiled when first needed (a matcher is built for dozens of globs and most never meet a
    path that gets this far)."""

    __slots__ = ("_globs", "_regex", "_tails")

    def __init__(self, globs: Sequence[str]) -> None:
        tails = [_literal_tail(glob) for glob in globs]
        self._tails = tuple(tail for tail in tails if tail is not None)
        self._globs = tuple(glob for glob, tail in zip(globs, tails, strict=True) if tail is None)
        self._regex: re.Pattern[str] | None = None

    def match(self, path: str) -> bool:
        """Whether any of the globs matches the path."""
        if self._tails and _ends_in(path, self._tails):
            return True
        if not self._globs:
            return False
        if self._regex is None:
            self._regex = _compile_globs(self._globs)
        return self._regex.match(path) is not None


class _Regex(Protocol):
    """What GlobMatcher calls on a group's regex."""

    def match(self, string: str) -> re.Match[str] | None: ...


class _LazyRegex:
    """Stands for the regex of some globs in a GlobMatcher attribute until its first match,
    which compiles it and puts it in its place (later matches are direct regex calls)."""

    __slots__ = ("_attribute", "_globs", "_owner")

    def __init__(self, owner: object, attribute: str, globs: Sequence[str]) -> None:
        self._owner, self._attribute, self._globs = owner, attribute, globs

    def match(self, string: str) -> re.Match[str] | None:
        """Compile, take my place in the owner, match."""
        regex = compile_globs(self._globs)
        setattr(self._owner, self._attribute, regex)
        return regex.match(string)


class GlobMatcher:
    """Tests a path against many globs at once, ruling most paths out with a set lookup and a
    match on the basename alone before any whole-path regex runs.

    Same answers as `compile_globs(patterns).match(path)`; each glob lands in the one group whose
    cheap test is exact for it: no wildcard (a set), a literal last component (by basename),
    a last component with `*`/`?` (its regex on the basename first, and before the regex the
    literal start or end such a component needs: one `startswith`/`endswith` rules most basenames
    out), and the rest (`**` in the last component, or a bare `*`: by the literal prefix of the
    glob). Building one compiles nothing: `**/literal` globs are string tests, and each group's
    regex is compiled when a path first reaches it (then called directly, as before).
    """

    def __init__(self, patterns: Sequence[str]) -> None:
        exact: set[str] = set()
        by_base: dict[str, list[str]] = {}
        by_base_glob: list[str] = []
        base_globs: list[str] = []
        by_prefix: list[str] = []
        suffixes: list[str] = []
        for pattern in sorted(set(patterns)):
            last = pattern.rpartition("/")[2]
            if not _WILD.search(pattern):
                exact.add(pattern)
            elif not _WILD.search(last):
                by_base.setdefault(last, []).append(pattern)
            elif _suffix_glob(pattern):
                suffixes.append(last[1:])
            elif "**" not in last and last.strip("*"):
                by_base_glob.append(pattern)
                base_globs.append(last)
            else:
                by_prefix.append(pattern)
        self._exact = frozenset(exact)
        self._by_base = {base: _Globs(globs) for base, globs in by_base.items()}
        self._base: _Regex = _LazyRegex(self, "_base", base_globs)
        ends = [_WILD.split(last)[-1] for last in base_globs]
        self._base_ends = tuple(end for end in ends if end)
        """Literal ends of the basename globs: a basename matching one ends with one of these,
        or starts with one of `_base_starts` (of the globs ending with a wildcard; '' for one
        with no literal start either, which lets every basename through)."""
        self._base_starts = tuple(
            _WILD.split(last, 1)[0] for last, end in zip(base_globs, ends, strict=True) if not end
        )
        self._by_base_glob: _Regex = _LazyRegex(self, "_by_base_glob", by_base_glob)
        self._prefixes = tuple(_WILD.split(p, 1)[0] for p in by_prefix)
        self._by_prefix: _Regex = _LazyRegex(self, "_by_prefix", by_prefix)
        self._suffixes = tuple(suffixes)
        """Ends of the `**/*END` globs: a string test each (see `_suffix_glob`)."""
        self.empty = not patterns

    def match(self, path: str, base: str | None = None) -> bool:
        """Whether any glob matches the path (`base`: its last component, if known)."""
        if path in self._exact:
            return True
        if base is None:
            base = path.rpartition("/")[2]
        globs = self._by_base.get(base)
        if globs is not None and globs.match(path):
            return True
        if (
            self._suffixes
            and base.endswith(self._suffixes)
            and "\n" not in path[: len(path) - len(base)]
        ):
            return True
        if (
            (base.endswith(self._base_ends) or base.startswith(self._base_starts))
            and self._base.match(base)
            and self._by_base_glob.match(path)
        ):
            return True
        return (
            bool(self._prefixes)
            and path.startswith(self._prefixes)
            and self._by_prefix.match(path) is not None
        )

    def match_any(self, paths: PathSet) -> bool:
        """Whether any of the paths matches (`any(self.match(p) for p in paths)`), each group
        tested on the paths it can match: exact ones by a set, literal last components by the
        paths having them, wildcard ones once per distinct last component."""
        if not self._exact.isdisjoint(paths.paths):
            return True
        by_base = paths.by_base
        for base in self._by_base.keys() & by_base.keys():
            globs = self._by_base[base]
            if any(globs.match(path) for path in by_base[base]):
                return True
        suffixes = self._suffixes
        if suffixes:
            for base, group in by_base.items():
                if base.endswith(suffixes) and any(
                    "\n" not in path[: len(path) - len(base)] for path in group
                ):
                    return True
        ends, starts = self._base_ends, self._base_starts
        for base, group in by_base.items():
            if (
                (base.endswith(ends) or base.startswith(starts))
                and self._base.match(base)
                and any(self._by_base_glob.match(path) for path in group)
            ):
                return True
        prefixes = self._prefixes
        return bool(prefixes) and any(
            path.startswith(prefixes) and self._by_prefix.match(path) is not None
            for path in paths.paths
        )


class PathSet:
    """Paths, and the same grouped by last component: what `GlobMatcher.match_any` tests."""

    __slots__ = ("by_base", "paths")

    def __init__(self, paths: Iterable[str]) -> None:
        self.paths = frozenset(paths)
        self.by_base: dict[str, list[str]] = {}
        for path in self.paths:
            self.by_base.setdefault(path.rpartition("/")[2], []).append(path)


@lru_cache(maxsize=256)
def glob_matcher(patterns: tuple[str, ...]) -> GlobMatcher:
    """A (cached) GlobMatcher for these globs."""
    return GlobMatcher(patterns)


def matches(path: str, pattern: str) -> bool:
    """Whether a normalised path matches one glob."""
    return glob_regex(pattern).match(path) is not None


SPILL_AT = 100_000
"""Paths a view keeps in a dict; past this it moves them to a private on-disk SQLite table, so
memory stays bounded however many files an image holds."""

_TEXT = "surrogatepass"
_MARKERS = frozenset((KIND_OPAQUE, KIND_WHITEOUT))
Stored = tuple[Row, int]
"""A path's entry (as `EntryTable.rows` gives it) and the index of the layer that wrote it."""
Drop = Callable[[bytes, bool], None]
"""Called when a put drops captured data: (path, whether the path's whole subtree goes)."""
_Resolved = tuple[str, tuple[str, ...], int]
"""A directory part of a path resolved: its real path and components, the symlink hops taken."""
_ROOT: _Resolved = ("", (), 0)
_RESOLVED_SIZE = 1 << 22
"""Characters and components of resolved directories a view remembers (all forgotten at once
past this: some MiB however deep and long the paths of a hostile image are)."""


def _rows(entries: Iterable[Entry]) -> Iterator[Row]:
    """A layer's entries as rows, straight from a packed table when they are one."""
    rows = getattr(entries, "rows", None)
    return rows() if rows is not None else (entry_row(entry) for entry in entries)


def _marker_rows(entries: Iterable[Entry]) -> Iterable[tuple[bytes, str]]:
    """(path, kind) of a layer's whiteout and opaque entries; a packed table lists them."""
    marker_rows = getattr(entries, "marker_rows", None)
    if marker_rows is not None:
        return marker_rows()  # type: ignore[no-any-return]
    return ((row[0], row[1]) for row in _rows(entries) if row[1] in _MARKERS)


_SCAN_BUDGET = 4_000_000
"""Paths a view in memory may look at while removing directories' children (each removal scans
the map) before it moves to disk, where a removal is a range delete: many whiteouts of
directories cost time in proportion to their count, not to their count times the paths."""


class _DictRecords:
    """path -> (row, layer index) in memory; also every directory some path lies under, so
    removing a file's (absent) children does not scan the whole map."""

    def __init__(self) -> None:
        self._map: dict[bytes, Stored] = {}
        self._parents: set[bytes] = set()
        """A superset of the proper ancestors of the mapped paths."""
        self.scanned = 0
        """Paths looked at by removals of children so far (see `_SCAN_BUDGET`)."""

    def get(self, path: bytes) -> Stored | None:
        return self._map.get(path)

    def put_rows(
        self, index: int, rows: Iterator[Row], captured: set[bytes], drop: Drop, limit: int
    ) -> bool:
        """Put rows one after another (markers skipped: applied before); False as soon as more
        than `limit` paths are held or removals scanned past `_SCAN_BUDGET` (the rest of `rows`
        is left to a store on disk)."""
        records, parents = self._map, self._parents
        bound = min(limit, len(records) + _YOUNG)
        for row in rows:
            kind = row[1]
            if kind in _MARKERS:
                continue
            path = row[0]
            if kind != "dir":
                if path in captured:
                    drop(path, False)
                old = records.get(path)
                if old is not None and old[0][1] == "dir":
                    self.remove(path)
                    self.remove_children(path)
                    drop(path, True)
            records[path] = (row, index)
            parent = path.rpartition(b"/")[0]
            while parent not in parents:  # it and its ancestors; those of one held are held
                parents.add(parent)
                parent = parent.rpartition(b"/")[0]
            if len(records) > bound or self.scanned > _SCAN_BUDGET:
                if len(records) > limit or self.scanned > _SCAN_BUDGET:
                    return False
                _age_young_objects()
                bound = min(limit, len(records) + _YOUNG)
        return True

    def remove(self, path: bytes) -> None:
        self._map.pop(path, None)

    def remove_children(self, path: bytes) -> None:
        if path and path not in self._parents:
            return  # nothing lies under it
        prefix = path + b"/" if path else b""
        self.scanned += len(self._map)
        for doomed in [p for p in self._map if p.startswith(prefix) and p != path]:
            del self._map[doomed]

    def __len__(self) -> int:
        return len(self._map)

    def values(self) -> Iterator[Stored]:
        return iter(self._map.values())


_YOUNG = 16_384
"""Paths a view in memory puts before it ages the young objects (see `_age_young_objects`):
32,768 tuples, under the CLI's young-generation threshold of 50,000."""
_INT64 = range(-(2**63), 2**63)
_BATCH = 1024
_FILTER_SLOTS = 1 << 21
"""Slots of the filter of directory paths a spilled view keeps (2 MiB whatever the count, once
it holds a directory)."""


def _to_sql(number: int) -> int | str:
    return number if number in _INT64 else str(number)


def _sql_row(row: Row, layer: int) -> tuple[object, ...]:
    path, kind, size, mode, uid, gid, link = row
    return path, kind, _to_sql(size), _to_sql(mode), _to_sql(uid), _to_sql(gid), link, layer


class _SqlRecords:
    """path -> (row, layer index) in a private temporary SQLite database (deleted on close;
    its page cache bounded), for views with more paths than `SPILL_AT`.

    Rows go in by batches of plain inserts; a put that may replace a directory (a fixed-size
    filter of directory paths says so) first flushes the batch and looks the path up, so the
    answers are those of putting the rows one by one.
    """

    def __init__(self, items: Iterator[Stored]) -> None:
        self._db = sqlite3.connect("", isolation_level=None)
        self._db.execute("PRAGMA cache_size = -8192")  # KiB
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute(
            "CREATE TABLE r (path BLOB PRIMARY KEY, kind TEXT, size, mode INT, uid, gid, "
            "link BLOB, layer INT) WITHOUT ROWID"
        )
        self._db.execute("BEGIN")
        self._dirs = bytearray()
        """Two slots per directory path put (by its hash): 0 in either means not a directory
        (empty while no directory was put)."""
        self._db.executemany(f"INSERT INTO r VALUES ({', '.join('?' * 8)})", self._marked(items))

    def _marked(self, items: Iterator[Stored]) -> Iterator[tuple[object, ...]]:
        """SQL rows of (row, layer) pairs, their directories marked in the filter on the way."""
        for row, layer in items:
            if row[1] == "dir":
                self._mark_dir(row[0])
            yield _sql_row(row, layer)

    def _mark_dir(self, path: bytes) -> None:
        if not self._dirs:
            self._dirs += bytes(_FILTER_SLOTS)  # in place: put_rows holds the same object
        number = hash(path)
        self._dirs[number % _FILTER_SLOTS] = self._dirs[(number >> 32) % _FILTER_SLOTS] = 1

    def _insert(self, batch: list[Row], layer: int) -> None:
        sql = f"INSERT OR REPLACE INTO r VALUES ({', '.join('?' * 7)}, {int(layer)})"
        try:
            self._db.executemany(sql, batch)
        except OverflowError:  # a number past SQLite's integers: as text, the batch again
            self._db.executemany(sql, [_sql_row(row, layer)[:7] for row in batch])

    def put_rows(self, index: int, rows: Iterator[Row], captured: set[bytes], drop: Drop) -> None:
        """Put rows as if one after another (markers skipped: applied before)."""
        dirs, slots = self._dirs, _FILTER_SLOTS
        batch: list[Row] = []
        for row in rows:
            kind = row[1]
            if kind in _MARKERS:
                continue
            path = row[0]
            if kind == "dir":
                self._mark_dir(path)
            else:
                if path in captured:
                    drop(path, False)
                number = hash(path)
                if dirs and dirs[number % slots] and dirs[(number >> 32) % slots]:
                    self._insert(batch, index)
                    batch = []
                    old = self.get(path)
                    if old is not None and old[0][1] == "dir":
                        self.remove(path)
                        self.remove_children(path)
                        drop(path, True)
            batch.append(row)
            if len(batch) >= _BATCH:
                self._insert(batch, index)
                batch = []
        self._insert(batch, index)

    @staticmethod
    def _stored(found: tuple[Any, ...]) -> Stored:
        path, kind, size, mode, uid, gid, link, layer = found
        return (path, kind, int(size), int(mode), int(uid), int(gid), link), layer

    def get(self, path: bytes) -> Stored | None:
        found = self._db.execute("SELECT * FROM r WHERE path = ?", (path,)).fetchone()
        return None if found is None else self._stored(found)

    def remove(self, path: bytes) -> None:
        self._db.execute("DELETE FROM r WHERE path = ?", (path,))

    def remove_children(self, path: bytes) -> None:
        if not path:
            self._db.execute("DELETE FROM r WHERE path != x''")
            return
        self._db.execute("DELETE FROM r WHERE path >= ? AND path < ?", (path + b"/", path + b"0"))

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM r").fetchone()[0])

    def values(self) -> Iterator[Stored]:
        return (self._stored(found) for found in self._db.execute("SELECT * FROM r"))

    def close(self) -> None:
        self._db.close()


class FileView:
    """Squashed view of an image's layers, built one layer at a time with `apply`.

    Holds one record per path, as the packed layer tables give it (no object per field): in a
    dict up to `spill_at` paths, then in a private on-disk SQLite table (the same answers,
    memory no longer growing with the file count).
    """

    def __init__(self, layers: Sequence[LayerInfo] = (), spill_at: int = SPILL_AT) -> None:
        self._layers = tuple(layers)
        self._records: _DictRecords | _SqlRecords = _DictRecords()
        """path -> (row, layer index); FileRecords are built only when asked for."""
        self._spill_at = spill_at
        self._contents: dict[str, bytes] = {}
        self._extracts: dict[str, dict[str, bytes]] = {}
        self.data_changed: set[str] = set()
        """Paths whose captured bytes or summaries the last `apply` wrote or removed."""
        self.applied = -1
        """Index of the last layer applied."""
        self._dirs: dict[str, _Resolved | None] = {}
        """Directory parts of paths resolved since the last `apply` (see `_resolved_dir`)."""
        self._dirs_size = 0
        """Characters and components held in `_dirs` (bounded by `_RESOLVED_SIZE`)."""

    def __del__(self) -> None:
        if isinstance(self._records, _SqlRecords):
            self._records.close()

    # building -----------------------------------------------------------------------------
    def apply(self, index: int, layer: LayerIndex) -> None:
        """Apply one layer on top: its whiteouts and opaque directories first, then its entries
        in order (a file, link or device put over a directory removes the directory's tree).

        `data_changed` then holds the paths whose captured bytes or extractor summaries
        changed: what catalogers can see.
        """
        self._dirs.clear()
        self._dirs_size = 0
        self.data_changed = set(layer.contents) | set(layer.extracts)
        before = set(self._contents) | set(self._extracts)
        for path, kind in _marker_rows(layer.entries):
            if kind == KIND_OPAQUE:
                self._delete_children(path)
            elif kind == KIND_WHITEOUT:
                self._delete(path)
            else:
                continue
            if isinstance(self._records, _DictRecords) and self._records.scanned > _SCAN_BUDGET:
                self._records = _SqlRecords(self._records.values())
        captured = {path.encode("utf-8", _TEXT) for path in before}
        rows = _rows(layer.entries)
        if isinstance(self._records, _DictRecords) and not self._records.put_rows(
            index, rows, captured, self._drop, self._spill_at
        ):
            self._records = _SqlRecords(self._records.values())  # then the rest of the layer
        if isinstance(self._records, _SqlRecords):
            self._records.put_rows(index, rows, captured, self._drop)
        self._contents.update(layer.contents)
        self._extracts.update(layer.extracts)
        self.data_changed |= before - set(self._contents) - set(self._extracts)
        self.applied = index
        _age_young_objects()

    def _delete(self, path: bytes) -> None:
        self._records.remove(path)
        self._records.remove_children(path)
        self._drop(path, True)

    def _delete_children(self, path: bytes) -> None:
        self._records.remove_children(path)
        self._drop_children(path.decode("utf-8", _TEXT))

    def _drop(self, path: bytes, tree: bool) -> None:
        """Forget the captured data at a path (and under it, when `tree`)."""
        name = path.decode("utf-8", _TEXT)
        self._contents.pop(name, None)
        self._extracts.pop(name, None)
        if tree:
            self._drop_children(name)

    def _drop_children(self, name: str) -> None:
        prefix = name + "/" if name else ""
        for doomed in [p for p in self._contents if p.startswith(prefix) and p != name]:
            del self._contents[doomed]
        for doomed in [p for p in self._extracts if p.startswith(prefix) and p != name]:
            del self._extracts[doomed]

    # reading ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._records)

    def records(self) -> Iterator[FileRecord]:
        """Every path of the squashed view."""
        return (_file_record(row, index) for row, index in self._records.values())

    def record(self, path: str) -> FileRecord | None:
        """The entry at a path (not following symlinks)."""
        found = self._get(normalize(path))
        return None if found is None else _file_record(*found)

    def _get(self, path: str) -> Stored | None:
        return self._records.get(path.encode("utf-8", _TEXT))

    def exists(self, path: str) -> bool:
        """Whether the path exists after symlink resolution."""
        return self.resolve(path) is not None

    def glob(self, pattern: str) -> list[str]:
        """Captured file paths matching a glob, sorted (tested as `glob_regex` would, most
        globs without compiling a regex: see `GlobMatcher`)."""
        match = glob_matcher((normalize(pattern),)).match
        return sorted(p for p in self._contents if match(p))

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
            found = self._get(real)
            if found is not None and found[0][1] == "hardlink":
                return self._contents.get(found[0][6].decode("utf-8", _TEXT))
        return data

    def read_text(self, path: str) -> str | None:
        """`read` decoded as UTF-8 with replacement."""
        data = self.read(path)
        return None if data is None else data.decode("utf-8", "replace")

    def resolve(self, path: str) -> str | None:
        """Follow symlinks (absolute ones from the image root), never leaving the root."""
        parent, _, last = normalize(path).rpartition("/")
        state = self._resolved_dir(parent)
        if state is None or not last:
            return None if state is None else state[0]
        real = f"{state[0]}/{last}" if state[0] else last
        found = self._get(real)
        if found is not None and found[0][1] != "symlink":
            return real  # the common case: `_follow` would find the same
        state = self._follow(state, last, True)
        return None if state is None else state[0]

    def _resolved_dir(self, path: str) -> _Resolved | None:
        """What resolving a directory part of a path gives: its real path and components and
        the symlink hops taken (a missing component kept as it is), or None past the hop bound;
        remembered until the next `apply`, so the paths under one directory resolve it once."""
        known = self._dirs
        if path in known:
            return known[path]
        pending: list[str] = []
        head = path
        while head and head not in known:
            head, _, part = head.rpartition("/")
            pending.append(part)
        state = known[head] if head else _ROOT
        for part in reversed(pending):
            head = f"{head}/{part}" if head else part
            if state is not None:
                state = self._follow(state, part, False)
            self._remember(head, state)
        return state

    def _remember(self, path: str, state: _Resolved | None) -> None:
        """Keep a resolved directory, within `_RESOLVED_SIZE` (forgetting all others if need be)."""
        size = len(path) + (0 if state is None else len(state[0]) + len(state[1]))
        if self._dirs_size + size > _RESOLVED_SIZE:
            self._dirs.clear()
            self._dirs_size = 0
        if size <= _RESOLVED_SIZE:
            self._dirs[path] = state
            self._dirs_size += size

    def _follow(self, state: _Resolved, part: str, last: bool) -> _Resolved | None:
        """The state after resolving one more component (None past `MAX_SYMLINK_HOPS`, or
        when it is the `last` one and does not exist; a missing directory is kept as it is)."""
        done, hops = list(state[1]), state[2]
        parts = [part]
        while parts:
            part = parts.pop(0)
            if part == "..":
                if done:
                    done.pop()
                continue
            found = self._get("/".join([*done, part]))
            if found is None:
                if last and not parts:
                    return None
                done.append(part)  # a parent directory the layer tars never listed
                continue
            if found[0][1] == "symlink":
                hops += 1
                if hops > MAX_SYMLINK_HOPS:
                    return None
                target = found[0][6].decode("utf-8", _TEXT)
                if target.startswith("/"):
                    done = []
                parts = [p for p in target.split("/") if p and p != "."] + parts
                continue
            done.append(part)
        return "/".join(done), tuple(done), hops

    def location(self, path: str) -> Location:
        """Where a path is, with the layer that last wrote it."""
        norm = normalize(path)
        found = self._get(norm)
        index = found[1] if found is not None else -1
        if 0 <= index < len(self._layers):
            layer = self._layers[index]
            return Location("/" + norm, index, layer.digest, layer.diff_id)
        return Location("/" + norm, index)


def _age_young_objects() -> None:
    """Hand the objects the cyclic collector tracks as young to its oldest generation, without
    a collection: a view's records (two tuples a path, alive as long as the view) would make
    the young generation reach its threshold and be traversed, finding nothing to free (a
    pass of about 8 ms on the apps image, one per 25,000 paths). They stay collectable by the
    next full collection. Not while objects are frozen (a server freezes what it keeps alive;
    unfreezing would hand those back to the collector)."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


def _file_record(row: Row, index: int) -> FileRecord:
    path, kind, size, mode, uid, gid, link = row
    text = "utf-8", _TEXT
    return FileRecord(path.decode(*text), kind, size, mode, uid, gid, link.decode(*text), index)


def normalize(path: str) -> str:
    """Path as the view keys it: no leading '/' or './', no '.' or empty components."""
    return posixpath.normpath("/" + path).lstrip("/")
