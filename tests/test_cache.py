"""Layer cache: round trip, keys, eviction, damage, concurrent and killed writers."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import sievert.source.cache as cache_module
from sievert.errors import CacheError
from sievert.model import Notice
from sievert.source.cache import CACHE_FILE, TOUCH_AFTER, LayerCache
from sievert.source.capture import CaptureSpec
from sievert.source.layerindex import KIND_WHITEOUT, Entry, LayerIndex

SPEC = CaptureSpec(globs=("etc/os-release",), version="v1")


def make_index(diff_id: str, payload: bytes = b"ID=debian\n") -> LayerIndex:
    return LayerIndex(
        diff_id=diff_id,
        entries=(
            Entry("etc", "dir", 0, 0o755),
            Entry("etc/os-release", "file", len(payload), 0o644),
            Entry("tmp/x", KIND_WHITEOUT),
        ),
        contents={"etc/os-release": payload},
        notices=(Notice("odd member", "sha256:abc"),),
        bytes_read=len(payload),
    )


def test_round_trip_keeps_entries_contents_and_notices(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)
    index = make_index("sha256:1")
    cache.put("sha256:1", SPEC, index)
    assert cache.get("sha256:1", SPEC) == index
    assert cache.stats()[0] == 1


def test_an_index_put_for_the_last_time_is_stored_by_the_next_read_or_close(
    tmp_path: Path,
) -> None:
    """`last_use` puts are encoded on worker threads: a later read, the stats and closing
    store them, in order, as a plain put would have."""
    cache = LayerCache(tmp_path)
    first, second = make_index("sha256:1"), make_index("sha256:2", b"ID=alpine\n")
    cache.put("sha256:1", SPEC, first, last_use=True)
    cache.put("sha256:2", SPEC, second, last_use=True)
    assert cache.get("sha256:2", SPEC) == second
    assert cache.stats()[0] == 2
    cache.put("sha256:3", SPEC, make_index("sha256:3"), last_use=True)
    cache.close()
    reopened = LayerCache(tmp_path)
    assert reopened.get("sha256:1", SPEC) == first
    assert reopened.stats()[0] == 3
    reopened.close()
    assert not [t for t in threading.enumerate() if t.name == "sievert-encode"]


def test_at_most_two_indexes_wait_to_be_stored(tmp_path: Path) -> None:
    """However many layers are put for the last time, the cache holds at most
    ENCODING_AHEAD of them (and their encodings) before storing the oldest."""
    cache = LayerCache(tmp_path)
    for n in range(6):
        cache.put(f"sha256:{n}", SPEC, make_index(f"sha256:{n}"), last_use=True)
        assert len(cache._pending) <= cache_module.ENCODING_AHEAD
    assert cache._db.execute("SELECT count(*) FROM layers").fetchone()[0] == 4
    cache.close()


class Unencodable(LayerIndex):
    """An index whose encoding fails, as a bug would make it."""

    def to_bytes(self) -> bytes:
        """Fails."""
        raise ValueError("cannot encode")


def test_an_index_that_cannot_be_encoded_is_a_cache_error_at_close(tmp_path: Path) -> None:
    """The failure surfaces as one CacheError naming the cache; the connection is closed."""
    cache = LayerCache(tmp_path)
    cache.put("sha256:1", SPEC, Unencodable("sha256:1", ()), last_use=True)
    cache.put("sha256:2", SPEC, make_index("sha256:2"), last_use=True)
    with pytest.raises(CacheError, match="could not be encoded"):
        cache.close()
    with pytest.raises(sqlite3.ProgrammingError):
        cache.stats()


def test_key_includes_the_capture_spec_version(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)
    cache.put("sha256:1", SPEC, make_index("sha256:1"))
    other = CaptureSpec(globs=SPEC.globs, version="v2")
    assert cache.get("sha256:1", other) is None
    assert cache.get("sha256:2", SPEC) is None


class Clock:
    """A settable `time.time` for the cache module."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_eviction_drops_least_recently_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    monkeypatch.setattr(cache_module.time, "time", clock)
    big = bytes(range(256)) * 400  # ~100 KiB, little compression
    size = len(make_index("x", big).to_bytes())
    cache = LayerCache(tmp_path, max_bytes=int(size * 2.5))
    for name in ("a", "b"):
        cache.put(name, SPEC, make_index(name, big + name.encode()))
        clock.now += TOUCH_AFTER
    assert cache.get("a", SPEC) is not None  # a is now more recent than b
    clock.now += 1
    cache.put("c", SPEC, make_index("c", big + b"c"))
    assert cache.get("b", SPEC) is None
    assert cache.get("a", SPEC) is not None
    assert cache.get("c", SPEC) is not None


