"""The same Alembic migrations on SQLite and PostgreSQL: they build exactly the models' schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from sievert.service.database import Database, alembic_config
from sievert.service.models import Base
from tests.service.helpers import settings_for


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else ""
    db = Database(settings_for(tmp_path, tmp_path / "vuln.db", url))
    request.addfinalizer(db.dispose)
    return db


def test_migrations_build_the_models_schema_and_revert(database: Database) -> None:
    database.migrate()
    database.migrate()  # idempotent
    with database.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        assert set(Base.metadata.tables) <= tables
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    config = alembic_config()
    with database.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    with database.engine.connect() as conn:
        assert not set(Base.metadata.tables) & set(inspect(conn).get_table_names())
    database.migrate()
    with database.engine.connect() as conn:
        assert set(Base.metadata.tables) <= set(inspect(conn).get_table_names())
