"""Fleet snapshots taken by two PostgreSQL workers at the same instant both count each other's
image: the second waits for the first's commit (an advisory lock), then reads it."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import select

from sievert.service import history
from sievert.service.database import Database
from sievert.service.models import FindingsSnapshot, Image
from tests.service.helpers import settings_for


def _store(db: Database, name: str, high: int) -> Image:
    with db.session() as session:
        image = Image(reference=f"example/{name}:1", source="sbom", status="analysing")
        session.add(image)
    image.status, image.summary = "analysed", {"high": high}
    return image


def _snapshot_after_storing(
    db: Database,
    image: Image,
    errors: list[BaseException],
    stored: threading.Event,
    release: threading.Event | None = None,
) -> None:
    """A worker's storing transaction: the image analysed, the fleet snapshot taken, `stored`
    set, then (with `release`) the commit held until released."""
    try:
        with db.session() as session:
            session.merge(image)
            session.flush()
            history.record_fleet(session, history.ANALYSIS, "b1")
            session.flush()
            stored.set()
            if release is not None:
                release.wait(30)  # commits when the other worker is waiting
    except BaseException as exc:
        errors.append(exc)
        stored.set()


def test_concurrent_fleet_snapshots_count_each_other(
    tmp_path: Path, vuln_db: Path, pg_url: str
) -> None:
    db = Database(settings_for(tmp_path, vuln_db, pg_url))
    db.migrate()
    try:
        first, second = _store(db, "first", 2), _store(db, "second", 3)
        holding = threading.Event()
        release = threading.Event()
        errors: list[BaseException] = []

        one = threading.Thread(
            target=_snapshot_after_storing, args=(db, first, errors, holding, release)
        )
        one.start()
        assert holding.wait(30)
        done = threading.Event()

        two = threading.Thread(target=_snapshot_after_storing, args=(db, second, errors, done))
        two.start()
        assert not done.wait(1.0), "the second snapshot did not wait for the first commit"
        release.set()
        one.join(30)
        two.join(30)
        assert not errors, errors
        with db.session() as session:
            rows = session.scalars(
                select(FindingsSnapshot)
                .where(FindingsSnapshot.image_id.is_(None))
                .order_by(FindingsSnapshot.id)
            ).all()
            assert [(r.images, r.high) for r in rows] == [(1, 2), (2, 5)]
    finally:
        db.dispose()
