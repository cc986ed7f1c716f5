"""TimescaleDB: readings tables become hypertables where the extension is installed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

Plain PostgreSQL and SQLite keep ordinary tables: the M4 rollup pyramid makes
long ranges fast on every backend; hypertables add chunked storage and
retention to installations that have TimescaleDB. Not exercised by the test
suite: TimescaleDB is not packaged for the machines Vigil is developed on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from data.schema import ENTITY_COLUMNS

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _has_timescale() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    found = bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'"))
    return found.first() is not None


def upgrade() -> None:
    if not _has_timescale():
        return
    for table in ENTITY_COLUMNS:
        op.execute(
            sa.text(
                "SELECT create_hypertable(:table, 'time', if_not_exists => TRUE, "
                "migrate_data => TRUE)"
            ).bindparams(table=table)
        )


def downgrade() -> None:
    """Hypertables stay: converting back would copy every row."""
