"""positions: raw tag positions, the input of prepare-geoms

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "position_readings",
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("environment_id", sa.String(length=64), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("x", sa.Float(), nullable=True),
        sa.Column("y", sa.Float(), nullable=True),
        sa.Column("z", sa.Float(), nullable=True),
    )
    with op.batch_alter_table("position_readings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_position_readings_device_time", ["device_id", "time"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("position_readings", schema=None) as batch_op:
        batch_op.drop_index("ix_position_readings_device_time")
    op.drop_table("position_readings")
