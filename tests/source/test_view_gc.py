"""FileView.apply hands the young objects to the collector's oldest generation (its records live
as long as the view), and leaves objects a server froze frozen."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from sievert.source.layerindex import Entry, EntryTable, LayerIndex
from sievert.source.view import FileView


@pytest.fixture
def thresholds() -> Iterator[None]:
    """The CLI's young-generation threshold and nothing frozen (as in a CLI run), restored."""
    before = gc.get_threshold()
    gc.unfreeze()
    gc.set_threshold(50_000, 20, 20)
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def layer(count: int) -> LayerIndex:
    return LayerIndex("sha256:0", EntryTable(Entry(f"d/f{n}", "file") for n in range(count)))


def test_a_layer_records_leave_no_young_generation_to_traverse(thresholds: None) -> None:
    collections: list[int] = []
    gc.callbacks.append(lambda phase, info: collections.append(info["generation"]))
    try:
        view = FileView()
        view.apply(0, layer(30_000))  # 60,000 tuples: past the threshold if they stayed young
        view.apply(1, layer(30_000))
    finally:
        gc.callbacks.pop()
    assert len(view) == 30_000
    assert 0 not in collections and gc.get_count()[0] < 1_000


def test_objects_a_server_froze_stay_frozen(thresholds: None) -> None:
    kept = [[n] for n in range(100)]
    gc.freeze()
    frozen = gc.get_freeze_count()
    assert frozen >= len(kept)
    FileView().apply(0, layer(10))
    assert gc.get_freeze_count() == frozen
