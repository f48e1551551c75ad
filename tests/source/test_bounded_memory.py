"""Memory that does not grow with the file count: packed entry tables, and a view that moves
its records to disk past a bound while answering exactly as the in-memory one does."""

from __future__ import annotations

import io
import tarfile
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sievert.model import FileRecord, LayerInfo
from sievert.source import layerindex
from sievert.source import view as view_module
from sievert.source.capture import CaptureSpec
from sievert.source.layerindex import KIND_OPAQUE, KIND_WHITEOUT, Entry, EntryTable, LayerIndex
from sievert.source.tarwalk import index_tar
from sievert.source.view import FileView

LAYER = LayerInfo(0, "sha256:" + "ef" * 32, "", 0, "")
SPEC = CaptureSpec(globs=("etc/os-release", "**/*.gemspec"), version="t")


def many_files(count: int) -> io.BytesIO:
    """A layer of `count` small files no cataloger wants, plus one it does, streamed."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("etc/os-release")
        info.size = 8
        tar.addfile(info, io.BytesIO(b"ID=test\n"))
        for n in range(count):
            info = tarfile.TarInfo(f"usr/share/bulk/d{n // 1000:04d}/file-{n:07d}.txt")
            info.size = 16
            tar.addfile(info, io.BytesIO(b"%015d\n" % n))
    buf.seek(0)
    return buf


def peak_of_walk_and_squash(count: int) -> int:
    """Peak traced bytes while walking a layer of `count` files and squashing it into a view."""
    stream = many_files(count)
    tracemalloc.start()
    try:
        index = index_tar(stream, SPEC, LAYER)
        view = FileView([LAYER], spill_at=2_000)
        view.apply(0, index)
        assert len(view) == count + 1 + count // 1000 * 0  # files only: no dir members
        assert view.read_text("etc/os-release") == "ID=test\n"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def test_memory_does_not_grow_with_uninteresting_members(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three times the members, about the same peak: no object is kept per member."""
    monkeypatch.setattr(layerindex, "_SPOOL", 256 * 1024)  # spill the packed table early
    small = peak_of_walk_and_squash(10_000)
    large = peak_of_walk_and_squash(30_000)
    assert large < small * 1.25 + 512 * 1024, (small, large)
    assert large < 8 * 1024 * 1024, large


