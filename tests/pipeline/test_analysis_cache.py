"""The stored analysis of a layer stack: what a rescan of unchanged layers reads instead of
running the catalogers, and when it must not be trusted."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from sievert.model import Inventory, LayerInfo
from sievert.pipeline import InventoryOptions, analysis, inventory, take_inventory
from sievert.pipeline.analysis import Analysis, analysis_key, chain_id, decode, encode
from sievert.source.cache import LayerCache
from tests.imagebuilder import F, Image, write_oci_layout
from tests.report.inventories import odd_inventory
from tests.test_pipeline import OS_RELEASE, stanza, three_layer_image


def target(tmp_path: Path, image: Image | None = None) -> str:
    layout = write_oci_layout(tmp_path / "layout", {"t": image or three_layer_image()})
    return f"oci-dir:{layout}:t"


def take(where: str, tmp_path: Path, **kwargs: object) -> Inventory:
    options = InventoryOptions(cache_dir=tmp_path / "cache", **kwargs)  # type: ignore[arg-type]
    return take_inventory(where, options)


def refuse_to_analyse(monkeypatch: pytest.MonkeyPatch) -> None:
    def analyse(*args: object) -> None:
        raise AssertionError("the catalogers ran")

    monkeypatch.setattr(inventory, "_analyse", analyse)


def test_round_trip_keeps_every_field() -> None:
    odd = odd_inventory()
    stored = Analysis(odd.distro, odd.packages, odd.notices, odd.file_count)
    assert decode(encode(stored)) == stored
    assert decode(encode(Analysis(None, (), (), 0))) == Analysis(None, (), (), 0)


@pytest.mark.parametrize("data", [b"", b"not zstd", encode(Analysis(None, (), (), 0))[:-3]])
def test_damaged_bytes_are_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError, match="damaged stored analysis"):
        decode(data)


def test_chain_id_is_the_oci_chain_id() -> None:
    a, b, c = ("sha256:" + x * 64 for x in "abc")
    assert chain_id([a]) == a
    ab = "sha256:" + hashlib.sha256(f"{a} {b}".encode()).hexdigest()
    assert chain_id([a, b]) == ab
    assert chain_id([a, b, c]) == "sha256:" + hashlib.sha256(f"{ab} {c}".encode()).hexdigest()


def test_key_needs_every_diff_id_and_orders_them() -> None:
    one, two = (LayerInfo(i, f"d{i}", f"sha256:{i}", 1, "tar") for i in range(2))
    assert analysis_key([one, two]) != analysis_key([two, one])
    assert analysis_key([one, LayerInfo(1, "d", "", 1, "tar")]) is None
    assert analysis_key([]) is None


def test_a_rescan_runs_no_cataloger_and_gives_the_same_inventory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    where = target(tmp_path)
    first = take(where, tmp_path)
    seen: list[tuple[int, str]] = []
    refuse_to_analyse(monkeypatch)
    second = take(
        where, tmp_path, progress=lambda layer, status: seen.append((layer.index, status))
    )
    assert second == first
    assert seen == [(0, "cached"), (1, "cached"), (2, "cached")]


def test_pkg_types_are_chosen_after_the_stored_analysis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    where = target(tmp_path)
    everything = take(where, tmp_path, pkg_types=("os",))
    refuse_to_analyse(monkeypatch)
    library = take(where, tmp_path, pkg_types=("library",))
    assert {p.type for p in everything.packages} == {"deb"}
    assert {p.type for p in library.packages} == {"pypi", "gem"}


def test_a_new_top_layer_is_analysed_afresh(tmp_path: Path) -> None:
    base = [OS_RELEASE, F("var/lib/dpkg/status", stanza("bash", "5.2-1"))]
    upgraded = [F("var/lib/dpkg/status", stanza("bash", "5.2-2"))]
    old = take(target(tmp_path / "old", Image([base])), tmp_path)
    new = take(target(tmp_path / "new", Image([base, upgraded])), tmp_path)
    assert [p.version for p in old.packages] == ["5.2-1"]
    assert [(p.version, p.introduced_by) for p in new.packages] == [("5.2-2", 1)]


def test_a_damaged_stored_analysis_is_dropped_and_redone(tmp_path: Path) -> None:
    where = target(tmp_path)
    first = take(where, tmp_path)
    key = analysis_key(first.image.layers)
    assert key is not None
    cache = LayerCache(tmp_path / "cache")
    cache.put_analysis(key, b"garbage")
    cache.close()
    assert take(where, tmp_path) == first
    cache = LayerCache(tmp_path / "cache")
    stored = cache.get_analysis(key)
    cache.close()
    assert stored is not None and decode(stored).packages == first.packages


def test_nothing_is_stored_without_the_cache_or_with_other_catalogers(tmp_path: Path) -> None:
    where = target(tmp_path)
    take(where, tmp_path, use_cache=False)
    assert not (tmp_path / "cache").exists()
    take(where, tmp_path, catalogers=())
    cache = LayerCache(tmp_path / "cache")
    assert cache.stats()[0] == 3  # the layer indexes, but no analysis
    assert cache._db.execute("SELECT count(*) FROM analyses").fetchone()[0] == 0
    cache.close()


def test_code_identity_follows_every_edit(tmp_path: Path) -> None:
    root = tmp_path / "sievert"
    (root / "catalog" / "lang").mkdir(parents=True)
    (root / "report").mkdir()
    for name in ("__init__.py", "catalog/dpkg.py", "catalog/lang/python.py", "report/x.py"):
        (root / name).write_text("x = 1\n")
    before = analysis.code_identity(root)
    (root / "report" / "x.py").write_text("x = 2\n")  # not inventory code
    assert analysis.code_identity(root) == before
    python = root / "catalog" / "lang" / "python.py"
    python.write_text("x = 2\n")
    os.utime(python, ns=(0, 0))
    assert analysis.code_identity(root) != before


def test_cache_clean_removes_the_analyses(tmp_path: Path) -> None:
    take(target(tmp_path), tmp_path)
    cache = LayerCache(tmp_path / "cache")
    assert cache._db.execute("SELECT count(*) FROM analyses").fetchone()[0] == 1
    assert cache.clear() == 3
    assert cache._db.execute("SELECT count(*) FROM analyses").fetchone()[0] == 0
    cache.close()


def test_the_libraries_deciding_an_inventory_are_part_of_its_key() -> None:
    """An upgrade of packageurl, packaging, defusedxml or PyYAML is new code for stored
    analyses, as an edit of Sievert's own modules is."""
    import importlib.util

    for name in analysis.INVENTORY_DEPENDENCIES:
        assert importlib.util.find_spec(name) is not None, name
    own = analysis.code_identity(analysis.PACKAGE_ROOT)
    libraries = analysis.dependency_identity(analysis.INVENTORY_DEPENDENCIES)
    assert analysis._running_code() == f"{own}|{libraries}"


