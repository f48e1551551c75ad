"""Stored match results: a rescan of an unchanged inventory against an unchanged database reads
the last scan's findings, and anything else (another database, an edited file, other code,
another inventory, a damaged or planted entry) matches afresh."""

from __future__ import annotations

import dataclasses
import importlib
import os
import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

import msgspec
import orjson
import pytest
import zstandard

from sievert import vulndb
from sievert.errors import CacheError
from sievert.match import engine
from sievert.model import Inventory
from sievert.model.finding import ScanResult
from sievert.pipeline import (
    InventoryOptions,
    ScanOptions,
    analysis,
    matchcache,
    scan,
    take_inventory,
)
from sievert.source.cache import LayerCache
from sievert.vulndb.update import update
from tests.clitools import run_sievert
from tests.imagebuilder import F, Image, write_oci_layout
from tests.test_pipeline import OS_RELEASE, dist_info, stanza
from tests.vulndb.feedfactory import write_mirror


@dataclasses.dataclass
class Setup:
    target: str
    db: Path
    cache: Path
    mirror: Path

    def options(self, **inventory: Any) -> ScanOptions:
        return ScanOptions(
            inventory=InventoryOptions(cache_dir=self.cache, **inventory), db_path=self.db
        )

    def scan(self, **inventory: Any) -> ScanResult:
        return scan(self.target, self.options(**inventory))

    def stored(self) -> dict[str, bytes]:
        """The stored match results by key."""
        with sqlite3.connect(self.cache / "layers.sqlite") as conn:
            rows = conn.execute("SELECT key, data FROM analyses").fetchall()
        return {k: bytes(d) for k, d in rows if k.startswith(matchcache.KEY_PREFIX)}

    def plant(self, data: bytes) -> None:
        """Replace every stored match result with data."""
        with sqlite3.connect(self.cache / "layers.sqlite") as conn:
            conn.execute("UPDATE analyses SET data = ? WHERE key LIKE 'match|%'", (data,))


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    """An image with a vulnerable Debian package and a vulnerable Python package, and the
    small mirror's database."""
    mirror_dir = tmp_path / "mirror"
    write_mirror(mirror_dir)
    status = stanza("demo", "1.0-1") + stanza("libdemo1", "1.0-1", "demo")
    image = Image([[OS_RELEASE, F("var/lib/dpkg/status", status), dist_info("Foo_Bar.baz", "1.0")]])
    layout = write_oci_layout(tmp_path / "layout", {"t": image})
    db = tmp_path / "db" / "vuln.db"
    assert update(db, mirror=str(mirror_dir)).written
    return Setup(f"oci-dir:{layout}:t", db, tmp_path / "cache", mirror_dir)


@pytest.fixture
def matches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the matcher's runs (one entry per run)."""
    runs: list[int] = []
    real = engine.match_inventory

    def counted(*args: Any, **kwargs: Any) -> Any:
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "match_inventory", counted)
    return runs


def test_a_rescan_reads_the_stored_result(setup: Setup, matches: list[int]) -> None:
    first = setup.scan()
    assert len(first.findings) >= 3 and matches == [1]  # two Debian packages and one PyPI
    assert len(setup.stored()) == 1
    assert setup.scan() == first
    assert matches == [1]  # the second scan did not match


def test_without_the_cache_nothing_is_stored(setup: Setup, matches: list[int]) -> None:
    first = setup.scan(use_cache=False)
    assert setup.scan(use_cache=False) == first
    assert matches == [1, 1] and not setup.cache.exists()


def test_a_rebuilt_database_is_matched_afresh(setup: Setup, matches: list[int]) -> None:
    first = setup.scan()
    assert update(setup.db, mirror=str(setup.mirror)).written  # same feeds, a new build
    again = setup.scan()
    assert matches == [1, 1]
    assert again.findings == first.findings and again.db_built >= first.db_built
    assert len(setup.stored()) == 2


def test_a_database_written_in_place_or_moved_is_matched_afresh(
    setup: Setup, matches: list[int]
) -> None:
    setup.scan()
    info = setup.db.stat()
    os.utime(setup.db, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))  # an edit
    setup.scan()
    moved = setup.db.with_name("copy.db")
    shutil.copy2(setup.db, moved)  # the same content and mtime, another file
    scan(setup.target, msgspec.structs.replace(setup.options(), db_path=moved))
    assert matches == [1, 1, 1]


