"""Per-layer introduction: which layer each package has been present from, and the final run."""

from __future__ import annotations

from collections.abc import Sequence

from msgspec.structs import replace

from sievert.catalog.base import CatalogContext, Cataloger, CatalogResult
from sievert.catalog.capture import extractors_of
from sievert.catalog.distro import detect_distro
from sievert.catalog.memo import ParseMemo, reusing
from sievert.errors import SievertError
from sievert.model import Distro, Notice, Package
from sievert.source.view import FileView, PathSet, glob_matcher


def run_cataloger(cataloger: Cataloger, view: FileView, context: CatalogContext) -> CatalogResult:
    """One cataloger's result; a bug in it is a notice, so the other catalogers still report.

    Catalogers turn malformed files into notices themselves; this is the net under them for
    what they did not foresee (an exception from a third-party parser, say). Sievert's own
    errors (a layer that cannot be read, a bound exceeded) still stop the run.
    """
    try:
        return cataloger.catalog(view, context)
    except (SievertError, MemoryError):
        raise
    except Exception as exc:  # the plug-in edge: see the docstring
        message = f"{cataloger.name} cataloger failed, its packages are missing: {exc!r:.200}"
        return CatalogResult(notices=(Notice(message, "", "error"),))


class IntroductionTracker:
    """Finds the layer that introduced each package: from where it stays present to the top."""

    def __init__(self, catalogers: Sequence[Cataloger]) -> None:
        self._catalogers = list(catalogers)
        self._patterns = {
            c.name: glob_matcher((*c.globs, *(g for x in extractors_of(c) for g in x.globs)))
            for c in catalogers
        }
        self._since: dict[str, dict[tuple[str, str, str, str], int]] = {}
        self._last: dict[str, tuple[Distro | None, CatalogResult]] = {}
        self.memo = ParseMemo()
        """Parses of this walk, reused by the catalogers' runs on later layers."""

    def observe(self, layer: int, view: FileView, changed: set[str]) -> None:
        """Re-run the catalogers whose files this layer changed; note what appeared or left."""
        context: CatalogContext | None = None
        paths = PathSet(changed)
        for cataloger in self._catalogers:
            if not self._patterns[cataloger.name].match_any(paths):
                continue
            context = context or CatalogContext(distro=detect_distro(view))
            with reusing(self.memo):
                result = run_cataloger(cataloger, view, context)
            self._last[cataloger.name] = (context.distro, result)
            keys = {p.key for p in result.packages}
            since = self._since.setdefault(cataloger.name, {})
            for key in list(since):
                if key not in keys:
                    del since[key]
            for key in keys:
                since.setdefault(key, layer)

    def last_result(self, cataloger: str, distro: Distro | None) -> CatalogResult | None:
        """The cataloger's result on its last run, if that run saw the same distro."""
        seen = self._last.get(cataloger)
        return seen[1] if seen is not None and seen[0] == distro else None

    def introduced(self, cataloger: str, package: Package) -> int:
        """The layer index from which the package has been present, or -1."""
        return self._since.get(cataloger, {}).get(package.key, -1)


def catalog_view(
    view: FileView,
    catalogers: Sequence[Cataloger],
    distro: Distro | None,
    tracker: IntroductionTracker,
) -> tuple[tuple[Package, ...], tuple[Notice, ...]]:
    """Every cataloger over the squashed view (reusing the tracker's last run when it is still
    valid), each package marked with the layer that introduced it; sorted."""
    context = CatalogContext(distro=distro)
    packages: list[Package] = []
    notices: list[Notice] = []
    for cataloger in catalogers:
        result = tracker.last_result(cataloger.name, distro)
        if result is None:
            with reusing(tracker.memo):
                result = run_cataloger(cataloger, view, context)
        notices.extend(result.notices)
        packages.extend(
            replace(p, introduced_by=tracker.introduced(cataloger.name, p)) for p in result.packages
        )
    packages.sort(key=lambda p: (p.type, p.name, p.version, p.arch))
    return tuple(packages), tuple(notices)
