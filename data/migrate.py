"""Schema upgrades of Vigil's own tables, with Alembic, on SQLite and PostgreSQL.

`create_schema()` of the SQL store runs `upgrade()` on every start, so a store
made by an older Vigil is brought up to date before any page reads it.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"


def _config(conn: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def head() -> str:
    return ScriptDirectory.from_config(_config(None)).get_current_head()  # type: ignore[arg-type]


def upgrade(conn: Connection) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; returns (before, after).

    A store made before migrations existed (its tables built straight from the
    metadata, no alembic_version) is stamped at the baseline first: the
    baseline is exactly what those stores hold.
    """
    before = current(conn)
    if before is None and "anomalies" in inspect(conn).get_table_names():
        command.stamp(_config(conn), BASELINE)
    command.upgrade(_config(conn), "head")
    return before, current(conn) or ""
