"""The fleet's layer analyses in the service database: a layer is walked once for all images."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from sievert.service.database import Database
from sievert.service.models import LayerAnalysis
from sievert.source.capture import CaptureSpec
from sievert.source.layerindex import LayerIndex


class FleetLayerStore:
    """Layer indexes keyed by diff_id and the capture spec's version (the CLI cache's key)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(diff_id: str, spec: CaptureSpec) -> str:
        """Row key of one layer under one capture spec."""
        return f"{diff_id}|{spec.version}"

    def get(self, diff_id: str, spec: CaptureSpec) -> LayerIndex | None:
        """The stored index, or None."""
        with self._db.session() as session:
            data = session.scalar(
                select(LayerAnalysis.data).where(LayerAnalysis.key == self.key(diff_id, spec))
            )
        if data is None:
            self.misses += 1
            return None
        try:
            index = LayerIndex.from_bytes(data)
        except ValueError:
            self.misses += 1
            return None
        self.hits += 1
        return index

    def put(self, diff_id: str, spec: CaptureSpec, index: LayerIndex) -> None:
        """Store an index; a row another worker stored meanwhile is kept."""
        data = index.to_bytes()
        row = LayerAnalysis(key=self.key(diff_id, spec), data=data, size=len(data))
        try:
            with self._db.session() as session:
                session.add(row)
        except IntegrityError:
            return
