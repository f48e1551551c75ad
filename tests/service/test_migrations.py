"""The same Alembic migrations on SQLite and PostgreSQL: they build exactly the models' schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

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


def test_history_migration_carries_cvss_and_snapshots_over(database: Database) -> None:
    config = alembic_config()
    with database.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
    when = "2026-01-02 03:04:05+00:00"
    report = {
        "findings": [
            {
                "id": "CVE-2024-2961",
                "vulnerability": {
                    "cvss": [
                        {"version": "2.0", "vector": "AV:N/AC:L", "baseScore": 5.0},
                        {"version": "3.1", "vector": "CVSS:3.1/AV:N/AC:H", "baseScore": 8.8},
                    ]
                },
            }
        ]
    }
    with database.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO images (id, reference, source, status, reason, manifest_digest,"
                " config_digest, distro, platform, package_count, vuln_count, summary, db_built,"
                " upload_path, pull_auth, attempts, created_at, updated_at, analysed_at) VALUES"
                " (1, 'a:1', 'archive', 'analysed', '', '', '', '', 'linux/amd64', 1, 1,"
                " :summary, 'b1', '', :blob, 1, :when, :when, :when)"
            ),
            {"summary": json.dumps({"high": 1}), "blob": b"", "when": when},
        )
        conn.execute(
            text(
                "INSERT INTO image_vulns (image_id, position, vuln_id, severity, fix_state,"
                " fixed_versions, package_name, package_version, package_type, purl, kev,"
                " layer_index, risk) VALUES (1, 0, 'CVE-2024-2961', 'High', 'fixed', '[]',"
                " 'libc6', '1', 'deb', '', false, 0, 1.0)"
            )
        )
        conn.execute(
            text("INSERT INTO image_reports (image_id, document) VALUES (1, :doc)"),
            {"doc": json.dumps(report)},
        )
    database.migrate()
    with database.engine.connect() as conn:
        score, vector = conn.execute(text("SELECT cvss_score, cvss_vector FROM image_vulns")).one()
        assert (score, vector) == (8.8, "CVSS:3.1/AV:N/AC:H")
        rows = conn.execute(
            text("SELECT image_id, event, images, high FROM findings_snapshots ORDER BY id")
        ).all()
        assert [tuple(r) for r in rows] == [(1, "analysis", 1, 1), (None, "analysis", 1, 1)]