def test_other_code_or_another_inventory_is_matched_afresh(
    setup: Setup, matches: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    setup.scan()
    setup.scan(pkg_types="os")  # another inventory: only the Debian packages
    assert matches == [1, 1]
    monkeypatch.setattr(matchcache, "_running_code", lambda: "an edited matcher")
    setup.scan()
    assert matches == [1, 1, 1]


def test_the_key_names_every_field_of_every_package(setup: Setup) -> None:
    inventory = take_inventory(setup.target, InventoryOptions(cache_dir=setup.cache))
    with vulndb.open(setup.db) as db:
        key = matchcache.match_key(inventory, db)
        assert key is not None and key == matchcache.match_key(inventory, db)
        first = inventory.packages[0]
        for change in ({"version": "1.0-2"}, {"files": ("/x",)}, {"owner": "o"}):
            package = msgspec.structs.replace(first, **change)  # type: ignore[arg-type]
            other = msgspec.structs.replace(inventory, packages=(package, *inventory.packages[1:]))
            assert matchcache.match_key(other, db) != key
        assert matchcache.match_key(msgspec.structs.replace(inventory, distro=None), db) != key


def test_a_database_without_a_build_id_is_never_stored(setup: Setup, matches: list[int]) -> None:
    with sqlite3.connect(setup.db) as conn:
        conn.execute("DELETE FROM meta WHERE key = 'build_id'")
    first = setup.scan()
    assert setup.scan() == first
    assert matches == [1, 1] and setup.stored() == {}


def _stored_document(setup: Setup) -> dict[str, Any]:
    (data,) = setup.stored().values()
    document: dict[str, Any] = orjson.loads(zstandard.ZstdDecompressor().decompress(data))
    return document


def _packed(document: object) -> bytes:
    return zstandard.ZstdCompressor().compress(orjson.dumps(document))


PLANTED = {
    "empty": lambda doc: b"",
    "not zstd": lambda doc: b"\x00garbage",
    "truncated": lambda doc: _packed(doc)[:-5],
    "not json": lambda doc: zstandard.ZstdCompressor().compress(b"{not json"),
    "no size in the frame": lambda doc: zstandard.ZstdCompressor(write_content_size=False).compress(
        orjson.dumps(doc)
    ),
    "a giant declared size": lambda doc: zstandard.ZstdCompressor().compress(
        b" " * (matchcache.MAX_STORED + 1)
    ),
    "a list at the top": lambda doc: _packed([]),
    "a table missing": lambda doc: _packed({k: v for k, v in doc.items() if k != "evidences"}),
    "a number as an id": lambda doc: _packed({**doc, "vulns": [[7, *doc["vulns"][0][1:]]]}),
    "a string as an index": lambda doc: _packed(
        {**doc, "findings": [["0", *row[1:]] for row in doc["findings"]]}
    ),
    "an index out of range": lambda doc: _packed(
        {**doc, "findings": [[999, *row[1:]] for row in doc["findings"]]}
    ),
    "a negative index": lambda doc: _packed(
        {**doc, "findings": [[row[0], -1, *row[2:]] for row in doc["findings"]]}
    ),
    "an unknown severity": lambda doc: _packed(
        {**doc, "findings": [[*row[:4], "dire", *row[5:]] for row in doc["findings"]]}
    ),
    "an int where a float is stored": lambda doc: _packed(
        {**doc, "findings": [[*row[:8], 7] for row in doc["findings"]]}
    ),
    "a short row": lambda doc: _packed({**doc, "statements": [r[:-1] for r in doc["statements"]]}),
    "a bool as a string": lambda doc: _packed(
        {**doc, "notices": [[True, "", "warning"]], "findings": []}
    ),
}


@pytest.mark.parametrize("damage", list(PLANTED), ids=list(PLANTED))
def test_a_damaged_or_planted_entry_is_a_miss(
    setup: Setup, matches: list[int], damage: str
) -> None:
    first = setup.scan()
    setup.plant(PLANTED[damage](_stored_document(setup)))
    assert setup.scan() == first  # matched afresh, no error
    assert matches == [1, 1]
    assert setup.scan() == first  # the entry was replaced by a good one
    assert matches == [1, 1]


def test_the_planted_cases_do_reach_decode(setup: Setup) -> None:
    """Not vacuous: the untouched document decodes, so each case fails on its own damage."""
    setup.scan()
    inventory = take_inventory(setup.target, InventoryOptions(cache_dir=setup.cache))
    assert matchcache.decode(_packed(_stored_document(setup)), inventory.packages) is not None


def test_a_finding_for_a_package_outside_the_inventory_is_not_stored(setup: Setup) -> None:
    inventory = take_inventory(setup.target, InventoryOptions(cache_dir=setup.cache))
    with vulndb.open(setup.db) as db:
        findings, notices = engine.match_inventory(inventory, db)
    stray = msgspec.structs.replace(
        findings[0], package=msgspec.structs.replace(findings[0].package)
    )
    assert matchcache.encode((findings, notices), inventory.packages) is not None
    assert matchcache.encode(((stray,), notices), inventory.packages) is None


def test_a_cache_failing_on_match_results_still_scans(
    setup: Setup, matches: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = setup.scan()
    for method in ("get_analysis", "put_analysis"):
        real = getattr(LayerCache, method)

        def refuse(cache: LayerCache, key: str, *args: Any, real: Any = real) -> Any:
            if key.startswith(matchcache.KEY_PREFIX):
                raise CacheError("layer cache: disk I/O error")
            return real(cache, key, *args)

        monkeypatch.setattr(LayerCache, method, refuse)
    assert setup.scan() == first
    assert matches == [1, 1]


def round_trip(inventory: Inventory, db_path: Path) -> None:
    with vulndb.open(db_path) as db:
        matched = engine.match_inventory(inventory, db)
    data = matchcache.encode(matched, inventory.packages)
    assert data is not None
    assert matchcache.decode(data, inventory.packages) == matched


def test_every_field_survives_the_store(setup: Setup) -> None:
    round_trip(take_inventory(setup.target, InventoryOptions(cache_dir=setup.cache)), setup.db)


def test_every_field_survives_the_store_on_the_real_images(
    real_db: Path, shared_images: Path, tmp_path: Path
) -> None:
    for tag in ("bookworm", "bookworm-apps", "alpine-3.23"):
        inventory = take_inventory(
            f"oci-dir:{shared_images}:{tag}", InventoryOptions(cache_dir=tmp_path / "cache")
        )
        round_trip(inventory, real_db)


@pytest.mark.parametrize("fmt", ["json", "sarif", "markdown"])
def test_the_report_of_a_rescan_is_byte_for_byte_the_first(setup: Setup, fmt: str) -> None:
    args = ("scan", setup.target, "-q", "-f", fmt, "--cache-dir", str(setup.cache))
    first = run_sievert(*args, "--db", str(setup.db))
    assert first.returncode == 0, first.stderr
    assert len(setup.stored()) == 1
    again = run_sievert(*args, "--db", str(setup.db))
    assert again.returncode == 0 and again.stdout == first.stdout


def test_an_upgraded_dependency_is_other_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PEP 440 order comes from `packaging`: a reinstall of a library deciding findings misses."""
    library = tmp_path / "lib" / "fakedep"
    library.mkdir(parents=True)
    (library / "__init__.py").write_text("ORDER = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    before = analysis.dependency_identity(["fakedep"])
    assert before == analysis.dependency_identity(["fakedep"])
    (library / "__init__.py").write_text("ORDER = 22\n")  # another size: a new release
    assert analysis.dependency_identity(["fakedep"]) != before
    assert analysis.dependency_identity(["no_such_module_here"]) != before
    assert "fakedep" not in sys.modules  # found, never imported
    assert set(matchcache.MATCH_DEPENDENCIES) >= {"packaging"}


def test_a_cache_that_cannot_take_the_result_still_scans(
    setup: Setup, matches: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = LayerCache.put_analysis

    def locked(cache: LayerCache, key: str, data: bytes) -> None:
        if key.startswith(matchcache.KEY_PREFIX):
            raise sqlite3.OperationalError("database is locked")  # as the eviction's reads do
        real(cache, key, data)

    monkeypatch.setattr(LayerCache, "put_analysis", locked)
    first = setup.scan()
    assert setup.scan() == first
    assert matches == [1, 1] and setup.stored() == {}


@pytest.fixture
def open_caches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many layer caches were open as each one closed (one entry per close)."""
    alive: list[LayerCache] = []
    seen: list[int] = []
    real_init, real_close = LayerCache.__init__, LayerCache.close

    def opened(cache: LayerCache, *args: Any, **kwargs: Any) -> None:
        real_init(cache, *args, **kwargs)
        alive.append(cache)

    def closed(cache: LayerCache) -> None:
        seen.append(len(alive))
        alive.remove(cache)
        real_close(cache)

    monkeypatch.setattr(LayerCache, "__init__", opened)
    monkeypatch.setattr(LayerCache, "close", closed)
    return seen


def test_a_scan_closes_the_walk_cache_while_the_match_store_is_open(
    setup: Setup, open_caches: list[int]
) -> None:
    """The walk's connection is not the last one: only the last close checkpoints the WAL."""
    setup.scan()
    assert open_caches == [2, 1]
    assert len(setup.stored()) == 1


def test_a_failed_walk_closes_the_match_store(
    setup: Setup, open_caches: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*args: Any) -> Inventory:
        raise CacheError("layer cache: disk I/O error")

    monkeypatch.setattr(importlib.import_module("sievert.pipeline.scan"), "take_inventory", refused)
    with pytest.raises(CacheError):
        setup.scan()
    assert open_caches == [1]  # the store opened for the match results was closed


def test_a_first_scan_prepares_the_image_before_creating_the_cache(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store a scan opens before its walk is created after the image is prepared (a
    docker-archive's layers are hashing by then), when nothing can be stored yet."""
    from tests.pipeline.test_analysis_cache import Recorder

    recorder = Recorder(monkeypatch)
    first = setup.scan()
    assert recorder.events[:2] == ["prepare", "cache"]
    recorder.events.clear()
    assert setup.scan() == first
    assert recorder.events == ["cache", "cache"]  # the store, the stored analysis: no layer read
