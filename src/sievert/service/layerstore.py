"""The fleet's layer analyses in the service database: a layer is walked once for all images.

Analyses the server walked itself are keyed by diff_id and the analyzers' version (the CLI
cache's key) and shared by the fleet. Analyses a client uploaded (`sievert scan --server`) are
keyed by their uploader too, and only that uploader's described images read them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from sievert.service.database import Database
from sievert.service.models import LayerAnalysis
from sievert.source.capture import CaptureSpec
from sievert.source.layerindex import LayerIndex

UPLOADER = "|u:"
"""Marks an uploaded analysis's key: `diff_id|version|u:<token id>`."""


def walked_key(diff_id: str, version: str) -> str:
    """Row key of a layer the server walked under one capture spec version."""
    return f"{diff_id}|{version}"


def uploaded_key(diff_id: str, version: str, uploader: str) -> str:
    """Row key of a layer analysis one uploader sent."""
    return f"{diff_id}|{version}{UPLOADER}{uploader}"


class FleetLayerStore:
    """Layer indexes keyed by diff_id and the capture spec's version (the CLI cache's key)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(diff_id: str, spec: CaptureSpec) -> str:
        """Row key of one layer under one capture spec."""
        return walked_key(diff_id, spec.version)

    def keys(self, diff_id: str, spec: CaptureSpec) -> tuple[str, ...]:
        """The row keys this store reads a layer from, the most trusted first."""
        return (self.key(diff_id, spec),)

    def get(self, diff_id: str, spec: CaptureSpec) -> LayerIndex | None:
        """The stored index, or None."""
        keys = self.keys(diff_id, spec)
        with self._db.session() as session:
            rows = dict(
                session.execute(
                    select(LayerAnalysis.key, LayerAnalysis.data).where(LayerAnalysis.key.in_(keys))
                ).all()
            )
        for key in keys:
            if key not in rows:
                continue
            try:
                index = LayerIndex.from_bytes(rows[key])
            except ValueError:
                continue
            self.hits += 1
            return index
        self.misses += 1
        return None

    def put(
        self, diff_id: str, spec: CaptureSpec, index: LayerIndex, *, last_use: bool = False
    ) -> None:
        """Store an index; a row another worker stored meanwhile is kept."""
        store_row(self._db, self.key(diff_id, spec), index.to_bytes())


class UploaderLayerStore(FleetLayerStore):
    """What one uploader's described images read: the fleet's walked analyses, then the
    uploader's own uploads. It never stores (a described image's layers cannot be read)."""

    def __init__(self, db: Database, uploader: str) -> None:
        super().__init__(db)
        self.uploader = uploader

    def keys(self, diff_id: str, spec: CaptureSpec) -> tuple[str, ...]:
        """The walked analysis first, then the uploader's."""
        return (self.key(diff_id, spec), uploaded_key(diff_id, spec.version, self.uploader))

    def put(
        self, diff_id: str, spec: CaptureSpec, index: LayerIndex, *, last_use: bool = False
    ) -> None:
        """Nothing: only the server's own walks and checked uploads are stored."""


def store_row(db: Database, key: str, data: bytes) -> bool:
    """Store one analysis under a key; False when the key was already stored (kept)."""
    try:
        with db.session() as session:
            session.add(LayerAnalysis(key=key, data=data, size=len(data)))
    except IntegrityError:
        return False
    return True


def present(db: Database, diff_ids: Iterable[str], version: str, uploader: str) -> set[str]:
    """Which of these layers the uploader's described images can read (walked or uploaded)."""
    wanted = {
        key: diff_id
        for diff_id in set(diff_ids)
        for key in (walked_key(diff_id, version), uploaded_key(diff_id, version, uploader))
    }
    if not wanted:
        return set()
    with db.session() as session:
        found = session.scalars(
            select(LayerAnalysis.key).where(LayerAnalysis.key.in_(list(wanted)))
        ).all()
    return {wanted[key] for key in found}


def counts(db: Database) -> tuple[int, int, int]:
    """(analyses walked by the server, analyses uploaded by clients, bytes stored)."""
    uploaded = LayerAnalysis.key.contains(UPLOADER, autoescape=True)
    with db.session() as session:
        total, size = session.execute(
            select(func.count(LayerAnalysis.key), func.coalesce(func.sum(LayerAnalysis.size), 0))
        ).one()
        sent = session.scalar(select(func.count(LayerAnalysis.key)).where(uploaded)) or 0
    return int(total) - int(sent), int(sent), int(size)