def test_a_cached_layer_index_is_read_back_by_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading a layer index from the cache never holds its packed entries whole in memory."""
    monkeypatch.setattr(layerindex, "_SPOOL", 256 * 1024)
    table = EntryTable(Entry(f"usr/share/bulk/f{n:07d}", "file", n) for n in range(80_000))
    data = LayerIndex("sha256:x", table, {"etc/os-release": b"ID=test\n"}).to_bytes()
    tracemalloc.start()
    try:
        again = LayerIndex.from_bytes(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sum(1 for _ in table.chunks()) > 4  # the packed entries are several MiB
    assert peak < 3 * 1024 * 1024, peak
    assert again == LayerIndex("sha256:x", table, {"etc/os-release": b"ID=test\n"})


def test_entry_table_round_trips_every_value() -> None:
    entries = [
        Entry("etc", "dir", 0, 0o755),
        Entry("b/\udce9t\u00e9", "file", 2**40, 0o4755, 2**31, 7, ""),
        Entry("neg", "file", 0, 0, -5, -(2**63), ""),
        Entry("huge", "file", 2**70, 0, 2**64, 0, ""),  # out of the packed range: kept whole
        Entry("odd", "weird-kind", 1, 2, 3, 4, "x"),
        Entry("l", "symlink", 0, 0o777, 0, 0, "../\U0001f600/t"),
        Entry("w", KIND_WHITEOUT),
        Entry("o", KIND_OPAQUE),
    ]
    table = EntryTable(entries)
    assert list(table) == entries
    assert list(table) == entries  # iterable more than once
    table.add("late", "file", 1, 0, 0, 0, "")
    assert list(table)[-1] == Entry("late", "file", 1)
    index = LayerIndex("sha256:x", table, {"late": b"1"})
    again = LayerIndex.from_bytes(index.to_bytes())
    assert again == index
    assert list(again.entries) == [*entries, Entry("late", "file", 1)]


def test_damaged_packed_entries_are_refused() -> None:
    data = LayerIndex("sha256:x", (Entry("a", "file", 1), Entry("b", "dir"))).to_bytes()
    raw = bytearray(layerindex.zstandard.ZstdDecompressor().decompressobj().decompress(data))
    head_len = int.from_bytes(raw[:8], "big")
    raw[8 + head_len] = 200  # an unknown kind code in the first record
    damaged = layerindex.zstandard.ZstdCompressor().compress(bytes(raw))
    with pytest.raises(ValueError, match="damaged"):
        LayerIndex.from_bytes(damaged)
    with pytest.raises(ValueError, match="damaged"):
        LayerIndex.from_bytes(data[: len(data) // 2])


KINDS = ["file", "dir", "symlink", "hardlink", KIND_WHITEOUT, KIND_OPAQUE]
NAMES = st.sampled_from(["", "a", "b", "a/b", "a/c", "a/b/c", "b/a", "a0", "a/b0", "c/d/e"])


@st.composite
def layers(draw: st.DrawFn) -> list[list[Entry]]:
    """A few layers of random entries (paths from a small set, so they collide a lot)."""
    out = []
    for _ in range(draw(st.integers(1, 4))):
        entries = []
        for _ in range(draw(st.integers(0, 8))):
            path = draw(NAMES)
            if not path and draw(st.booleans()):
                continue
            kind = draw(st.sampled_from(KINDS))
            link = draw(NAMES) if kind in ("symlink", "hardlink") else ""
            entries.append(Entry(path, kind, draw(st.integers(0, 9)), 0o644, 0, 0, link))
        out.append(entries)
    return out


def reference(stack: list[list[Entry]]) -> tuple[set[FileRecord], dict[str, bytes]]:
    """The squash, spelled out one entry at a time: each layer's whiteouts and opaque
    directories first, then its entries in order (a non-directory put over a directory removes
    the directory's tree). What every view must answer."""
    records: dict[str, tuple[Entry, int]] = {}
    contents: dict[str, bytes] = {}

    def delete_children(path: str) -> None:
        prefix = path + "/" if path else ""
        for table in (records, contents):
            for doomed in [p for p in table if p.startswith(prefix) and p != path]:
                del table[doomed]

    def delete(path: str) -> None:
        records.pop(path, None)
        contents.pop(path, None)
        delete_children(path)

    for number, entries in enumerate(stack):
        for entry in entries:
            if entry.kind == KIND_OPAQUE:
                delete_children(entry.path)
            elif entry.kind == KIND_WHITEOUT:
                delete(entry.path)
        for entry in entries:
            if entry.kind in (KIND_OPAQUE, KIND_WHITEOUT):
                continue
            if entry.kind != "dir":
                contents.pop(entry.path, None)
                old = records.get(entry.path)
                if old is not None and old[0].kind == "dir":
                    delete(entry.path)
            records[entry.path] = (entry, number)
        contents.update(captured(entries))
    files = {
        FileRecord(e.path, e.kind, e.size, e.mode, e.uid, e.gid, e.link, number)
        for e, number in records.values()
    }
    return files, contents


def captured(entries: list[Entry]) -> dict[str, bytes]:
    """What a walk would have captured of these entries: every regular file's path as data."""
    return {e.path: e.path.encode() for e in entries if e.kind == "file"}


@settings(max_examples=300, deadline=None)
@given(layers(), st.sampled_from([1, 3]), st.booleans(), st.booleans(), st.booleans())
def test_every_view_answers_as_the_one_entry_at_a_time_squash(
    stack: list[list[Entry]], spill_at: int, packed: bool, crowded: bool, scans: bool
) -> None:
    """In memory, moved to disk before or in the middle of a layer, from packed tables or
    tuples, with a filter of directories that rules nothing out (`crowded`) or a real one; the
    view in memory moves to disk after its first scan for children with `scans`."""
    memory, spilled = FileView(), FileView(spill_at=spill_at)
    slots, budget = view_module._FILTER_SLOTS, view_module._SCAN_BUDGET
    view_module._FILTER_SLOTS = 1 if crowded else slots
    view_module._SCAN_BUDGET = 0 if scans else budget
    try:
        for number, entries in enumerate(stack):
            table = EntryTable(entries) if packed else tuple(entries)
            for view in (memory, spilled):
                view.apply(number, LayerIndex(f"sha256:{number}", table, captured(entries)))
                assert view.data_changed == memory.data_changed
    finally:
        view_module._FILTER_SLOTS, view_module._SCAN_BUDGET = slots, budget
    files, contents = reference(stack)
    for view in (memory, spilled):
        assert len(view) == len(files)
        assert set(view.records()) == files
        assert view.glob("**") == sorted(contents)
    for name in ["", "a", "b", "a/b", "a/c", "a/b/c", "b/a", "a0", "a/b0", "c/d/e", "zz"]:
        assert spilled.record(name) == memory.record(name)
        assert spilled.resolve(name) == memory.resolve(name)
        assert spilled.read(name) == memory.read(name)
        assert spilled.location(name) == memory.location(name)


def test_numbers_past_sqlite_integers_survive_the_move_to_disk() -> None:
    entries = [
        Entry("a", "file", 2**70, 0o644, 2**64, -(2**63) - 1, ""),
        Entry("b", "dir", 1, 0o755),
        Entry("b/\udce9", "symlink", 0, 0o777, 0, 0, "../\udce9"),
    ]
    for packed in (True, False):
        view = FileView(spill_at=1)
        view.apply(0, LayerIndex("sha256:0", EntryTable(entries) if packed else tuple(entries)))
        expected = {
            FileRecord(e.path, e.kind, e.size, e.mode, e.uid, e.gid, e.link, 0) for e in entries
        }
        assert set(view.records()) == expected
        assert view.record("/a") == FileRecord(
            "a", "file", 2**70, 0o644, 2**64, -(2**63) - 1, "", 0
        )
