"""Vigil's own tables, as SQLAlchemy Core metadata.

Times are UTC (`timestamptz` on PostgreSQL, ISO text on SQLite). Ids are
text so the same rows fit BigQuery, which has no autoincrement. Readings are
indexed on (entity, time): every chart reads one entity over a time range.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

Time = DateTime(timezone=True)

element_types = Table(
    "element_types",
    metadata,
    Column("type", String(64), primary_key=True),
    Column("range", String(64)),
    Column("standard_current", Float, nullable=False),
    Column("standard_voltage", Float, nullable=False),
    Column("element_description", Text),
)

machines = Table(
    "machines",
    metadata,
    Column("machine_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("model", String(200)),
    Column("maker", String(200)),
    Column("capacity_in_amp", Float),
    Column("element_type", String(64)),
    Column("date_of_purchase", Date),
)

# Recurring daily shifts: times of day in the plant's time zone; end before start
# crosses midnight. A shift without machine_id applies to every machine.
operator_shifts = Table(
    "operator_shifts",
    metadata,
    Column("shift_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("operator", String(200)),
    Column("machine_id", String(64)),
    Column("start_time", String(5), nullable=False),  # HH:MM
    Column("end_time", String(5), nullable=False),
)

machine_remarks = Table(
    "machine_remarks",
    metadata,
    Column("remark_id", String(64), primary_key=True),
    Column("machine_id", String(64), nullable=False),
    Column("time", Time, nullable=False),  # the moment the remark is about
    Column("author", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("created", Time, nullable=False),
    Index("ix_machine_remarks_machine_time", "machine_id", "time"),
)

machine_readings = Table(
    "machine_readings",
    metadata,
    Column("machine_id", String(64), nullable=False),
    Column("time", Time, nullable=False),
    Column("current", Float),
    Column("voltage", Float),
    Column("state", String(16)),
    Index("ix_machine_readings_entity_time", "machine_id", "time"),
)

batteries = Table(
    "batteries",
    metadata,
    Column("battery_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("capacity_kwh", Float),
)

battery_readings = Table(
    "battery_readings",
    metadata,
    Column("battery_id", String(64), nullable=False),
    Column("time", Time, nullable=False),
    Column("voltage", Float),
    Column("current", Float),
    Column("temperature", Float),
    Column("state_of_charge", Float),
    Column("state_of_health", Float),
    Index("ix_battery_readings_entity_time", "battery_id", "time"),
)

sensors = Table(
    "sensors",
    metadata,
    Column("sensor_id", String(64), primary_key=True),
    Column("tags", String(200)),
    Column("installed", Time),
)

heartbeats = Table(
    "heartbeats",
    metadata,
    Column("sensor_id", String(64), nullable=False),
    Column("time", Time, nullable=False),
    Column("payload", Text),
    Index("ix_heartbeats_entity_time", "sensor_id", "time"),
)

environments = Table(
    "environments",
    metadata,
    Column("environment_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
)

samples = Table(
    "samples",
    metadata,
    Column("sample_id", String(64), primary_key=True),
    Column("environment_id", String(64), nullable=False),
    Column("date", Date, nullable=False),
    Column("source", String(64)),
)

geoms = Table(
    "geoms",
    metadata,
    Column("geom_id", String(64), primary_key=True),
    Column("sample_id", String(64), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("shape", String(32)),
)

coordinates = Table(
    "coordinates",
    metadata,
    Column("geom_id", String(64), nullable=False),
    Column("time", Time, nullable=False),
    Column("x", Float),
    Column("y", Float),
    Column("z", Float),
    Index("ix_coordinates_entity_time", "geom_id", "time"),
)

# Raw tag positions as the tracking system (CUWB, say) reports them; `prepare-geoms`
# (data/geom_prepare.py) turns a range of them into samples, geoms and coordinates.
# Not a series Vigil charts or rolls up: a day is millions of rows read once.
position_readings = Table(
    "position_readings",
    metadata,
    Column("device_id", String(64), nullable=False),
    Column("environment_id", String(64), nullable=False),
    Column("time", Time, nullable=False),
    Column("x", Float),
    Column("y", Float),
    Column("z", Float),
    Index("ix_position_readings_device_time", "device_id", "time"),
)

anomalies = Table(
    "anomalies",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("table_name", String(200), nullable=False),
    Column("entity_id", String(64)),
    Column("start", Time, nullable=False),
    Column("end", Time, nullable=False),
    Column("columns", Text, nullable=False),  # comma-separated column names
    Column("score", Float),
    Column("detector", String(64), nullable=False),
    Column("version", String(32)),
    Column("details", Text),  # JSON
    Column("created", Time, nullable=False),
    Index("ix_anomalies_table_start", "table_name", "start"),
)

anomaly_feedback = Table(
    "anomaly_feedback",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("anomaly_id", String(64), nullable=False),
    Column("verified", Boolean),  # NULL: the label was withdrawn
    Column("anomaly_type", String(200)),
    Column("comment", Text),
    Column("author", String(200), nullable=False),
    Column("created", Time, nullable=False),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("reverts", String(64)),  # the event an undo reverted
    Index("ix_anomaly_feedback_anomaly_created", "anomaly_id", "created"),
)

# The M4 pyramid of data/rollup.py: one row per (table, level, entity, column, bucket).
m4_rollups = Table(
    "m4_rollups",
    metadata,
    Column("source", String(200), primary_key=True),
    Column("level", Integer, primary_key=True),
    Column("entity", String(64), primary_key=True),  # '' for tables without entities
    Column("col", String(200), primary_key=True),
    Column("bucket", BigInteger, primary_key=True),  # floor(epoch seconds / level)
    Column("n", Integer, nullable=False),  # raw rows in the bucket
    *[Column(name, Float) for name in ("e0", "v0", "emn", "mn", "emx", "mx", "e1", "v1")],
    sqlite_with_rowid=False,
)

# Per rolled-up table, the finest level stored (NULL: too sparse to roll up).
m4_sources = Table(
    "m4_sources",
    metadata,
    Column("source", String(200), primary_key=True),
    Column("finest", Integer),
)

# Heartbeat health (data/health.py), kept current with every write of heartbeats:
# per sensor and UTC day, the beats and the first and last of them (epoch seconds) ...
heartbeat_days = Table(
    "heartbeat_days",
    metadata,
    Column("sensor_id", String(64), primary_key=True),
    Column("day", Integer, primary_key=True),  # floor(epoch seconds / 86400)
    Column("beats", Integer, nullable=False),
    Column("first", Float, nullable=False),
    Column("last", Float, nullable=False),
    sqlite_with_rowid=False,
)

# ... and how many intervals between consecutive beats of that day fall in each bin.
heartbeat_gaps = Table(
    "heartbeat_gaps",
    metadata,
    Column("sensor_id", String(64), primary_key=True),
    Column("day", Integer, primary_key=True),
    Column("bin", Integer, primary_key=True),  # index into data.health.GAP_EDGES
    Column("n", Integer, nullable=False),
    sqlite_with_rowid=False,
)

# ... and, from those, per sensor: its beats, first and last (epoch seconds) ...
heartbeat_sensors = Table(
    "heartbeat_sensors",
    metadata,
    Column("sensor_id", String(64), primary_key=True),
    Column("beats", Integer, nullable=False),
    Column("first", Float, nullable=False),
    Column("last", Float, nullable=False),
    sqlite_with_rowid=False,
)

# ... and its intervals per bin, the ones across midnights included: what the page reads.
heartbeat_bins = Table(
    "heartbeat_bins",
    metadata,
    Column("sensor_id", String(64), primary_key=True),
    Column("bin", Integer, primary_key=True),
    Column("n", Integer, nullable=False),
    sqlite_with_rowid=False,
)

# Accounts (auth/): reached only through `Store.accounts()`, never explored or listed.
users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(16), nullable=False),  # viewer, labeller or admin
    Column("created", Time, nullable=False),
    Column("disabled", Boolean, nullable=False),
)

# Bearer tokens: the JWT carries its id (`jti`); a revoked one stays here, refused.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", String(64), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("created", Time, nullable=False),
    Column("expires", Time, nullable=False),
    Column("revoked", Time),
    Column("note", String(200)),
)

# Logins, label saves and admin actions: who, when, from where. Failed logins also
# count towards the rate limit (by username and by address, over the last minute).
audit_log = Table(
    "audit_log",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("time", Time, nullable=False),
    Column("username", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    Column("detail", String(2000)),
    Index("ix_audit_log_action_username_time", "action", "username", "time"),
    Index("ix_audit_log_action_address_time", "action", "address", "time"),
)

#: Tables holding time series of one entity each, and the column naming it.
ENTITY_COLUMNS = {
    "machine_readings": "machine_id",
    "battery_readings": "battery_id",
    "heartbeats": "sensor_id",
    "coordinates": "geom_id",
}


def is_series(table: str) -> bool:
    """Whether a table holds time series: Vigil's readings tables, or any table of the
    user's. Vigil's reference tables (machines, anomalies, ...) have dates but are
    not series to chart or roll up."""
    return table in ENTITY_COLUMNS or table not in metadata.tables
