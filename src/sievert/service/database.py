"""The engine, sessions and migrations (Alembic, run programmatically on start)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from sievert.errors import DatabaseError
from sievert.service.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")


def json_text(value: Any) -> str:
    """A JSON column's text: orjson (a C encoder), the stdlib for what orjson refuses (integers
    beyond 64 bits, lone surrogates)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value)


def json_value(text: str | bytes) -> Any:
    """A JSON column's value: orjson, the stdlib for what orjson refuses."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def make_engine(settings: Settings) -> Engine:
    """An engine for the settings' database; SQLite gets WAL and a busy timeout."""
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(f"service database {path}: {exc}") from exc
        engine = create_engine(
            url,
            connect_args={"timeout": 60, "check_same_thread": False},
            json_serializer=json_text,
            json_deserializer=json_value,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        json_serializer=json_text,
        json_deserializer=json_value,
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.close()


def alembic_config() -> Config:
    """Alembic's configuration pointing at the migrations shipped in the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent; safe with several processes)."""
    config = alembic_config()
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # One migrator at a time when several servers and workers start together.
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7316001)")
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")  # the service line and the UI branch ("ui")
    except SQLAlchemyError as exc:
        raise DatabaseError(f"service database: cannot migrate ({_first_line(exc)})") from exc


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


class Database:
    """The engine and a session factory for one settings object."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        """Apply the migrations."""
        migrate(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success, rolled back on error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @functools.cached_property
    def inline_reads(self) -> bool:
        """Whether reads are cheap enough to run on the event loop: SQLite in WAL mode (a reader
        never waits for a writer, and an indexed read takes well under a millisecond). Not a
        database server, whose round trips are better overlapped in worker threads, nor SQLite
        where WAL could not be set (there a reader waits out a writer's commit)."""
        if self.engine.dialect.name != "sqlite":
            return False
        try:
            with self.engine.connect() as connection:
                mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        except SQLAlchemyError:
            return False
        return str(mode).lower() == "wal"

    def read(self, work: Callable[[Session], T]) -> T:
        """The result of a read-only unit of work, in a session of its own (never committed)."""
        with self.sessions() as session:
            return work(session)

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()
