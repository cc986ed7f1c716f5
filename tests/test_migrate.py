"""Migrations: a migrated store is exactly the schema the code declares, on both SQL backends."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from data import migrate, schema, sql_bulk
from data.sql_store import SQLStore
from settings import PROJECT_DIR
from tests.conftest import machine_frame, postgres_schema


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/m.db"
    else:
        with postgres_schema() as found:
            yield found


def test_migrations_build_exactly_the_declared_schema(url: str) -> None:
    store = SQLStore(url)
    assert store.create_schema() == (None, migrate.head())
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), schema.metadata) == []
    assert store.create_schema() == (migrate.head(), migrate.head())
    store.close()


def test_a_store_from_before_migrations_is_adopted_with_its_rows(url: str) -> None:
    store = SQLStore(url)
    with store.engine.begin() as conn:
        # what Vigil did before it had migrations: the baseline's tables, no alembic_version
        command.upgrade(migrate._config(conn), migrate.BASELINE)
        conn.execute(text("DROP TABLE alembic_version"))
    store._catalog.refresh()
    store.write("machine_readings", machine_frame("M1", 10))
    before, after = store.create_schema()
    assert (before, after) == (None, migrate.head())
    assert store.time_range("machine_readings") is not None
    store.close()


def test_migrate_command(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"backend": "sqlite:///m.db", "port_number": 8080}')

    def run() -> str:
        result = subprocess.run(
            [sys.executable, "app.py", "--config", str(config), "migrate"],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert f"upgraded from nothing to revision {migrate.head()}" in run()
    assert "already current" in run()


def test_heartbeats_from_before_the_summary_are_summarised_on_upgrade(url: str) -> None:
    from tests.test_sensor_health_contract import BEATS, NOW, beats

    store = SQLStore(url)
    with store.engine.begin() as conn:
        command.upgrade(migrate._config(conn), "0002")
    store._catalog.refresh()
    frame = beats(BEATS)
    with store.engine.begin() as conn:  # as a Vigil of revision 0002 wrote them
        sql_bulk.insert(conn, schema.heartbeats, frame)
    assert store.create_schema() == ("0002", migrate.head())
    health = store.sensor_health(NOW, 10)
    assert (health.sensors, health.silent, sum(b.count for b in health.histogram)) == (4, 2, 7)
    store.close()
