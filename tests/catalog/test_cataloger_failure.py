"""A bug in one cataloger is a notice: the other catalogers' packages are still reported."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from sievert.catalog.base import CatalogContext, CatalogResult
from sievert.catalog.dpkg import DpkgCataloger
from sievert.catalog.layers import IntroductionTracker, catalog_view
from sievert.errors import LayerError
from sievert.source.view import FileView
from tests.catalog.helpers import view_of
from tests.catalog.test_dpkg import DEBIAN, STATUS


class Broken:
    """A cataloger with a bug: it raises what a third-party parser might."""

    name = "broken"
    version = "1"
    globs: Sequence[str] = ("var/lib/dpkg/status",)

    def __init__(self, error: Exception) -> None:
        self.error = error

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        raise self.error


def run(broken: Broken) -> tuple[list[str], list[str]]:
    catalogers = [broken, DpkgCataloger()]
    tracker = IntroductionTracker(catalogers)
    view = view_of({"var/lib/dpkg/status": STATUS})
    tracker.observe(0, view, {"var/lib/dpkg/status"})
    packages, notices = catalog_view(view, catalogers, DEBIAN, tracker)
    return [p.name for p in packages], [n.message for n in notices]


def test_a_failing_cataloger_becomes_a_notice() -> None:
    names, notices = run(Broken(AttributeError("'X' object has no attribute 'token_string'")))
    assert "libssl3" in names
    assert notices == [
        "broken cataloger failed, its packages are missing: "
        "AttributeError(\"'X' object has no attribute 'token_string'\")"
    ]


def test_sievert_errors_still_stop_the_run() -> None:
    with pytest.raises(LayerError):
        run(Broken(LayerError("sha256:1", "truncated")))
