"""Sensor health on BigQuery: the heartbeat summary's upkeep and the one job that reads it.

The same summary as on SQL databases (data/health.py). A write's recount is
one MERGE job per summary table (the touched sensors' days counted again
from the heartbeats, then their totals and bins from the day rows; rows no
longer found deleted), so a reader sees each table's old rows or its new
ones, never a day missing. (One multi-statement
transaction would join the two; bqemulator 1.4.0 drops the work of scripts.)
The report is one job: the totals, the two lists and the histogram come back
as one row of arrays. BigQueryStore imports this module when first used.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd
from google.cloud.bigquery import ArrayQueryParameter, ScalarQueryParameter

from data import health, readpath, schema
from data.bigquery_store import BigQueryStore, Scan
from data.health import DAY, GAP_EDGES, SensorHealth
from errors import NotFound

#: The summary tables, recounted in this order: each from the one before.
SUMMARY = ("heartbeat_days", "heartbeat_gaps", "heartbeat_sensors", "heartbeat_bins")


class BigQueryHealth:
    def __init__(self, store: BigQueryStore) -> None:
        self.store = store

    def _merge(self, table: str, source: str, keys: tuple[str, ...], kept: str) -> str:
        """MERGE `table` with the rows `source` counts: changed, added, and those of the
        recounted span (`kept`) that are no longer found deleted."""
        columns = [c.name for c in schema.metadata.tables[table].columns]
        values = [c for c in columns if c not in keys]
        q = [f"`{c}`" for c in columns]  # schema.py's own names
        return (
            f"MERGE {self.store._ref(table)} AS T USING ({source}) AS S ON "
            + " AND ".join(f"T.`{k}` = S.`{k}`" for k in keys)
            + " WHEN MATCHED THEN UPDATE SET "
            + ", ".join(f"`{c}` = S.`{c}`" for c in values)
            + f" WHEN NOT MATCHED THEN INSERT ({', '.join(q)}) "
            f"VALUES ({', '.join('S.' + c for c in q)}) "
            f"WHEN NOT MATCHED BY SOURCE AND {kept} THEN DELETE"
        )

    def _recount_sql(self, filtered: bool) -> list[str]:
        """The MERGE jobs that recount @sensors over days @a..@b (or everything): the day
        rows from the heartbeats, then the sensors' totals and bins from the day rows."""
        ref = self.store._ref
        rows = (
            "sensor_id IN UNNEST(@sensors) AND `time` >= TIMESTAMP_SECONDS(@lo) "
            "AND `time` < TIMESTAMP_SECONDS(@hi)"
            if filtered
            else "TRUE"
        )
        mine = "sensor_id IN UNNEST(@sensors)" if filtered else "TRUE"
        span = "T.sensor_id IN UNNEST(@sensors) AND T.day BETWEEN @a AND @b" if filtered else "TRUE"
        whole = "T.sensor_id IN UNNEST(@sensors)" if filtered else "TRUE"
        src = (
            "WITH src AS (SELECT sensor_id, UNIX_MICROS(`time`) / 1000000 AS e, "
            f"DIV(UNIX_SECONDS(`time`), {DAY}) AS day FROM {ref('heartbeats')} WHERE {rows}) "
        )
        window = "OVER (PARTITION BY sensor_id ORDER BY e)"
        counted_days = (
            f"{src}SELECT sensor_id, day, COUNT(*) AS beats, MIN(e) AS `first`, "
            "MAX(e) AS `last` FROM src GROUP BY sensor_id, day"
        )
        counted_gaps = (
            f"{src}SELECT sensor_id, day, bin, COUNT(*) AS n FROM ("
            f"SELECT sensor_id, day, RANGE_BUCKET(e - LAG(e) {window}, @edges) AS bin, "
            f"LAG(day) {window} AS before FROM src) "
            "WHERE before = day GROUP BY sensor_id, day, bin"
        )
        totals = (
            "SELECT sensor_id, SUM(beats) AS beats, MIN(`first`) AS `first`, "
            f"MAX(`last`) AS `last` FROM {ref('heartbeat_days')} WHERE {mine} GROUP BY sensor_id"
        )
        binned = (
            "SELECT sensor_id, bin, SUM(n) AS n FROM ("
            f"SELECT sensor_id, bin, n FROM {ref('heartbeat_gaps')} WHERE {mine} UNION ALL "
            "SELECT sensor_id, RANGE_BUCKET(gap, @edges), 1 FROM (SELECT sensor_id, "
            "`first` - LAG(`last`) OVER (PARTITION BY sensor_id ORDER BY day) AS gap "
            f"FROM {ref('heartbeat_days')} WHERE {mine}) WHERE gap IS NOT NULL) "
            "GROUP BY sensor_id, bin"
        )
        return [
            self._merge("heartbeat_days", counted_days, ("sensor_id", "day"), span),
            self._merge("heartbeat_gaps", counted_gaps, ("sensor_id", "day", "bin"), span),
            self._merge("heartbeat_sensors", totals, ("sensor_id",), whole),
            self._merge("heartbeat_bins", binned, ("sensor_id", "bin"), whole),
        ]

    def _scans(self) -> list[Scan]:
        return [Scan("heartbeats", ("sensor_id", "time"))] + [
            Scan(name, tuple(c.name for c in schema.metadata.tables[name].columns))
            for name in SUMMARY
        ]

    def refresh(self, frame: pd.DataFrame) -> None:
        """Recount the sensors and days a write of heartbeats touched."""
        if frame.empty or "time" not in frame or "sensor_id" not in frame:
            return
        written = readpath.written_rows(frame, "time", "sensor_id")
        day = (written["e"] // DAY).astype(int)
        first, last = int(day.min()), int(day.max())
        params = [
            ArrayQueryParameter("sensors", "STRING", sorted(written["entity"].unique())),
            ScalarQueryParameter("a", "INT64", first),
            ScalarQueryParameter("b", "INT64", last),
            ScalarQueryParameter("lo", "INT64", first * DAY),
            ScalarQueryParameter("hi", "INT64", (last + 1) * DAY),
            ArrayQueryParameter("edges", "INT64", list(GAP_EDGES)),
        ]
        for sql in self._recount_sql(True):
            self.store._dml("health-refresh", sql, params, self._scans())

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        params = [ArrayQueryParameter("edges", "INT64", list(GAP_EDGES))]
        for sql in self._recount_sql(False):
            self.store._dml("health-rebuild", sql, params, self._scans())
        (row,) = self.store._query(
            "health-rebuild",
            "SELECT IFNULL(SUM(beats), 0) AS n FROM " + self.store._ref("heartbeat_sensors"),
            (),
            [Scan("heartbeat_sensors", ("beats",))],
        )
        if progress:
            progress(int(row["n"]))
        return int(row["n"])

    def clear(self) -> None:
        for name in SUMMARY:
            self.store._dml("health-clear", f"TRUNCATE TABLE {self.store._ref(name)}", (), [])

    def report(
        self, now: datetime, silence_minutes: float, sensor: str | None, limit: int
    ) -> SensorHealth:
        health.check_question(silence_minutes, limit)
        cutoff = now.timestamp() - silence_minutes * 60
        params: list[Any] = [
            ScalarQueryParameter("cutoff", "FLOAT64", cutoff),
            ScalarQueryParameter("limit", "INT64", limit),
            ArrayQueryParameter("edges", "INT64", list(GAP_EDGES)),
        ]
        mine = "TRUE"
        if sensor is not None:
            mine = "sensor_id = @sensor"
            params.append(ScalarQueryParameter("sensor", "STRING", sensor))
        totals, bins = self.store._ref("heartbeat_sensors"), self.store._ref("heartbeat_bins")
        sensors = self.store._ref("sensors")
        listed = (
            "STRUCT(sensor_id AS sensor_id, `first` AS `first`, `last` AS `last`, "
            "beats AS beats, SAFE_DIVIDE(`last` - `first`, beats - 1) AS interval)"
        )
        quiet = "(`last` IS NULL OR `last` < @cutoff)"
        sql = (
            "WITH fleet AS (SELECT sensor_id, `first`, `last`, beats "
            f"FROM {totals} WHERE {mine} UNION ALL "
            "SELECT sensor_id, CAST(NULL AS FLOAT64), CAST(NULL AS FLOAT64), 0 "
            f"FROM {sensors} WHERE {mine} AND sensor_id NOT IN "
            f"(SELECT sensor_id FROM {totals}))\n"
            "SELECT (SELECT COUNT(*) FROM fleet) AS sensors, "
            f"(SELECT COUNTIF({quiet}) FROM fleet) AS silent, "
            "(SELECT COUNTIF(`last` < @cutoff) FROM fleet) AS stopped, "
            "(SELECT AVG(IF(`last` < @cutoff, `last` - `first`, NULL)) FROM fleet) AS lifespan, "
            "(SELECT SAFE_DIVIDE(SUM(IF(beats > 1, `last` - `first`, NULL)), "
            "SUM(IF(beats > 1, beats - 1, NULL))) FROM fleet) AS interval, "
            f"ARRAY(SELECT {listed} FROM fleet WHERE {quiet} "
            "ORDER BY `last` DESC NULLS LAST, sensor_id LIMIT @limit) AS silent_sensors, "
            f"ARRAY(SELECT {listed} FROM fleet WHERE beats > 1 "
            "ORDER BY SAFE_DIVIDE(`last` - `first`, beats - 1) DESC, sensor_id "
            "LIMIT @limit) AS slowest, "
            f"ARRAY(SELECT STRUCT(bin AS bin, SUM(n) AS n) FROM {bins} WHERE {mine} "
            "GROUP BY bin) AS bins"
        )
        scans = [
            Scan("heartbeat_sensors", ("sensor_id", "beats", "first", "last")),
            Scan("heartbeat_bins", ("sensor_id", "bin", "n")),
            Scan("sensors", ("sensor_id",)),
        ]
        (row,) = self.store._query("sensor-health", sql, params, scans)
        if sensor is not None and not row["sensors"]:
            raise NotFound(f"unknown sensor '{sensor}'")
        fields = ("sensor_id", "first", "last", "beats", "interval")
        return health.answer(
            now,
            silence_minutes,
            [row[k] for k in ("sensors", "silent", "stopped", "lifespan", "interval")],
            [[r[k] for k in fields] for r in row["silent_sensors"]],
            [[r[k] for k in fields] for r in row["slowest"]],
            {int(b["bin"]): int(b["n"]) for b in row["bins"]},
        )
