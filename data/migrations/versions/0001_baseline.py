"""baseline: the tables of Vigil 0.1

Revision ID: 0001
Revises:
Create Date: 2026-11-22 07:20:21.152359
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "anomalies",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("table_name", sa.String(length=200), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("columns", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("detector", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=True),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("anomalies", schema=None) as batch_op:
        batch_op.create_index("ix_anomalies_table_start", ["table_name", "start"], unique=False)

    op.create_table(
        "anomaly_feedback",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("anomaly_id", sa.String(length=64), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=True),
        sa.Column("anomaly_type", sa.String(length=200), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("anomaly_feedback", schema=None) as batch_op:
        batch_op.create_index(
            "ix_anomaly_feedback_anomaly_created", ["anomaly_id", "created"], unique=False
        )

    op.create_table(
        "batteries",
        sa.Column("battery_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("capacity_kwh", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("battery_id"),
    )
    op.create_table(
        "battery_readings",
        sa.Column("battery_id", sa.String(length=64), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voltage", sa.Float(), nullable=True),
        sa.Column("current", sa.Float(), nullable=True),
        sa.Column("temperature", sa.Float(), nullable=True),
        sa.Column("state_of_charge", sa.Float(), nullable=True),
        sa.Column("state_of_health", sa.Float(), nullable=True),
    )
    with op.batch_alter_table("battery_readings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_battery_readings_entity_time", ["battery_id", "time"], unique=False
        )

    op.create_table(
        "coordinates",
        sa.Column("geom_id", sa.String(length=64), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("x", sa.Float(), nullable=True),
        sa.Column("y", sa.Float(), nullable=True),
        sa.Column("z", sa.Float(), nullable=True),
    )
    with op.batch_alter_table("coordinates", schema=None) as batch_op:
        batch_op.create_index("ix_coordinates_entity_time", ["geom_id", "time"], unique=False)

    op.create_table(
        "element_types",
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("range", sa.String(length=64), nullable=True),
        sa.Column("standard_current", sa.Float(), nullable=False),
        sa.Column("standard_voltage", sa.Float(), nullable=False),
        sa.Column("element_description", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("type"),
    )
    op.create_table(
        "environments",
        sa.Column("environment_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("environment_id"),
    )
    op.create_table(
        "geoms",
        sa.Column("geom_id", sa.String(length=64), nullable=False),
        sa.Column("sample_id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("shape", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("geom_id"),
    )
    op.create_table(
        "heartbeats",
        sa.Column("sensor_id", sa.String(length=64), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
    )
    with op.batch_alter_table("heartbeats", schema=None) as batch_op:
        batch_op.create_index("ix_heartbeats_entity_time", ["sensor_id", "time"], unique=False)

    op.create_table(
        "m4_rollups",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("col", sa.String(length=200), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("e0", sa.Float(), nullable=True),
        sa.Column("v0", sa.Float(), nullable=True),
        sa.Column("emn", sa.Float(), nullable=True),
        sa.Column("mn", sa.Float(), nullable=True),
        sa.Column("emx", sa.Float(), nullable=True),
        sa.Column("mx", sa.Float(), nullable=True),
        sa.Column("e1", sa.Float(), nullable=True),
        sa.Column("v1", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("source", "level", "entity", "col", "bucket"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "m4_sources",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("finest", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("source"),
    )
    op.create_table(
        "machine_readings",
        sa.Column("machine_id", sa.String(length=64), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("current", sa.Float(), nullable=True),
        sa.Column("voltage", sa.Float(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=True),
    )
    with op.batch_alter_table("machine_readings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_machine_readings_entity_time", ["machine_id", "time"], unique=False
        )

    op.create_table(
        "machines",
        sa.Column("machine_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("maker", sa.String(length=200), nullable=True),
        sa.Column("capacity_in_amp", sa.Float(), nullable=True),
        sa.Column("element_type", sa.String(length=64), nullable=True),
        sa.Column("date_of_purchase", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("machine_id"),
    )
    op.create_table(
        "samples",
        sa.Column("sample_id", sa.String(length=64), nullable=False),
        sa.Column("environment_id", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("sample_id"),
    )
    op.create_table(
        "sensors",
        sa.Column("sensor_id", sa.String(length=64), nullable=False),
        sa.Column("tags", sa.String(length=200), nullable=True),
        sa.Column("installed", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("sensor_id"),
    )


def downgrade() -> None:
    op.drop_table("sensors")
    op.drop_table("samples")
    op.drop_table("machines")
    with op.batch_alter_table("machine_readings", schema=None) as batch_op:
        batch_op.drop_index("ix_machine_readings_entity_time")

    op.drop_table("machine_readings")
    op.drop_table("m4_sources")
    op.drop_table("m4_rollups")
    with op.batch_alter_table("heartbeats", schema=None) as batch_op:
        batch_op.drop_index("ix_heartbeats_entity_time")

    op.drop_table("heartbeats")
    op.drop_table("geoms")
    op.drop_table("environments")
    op.drop_table("element_types")
    with op.batch_alter_table("coordinates", schema=None) as batch_op:
        batch_op.drop_index("ix_coordinates_entity_time")

    op.drop_table("coordinates")
    with op.batch_alter_table("battery_readings", schema=None) as batch_op:
        batch_op.drop_index("ix_battery_readings_entity_time")

    op.drop_table("battery_readings")
    op.drop_table("batteries")
    with op.batch_alter_table("anomaly_feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_anomaly_feedback_anomaly_created")

    op.drop_table("anomaly_feedback")
    with op.batch_alter_table("anomalies", schema=None) as batch_op:
        batch_op.drop_index("ix_anomalies_table_start")

    op.drop_table("anomalies")