class Recorder:
    """Records, in order, when an image is prepared and when the layer cache opens."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.events: list[str] = []
        from sievert.source.base import OpenedImage

        real_prepare, real_init = OpenedImage.prepare, LayerCache.__init__

        def prepare(image: OpenedImage, walk_processes: int = 1) -> None:
            self.events.append("prepare")
            real_prepare(image, walk_processes)

        def init(cache: LayerCache, *args: object) -> None:
            self.events.append("cache")
            real_init(cache, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(OpenedImage, "prepare", prepare)
        monkeypatch.setattr(LayerCache, "__init__", init)


def test_a_first_run_prepares_the_image_before_creating_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no cache in the directory, nothing can be stored: the layer work starts (e.g. the
    hashing of a docker-archive's layers) before the cache is created; once a cache exists the
    stored analysis is looked up first, and a full hit prepares nothing."""
    where = target(tmp_path)
    recorder = Recorder(monkeypatch)
    first = take(where, tmp_path)
    assert recorder.events[:2] == ["prepare", "cache"]
    recorder.events.clear()
    assert take(where, tmp_path) == first
    assert recorder.events == ["cache"]
    other = target(tmp_path / "other", Image([[OS_RELEASE]]))
    recorder.events.clear()
    take(other, tmp_path)
    assert recorder.events[:2] == ["cache", "prepare"]