def last_used(directory: Path, key: str) -> float:
    """The last_used column of one layer row, read directly."""
    db = sqlite3.connect(directory / CACHE_FILE)
    try:
        return float(db.execute("SELECT last_used FROM layers WHERE key = ?", (key,)).fetchone()[0])
    finally:
        db.close()


def test_a_read_records_its_use_to_the_minute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read within TOUCH_AFTER of the last use writes nothing (a rescan stays read-only);
    a later one moves the row up the LRU order; a clock set back is corrected."""
    clock = Clock()
    monkeypatch.setattr(cache_module.time, "time", clock)
    cache = LayerCache(tmp_path)
    cache.put("a", SPEC, make_index("a"))
    key = LayerCache.key("a", SPEC)
    clock.now += TOUCH_AFTER - 1
    assert cache.get("a", SPEC) is not None
    assert last_used(tmp_path, key) == 1_000_000.0
    clock.now += 1
    assert cache.get("a", SPEC) is not None
    assert last_used(tmp_path, key) == clock.now
    clock.now -= 3600
    assert cache.get("a", SPEC) is not None
    assert last_used(tmp_path, key) == clock.now
    cache.close()


def test_a_damaged_row_is_dropped_not_fatal(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)
    cache.put("sha256:1", SPEC, make_index("sha256:1"))
    db = sqlite3.connect(tmp_path / CACHE_FILE)
    db.execute("UPDATE layers SET data = x'00010203'")
    db.commit()
    db.close()
    assert cache.get("sha256:1", SPEC) is None
    assert cache.stats()[0] == 0


def test_a_file_that_is_not_sqlite_is_set_aside(tmp_path: Path) -> None:
    (tmp_path / CACHE_FILE).write_bytes(b"this is not a database" * 100)
    cache = LayerCache(tmp_path)
    cache.put("sha256:1", SPEC, make_index("sha256:1"))
    assert cache.get("sha256:1", SPEC) is not None
    assert (tmp_path / "layers.corrupt").exists()


def test_clear_empties_the_cache(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)
    cache.put("sha256:1", SPEC, make_index("sha256:1"))
    assert cache.clear() == 1
    assert cache.get("sha256:1", SPEC) is None


WRITER = """
import sys
from sievert.source.capture import CaptureSpec
from sievert.source.cache import LayerCache
from sievert.source.layerindex import Entry, LayerIndex
cache = LayerCache(__import__('pathlib').Path(sys.argv[1]))
spec = CaptureSpec(globs=(), version="v1")
for i in range(int(sys.argv[3])):
    key = f"{sys.argv[2]}-{i}"
    cache.put(key, spec, LayerIndex(key, (Entry("f", "file", 1),), {"f": b"x" * 50000}))
    assert cache.get(key, spec) is not None
print("ok")
"""


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), name, "40"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("p1", "p2")
    ]
    results = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == "ok"
    assert LayerCache(tmp_path).stats()[0] == 80


def test_a_killed_writer_leaves_a_usable_cache(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path), "k", "100000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (tmp_path / CACHE_FILE).exists() and LayerCache(tmp_path).stats()[0] >= 5:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    db = sqlite3.connect(tmp_path / CACHE_FILE)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    cache = LayerCache(tmp_path)
    count = cache.stats()[0]
    assert count >= 5
    assert cache.get("k-0", CaptureSpec(globs=(), version="v1")) is not None
