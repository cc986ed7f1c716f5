"""plant: operator shifts, machine remarks and the heartbeat health summary

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operator_shifts",
        sa.Column("shift_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("operator", sa.String(length=200), nullable=True),
        sa.Column("machine_id", sa.String(length=64), nullable=True),
        sa.Column("start_time", sa.String(length=5), nullable=False),
        sa.Column("end_time", sa.String(length=5), nullable=False),
        sa.PrimaryKeyConstraint("shift_id"),
    )
    op.create_table(
        "machine_remarks",
        sa.Column("remark_id", sa.String(length=64), nullable=False),
        sa.Column("machine_id", sa.String(length=64), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("remark_id"),
    )
    with op.batch_alter_table("machine_remarks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_machine_remarks_machine_time", ["machine_id", "time"], unique=False
        )
    op.create_table(
        "heartbeat_days",
        sa.Column("sensor_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("beats", sa.Integer(), nullable=False),
        sa.Column("first", sa.Float(), nullable=False),
        sa.Column("last", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("sensor_id", "day"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "heartbeat_gaps",
        sa.Column("sensor_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("bin", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sensor_id", "day", "bin"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "heartbeat_sensors",
        sa.Column("sensor_id", sa.String(length=64), nullable=False),
        sa.Column("beats", sa.Integer(), nullable=False),
        sa.Column("first", sa.Float(), nullable=False),
        sa.Column("last", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("sensor_id"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "heartbeat_bins",
        sa.Column("sensor_id", sa.String(length=64), nullable=False),
        sa.Column("bin", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sensor_id", "bin"),
        sqlite_with_rowid=False,
    )
    _summarise_existing_heartbeats()


def _summarise_existing_heartbeats() -> None:
    """A store upgraded with heartbeats in it gets their summary at once."""
    from data.sql_health import rebuild_summary

    rebuild_summary(op.get_bind())


def downgrade() -> None:
    op.drop_table("heartbeat_bins")
    op.drop_table("heartbeat_sensors")
    op.drop_table("heartbeat_gaps")
    op.drop_table("heartbeat_days")
    with op.batch_alter_table("machine_remarks", schema=None) as batch_op:
        batch_op.drop_index("ix_machine_remarks_machine_time")
    op.drop_table("machine_remarks")
    op.drop_table("operator_shifts")
