"""Helpers for the language cataloger tests: fixture bytes and running one cataloger."""

from __future__ import annotations

from pathlib import Path

from sievert.catalog.base import CatalogContext, Cataloger, CatalogResult
from sievert.model import Package
from sievert.source.layerindex import KIND_WHITEOUT, Entry, LayerIndex
from sievert.source.view import FileView
from tests.catalog.helpers import Layer, layer_index, view_of

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "catalog" / "lang"


def fixture(relative: str) -> bytes:
    """Bytes of a fixture file under tests/fixtures/catalog/lang."""
    return (FIXTURES / relative).read_bytes()


def run(cataloger: Cataloger, *layers: Layer) -> CatalogResult:
    """The cataloger's result on a view of the given layers."""
    return cataloger.catalog(view_of(*layers), CatalogContext())


def by_name(packages: tuple[Package, ...] | list[Package]) -> dict[str, Package]:
    """Packages keyed by name (the last one wins on repeats)."""
    return {p.name: p for p in packages}


def view_with_whiteouts(files: Layer, hidden: tuple[str, ...]) -> FileView:
    """A view of one layer of files and a second layer whiting out the `hidden` paths."""
    view = FileView()
    view.apply(0, layer_index(files))
    entries = tuple(Entry(path, KIND_WHITEOUT) for path in hidden)
    view.apply(1, LayerIndex("sha256:whiteouts", entries))
    return view
