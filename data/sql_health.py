"""Sensor health on SQLite and PostgreSQL: the heartbeat summary and the questions it answers.

See data/health.py for the summary's design. Upkeep runs on the write's own
connection, so the summary commits (or rolls back) with the heartbeats. A
write costs a recount of the sensors and days it touched (heartbeats arrive
a few sensors at a time, and one sensor's day is at most a few thousand
rows), then of those sensors' totals from their day rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import pandas as pd
from sqlalchemy import (
    Connection,
    Float,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)

from data import health, readpath, schema
from data.health import DAY, GAP_EDGES, SensorHealth
from data.sql_values import epoch_to_utc
from data.sqlfuncs import epoch_seconds, floor_int
from errors import NotFound

#: Sensors per statement when a write's summary is recounted (bind-parameter limits).
SENSOR_CHUNK = 500

hb, days, gaps = schema.heartbeats, schema.heartbeat_days, schema.heartbeat_gaps
per_sensor, bins = schema.heartbeat_sensors, schema.heartbeat_bins
SUMMARY = (days, gaps, per_sensor, bins)


def _bind(conn: Connection, seconds: float) -> datetime:
    at = epoch_to_utc(seconds)
    return at.replace(tzinfo=None) if conn.dialect.name == "sqlite" else at


def _gap_bin(gap: object) -> object:
    return case(*[(gap < edge, i) for i, edge in enumerate(GAP_EDGES)], else_=len(GAP_EDGES))


def _recount(
    conn: Connection, sensors: Sequence[str] | None, first_day: int | None, last_day: int | None
) -> None:
    """Recompute the summary rows of `sensors` (None: all) for days first..last (None: all)."""
    conds, kept = [], []
    if sensors is not None:
        conds.append(hb.c.sensor_id.in_(sensors))
        kept.append(lambda t: t.c.sensor_id.in_(sensors))
    if first_day is not None and last_day is not None:
        conds += [
            hb.c.time >= _bind(conn, first_day * DAY),
            hb.c.time < _bind(conn, (last_day + 1) * DAY),
        ]
        kept.append(lambda t: t.c.day.between(first_day, last_day))
    for table in (days, gaps):
        conn.execute(table.delete().where(*[k(table) for k in kept]))
    e = epoch_seconds(hb.c.time)
    src = (
        select(hb.c.sensor_id, hb.c.time, e.label("e"), floor_int(e / DAY).label("day"))
        .where(*conds)
        .subquery("src")
    )
    conn.execute(
        days.insert().from_select(
            ["sensor_id", "day", "beats", "first", "last"],
            select(
                src.c.sensor_id, src.c.day, func.count(), func.min(src.c.e), func.max(src.c.e)
            ).group_by(src.c.sensor_id, src.c.day),
        )
    )
    # Ordered by time within the sensor (the index's order, no sort); an interval whose
    # earlier beat lies on another day is the midnight one, counted from day rows.
    window = {"partition_by": src.c.sensor_id, "order_by": src.c.time}
    stepped = select(
        src.c.sensor_id,
        src.c.day,
        (src.c.e - func.lag(src.c.e).over(**window)).label("gap"),
        func.lag(src.c.day).over(**window).label("before"),
    ).subquery("stepped")
    binned = (
        select(stepped.c.sensor_id, stepped.c.day, _gap_bin(stepped.c.gap).label("bin"))
        .where(stepped.c.before == stepped.c.day)
        .subquery("binned")
    )
    conn.execute(
        gaps.insert().from_select(
            ["sensor_id", "day", "bin", "n"],
            select(binned.c.sensor_id, binned.c.day, binned.c.bin, func.count()).group_by(
                binned.c.sensor_id, binned.c.day, binned.c.bin
            ),
        )
    )
    _per_sensor(conn, sensors)


def _per_sensor(conn: Connection, sensors: Sequence[str] | None) -> None:
    """The sensors' totals and bins again, from their day rows: some thirty rows a sensor
    for a month of history, however often it beats."""
    mine = (lambda c: c.in_(sensors)) if sensors is not None else (lambda c: literal(True))
    for table in (per_sensor, bins):
        conn.execute(table.delete().where(mine(table.c.sensor_id)))
    conn.execute(
        per_sensor.insert().from_select(
            ["sensor_id", "beats", "first", "last"],
            select(
                days.c.sensor_id,
                func.sum(days.c.beats),
                func.min(days.c.first),
                func.max(days.c.last),
            )
            .where(mine(days.c.sensor_id))
            .group_by(days.c.sensor_id),
        )
    )
    inside = select(gaps.c.sensor_id, gaps.c.bin, gaps.c.n).where(mine(gaps.c.sensor_id))
    before = func.lag(days.c.last).over(partition_by=days.c.sensor_id, order_by=days.c.day)
    steps = (
        select(days.c.sensor_id, (days.c.first - before).label("gap"))
        .where(mine(days.c.sensor_id))
        .subquery("steps")
    )
    midnights = select(
        steps.c.sensor_id, _gap_bin(steps.c.gap).label("bin"), literal(1).label("n")
    ).where(steps.c.gap.is_not(None))
    every = union_all(inside, midnights).subquery("every")
    conn.execute(
        bins.insert().from_select(
            ["sensor_id", "bin", "n"],
            select(every.c.sensor_id, every.c.bin, func.sum(every.c.n)).group_by(
                every.c.sensor_id, every.c.bin
            ),
        )
    )


def refresh(conn: Connection, frame: pd.DataFrame) -> None:
    """Recount the sensors and days a write of heartbeats touched."""
    if frame.empty or "time" not in frame or "sensor_id" not in frame:
        return
    written = readpath.written_rows(frame, "time", "sensor_id")
    day = (written["e"] // DAY).astype(int)
    sensors = sorted(written["entity"].unique())
    for i in range(0, len(sensors), SENSOR_CHUNK):
        _recount(conn, sensors[i : i + SENSOR_CHUNK], int(day.min()), int(day.max()))


def rebuild_summary(conn: Connection, progress: Callable[[int], None] | None = None) -> int:
    """The whole summary from the heartbeats, a chunk of sensors at a time; returns beats.

    For heartbeats written by other programs (COPY, another ingest), and the
    migration that brings the summary to stores that already hold heartbeats.
    """
    from data.sql_store import _values_of

    values = _values_of(hb.c.sensor_id)
    sensors = list(conn.execute(select(values.c.v).where(values.c.v.is_not(None))).scalars())
    clear(conn)
    done = 0
    for i in range(0, len(sensors), SENSOR_CHUNK):
        chunk = sensors[i : i + SENSOR_CHUNK]
        _recount(conn, chunk, None, None)
        done += conn.execute(
            select(func.coalesce(func.sum(days.c.beats), 0)).where(days.c.sensor_id.in_(chunk))
        ).scalar_one()
        if progress:
            progress(done)
    return int(done)


def clear(conn: Connection) -> None:
    for table in SUMMARY:
        conn.execute(table.delete())


def report(
    conn: Connection, now: datetime, silence_minutes: float, sensor: str | None, limit: int
) -> SensorHealth:
    """The health questions, answered from the per-sensor summary: a row a sensor."""
    health.check_question(silence_minutes, limit)
    cutoff = now.timestamp() - silence_minutes * 60
    mine = (lambda c: c == sensor) if sensor is not None else (lambda c: literal(True))
    sensors = schema.sensors
    unheard = select(
        sensors.c.sensor_id,
        cast(null(), Float).label("first"),
        cast(null(), Float).label("last"),
        literal(0).label("beats"),
    ).where(
        mine(sensors.c.sensor_id),
        ~select(literal(1)).where(per_sensor.c.sensor_id == sensors.c.sensor_id).exists(),
    )
    heard = select(
        per_sensor.c.sensor_id, per_sensor.c.first, per_sensor.c.last, per_sensor.c.beats
    ).where(mine(per_sensor.c.sensor_id))
    fleet = union_all(heard, unheard).cte("fleet")
    quiet = (fleet.c.last.is_(None)) | (fleet.c.last < cutoff)
    stopped = fleet.c.last < cutoff
    several = fleet.c.beats > 1
    span = fleet.c.last - fleet.c.first
    totals = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((quiet, 1), else_=0)), 0),
            func.coalesce(func.sum(case((stopped, 1), else_=0)), 0),
            func.avg(case((stopped, span))),
            func.sum(case((several, span)))
            / func.nullif(func.sum(case((several, fleet.c.beats - 1))), 0),
        )
    ).one()
    if sensor is not None and totals[0] == 0:
        raise NotFound(f"unknown sensor '{sensor}'")
    interval = (span / func.nullif(fleet.c.beats - 1, 0)).label("interval")
    listed = [fleet.c.sensor_id, fleet.c.first, fleet.c.last, fleet.c.beats, interval]
    silent_rows = conn.execute(
        select(*listed)
        .where(quiet)
        .order_by(fleet.c.last.desc().nulls_last(), fleet.c.sensor_id)
        .limit(limit)
    ).all()
    slowest_rows = conn.execute(
        select(*listed).where(several).order_by(interval.desc(), fleet.c.sensor_id).limit(limit)
    ).all()
    counted = (
        select(bins.c.bin, func.sum(bins.c.n)).where(mine(bins.c.sensor_id)).group_by(bins.c.bin)
    )
    return health.answer(
        now,
        silence_minutes,
        totals,
        [tuple(r) for r in silent_rows],
        [tuple(r) for r in slowest_rows],
        {int(b): int(n) for b, n in conn.execute(counted)},
    )
