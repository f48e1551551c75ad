"""A triggered vulnerability DB update: the CLI's `db update` run as a job of the service.

The update builds the new DB next to the old one and swaps it in with `os.replace` (as the
CLI does), so the swap is safe while the service answers: every request opens the DB file
when it starts and reads that file until it ends (an open file outlives its replacement), and
the next request opens the new one. A half-built file has another name and is never opened.
A job interrupted by a crash leaves the old DB in place and runs again (in-process: on the
next start; Procrastinate: on another worker once the stalled job is retried).
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from sievert import vulndb
from sievert.errors import SievertError
from sievert.service.database import Database
from sievert.service.dbidentity import db_built
from sievert.service.models import DbUpdate, utcnow
from sievert.service.settings import Settings
from sievert.terminal import one_line

log = logging.getLogger("sievert.service")
PENDING = ("queued", "running")
_REQUESTS = threading.Lock()


def pending_update(session: Session) -> DbUpdate | None:
    """The update queued or running now, if any."""
    return session.scalar(
        select(DbUpdate).where(DbUpdate.status.in_(PENDING)).order_by(DbUpdate.id).limit(1)
    )


def latest_update(session: Session) -> DbUpdate | None:
    """The newest update requested."""
    return session.scalar(select(DbUpdate).order_by(DbUpdate.id.desc()).limit(1))


def request_update(session: Session) -> tuple[DbUpdate, bool]:
    """The pending update, or a new queued one committed; whether it is new (enqueue it then).

    Requests at the same moment get the same update: a lock per process (SQLite has one
    server) and a transaction-scoped advisory lock on PostgreSQL (several servers).
    """
    with _REQUESTS:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(7316003)"))
        pending = pending_update(session)
        if pending is not None:
            return pending, False
        row = DbUpdate(status="queued")
        session.add(row)
        session.commit()
        return row, True


def run_update(database: Database, settings: Settings, update_id: int) -> bool:
    """Run one requested update to its end; whether the DB was replaced (re-evaluate then)."""
    with database.session() as session:
        row = session.get(DbUpdate, update_id)
        if row is None or row.status not in PENDING:
            return False
        row.status = "running"
        row.attempts += 1
        row.started_at = utcnow()
        row.db_built_before = db_built(settings)
    try:
        report = vulndb.update(
            settings.vuln_db,
            mirror=settings.db_mirror or None,
            only=settings.db_sources or None,
            timeout=settings.db_update_timeout,
        )
    except SievertError as exc:
        _finish(database, update_id, "failed", one_line(str(exc)), [], "")
        return False
    except Exception:
        log.exception("vulnerability DB update %s failed", update_id)
        _finish(database, update_id, "failed", "internal error while updating the DB", [], "")
        return False
    if not report.written:
        errors = [one_line(e) for s in report.sources for e in s.errors][:5]
        message = "nothing imported; the DB is unchanged" + (
            f": {'; '.join(errors)}" if errors else ""
        )
        _finish(database, update_id, "failed", message, report.failed, "")
        return False
    status = "partial" if report.failed else "done"
    message = f"source(s) failed: {', '.join(report.failed)}" if report.failed else ""
    _finish(database, update_id, status, message, report.failed, db_built(settings))
    return True


def _finish(
    database: Database,
    update_id: int,
    status: str,
    message: str,
    failed: list[str],
    built: str,
) -> None:
    with database.session() as session:
        row = session.get(DbUpdate, update_id)
        if row is None:
            return
        row.status = status
        row.message = message
        row.failed_sources = list(failed)
        row.db_built_after = built
        row.finished_at = utcnow()
