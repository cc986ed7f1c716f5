"""The review half of the BigQuery store: anomalies, their label events, one snapshot.

Rows are only ever appended (INSERT query jobs guarded by NOT EXISTS), never
updated, so this works on any BigQuery table, streamed into or loaded.
BigQuery has no unique constraint: two concurrent first tries of the same
idempotency key may both be stored, and every read counts the earliest alone.
"""

from __future__ import annotations

import time as clock
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from data import readpath, schema
from data.bigquery_sql import Scan, bigquery_type, param, quote
from data.feedback import check_feedback
from data.store import STATUSES, Anomaly, AnomalyFilter, FeedbackEvent, Sort, Status
from data.times import as_utc
from errors import NotFound

if TYPE_CHECKING:
    from data.bigquery_store import BigQueryStore

#: How long one snapshot of every anomaly with its labels answers the review pages.
SNAPSHOT_TTL_SECONDS = 2.0
#: Anomalies up to which the snapshot holds them all; past it each call runs its query.
SNAPSHOT_ROWS = 10_000

EVENT_COLUMNS = tuple(c.name for c in schema.anomaly_feedback.columns)
ANOMALY_COLUMNS = tuple(c.name for c in schema.anomalies.columns)
#: What finding each anomaly's current label reads of the events.
LABEL_READS = ("anomaly_id", "verified", "anomaly_type", "created", "event_id", "idempotency_key")
#: Events with each idempotency key counted once (the earliest try).
UNIQUE_EVENTS = (
    "SELECT {columns} FROM {fb} WHERE TRUE QUALIFY ROW_NUMBER() OVER ("
    "PARTITION BY idempotency_key ORDER BY created, event_id) = 1"
)
STATUS_SQL = (
    "CASE WHEN l.verified IS NULL THEN 'unlabelled' "
    "WHEN l.verified THEN 'verified' ELSE 'rejected' END"
)
ORDER_SQL: dict[Sort, str] = {
    "newest": "`start` DESC, `id`",
    "oldest": "`start`, `id`",
    "highest": "`score` DESC NULLS LAST, `start` DESC, `id`",
    "lowest": "`score` NULLS LAST, `start` DESC, `id`",
}


class BigQueryAnomalies:
    """Anomalies and feedback of one BigQueryStore, through its jobs."""

    def __init__(self, store: BigQueryStore) -> None:
        self._store = store
        self._cache: tuple[list[Anomaly] | None, float] | None = None

    def forget(self) -> None:
        """Drop the snapshot: this process wrote anomalies or labels."""
        self._cache = None

    def _scans(self, events: tuple[str, ...] = EVENT_COLUMNS) -> list[Scan]:
        return [Scan("anomalies", ANOMALY_COLUMNS), Scan("anomaly_feedback", events)]

    def _unique_events(self, columns: tuple[str, ...] = EVENT_COLUMNS) -> str:
        return UNIQUE_EVENTS.format(
            columns=", ".join(quote(c) for c in columns), fb=self._store._ref("anomaly_feedback")
        )

    def _snapshot(self) -> list[Anomaly] | None:
        """Every anomaly with its label history, newest first, from one job that reads
        `anomalies` and `anomaly_feedback` once; None past SNAPSHOT_ROWS anomalies.

        A review page asks for the list, the counts per status and one anomaly in
        the same view: on BigQuery each would be a job of at least 10 MB per table
        billed and a second or so. Kept SNAPSHOT_TTL_SECONDS; this process's own
        writes and labels drop it at once, another worker's show up within that.
        """
        cached = self._cache
        if cached is not None and clock.monotonic() - cached[1] < SNAPSHOT_TTL_SECONDS:
            return cached[0]
        fields = ", ".join(f"{quote(e)} AS {quote(e)}" for e in EVENT_COLUMNS)
        sql = (
            f"WITH events AS ({self._unique_events()}),\n"
            f"history AS (SELECT anomaly_id AS aid, ARRAY_AGG(STRUCT({fields}) "
            "ORDER BY created, event_id) AS history FROM events GROUP BY anomaly_id)\n"
            f"SELECT {_columns('a')}, h.history "
            f"FROM {self._store._ref('anomalies')} AS a LEFT JOIN history AS h ON h.aid = a.`id` "
            "ORDER BY a.`start` DESC, a.`id` LIMIT @limit"
        )
        rows = self._store._query(
            "anomaly-snapshot", sql, [param("limit", "INT64", SNAPSHOT_ROWS + 1)], self._scans()
        )
        snapshot = None
        if len(rows) <= SNAPSHOT_ROWS:
            snapshot = [_with_history(row, row["history"] or []) for row in rows]
        self._cache = (snapshot, clock.monotonic())
        return snapshot

    def _filtered_sql(self, filters: AnomalyFilter) -> tuple[str, list[Any]]:
        """Anomalies with their current label and status, every filter but the status."""
        conds, params = ["TRUE"], []
        for name, sql, typ, value in (
            ("table", "`table_name` = @table", "STRING", filters.table),
            ("entity", "`entity_id` = @entity", "STRING", filters.entity),
            ("detector", "`detector` = @detector", "STRING", filters.detector),
            ("anomaly_type", "label_type = @anomaly_type", "STRING", filters.anomaly_type),
            ("min_score", "`score` >= @min_score", "FLOAT64", filters.min_score),
            ("max_score", "`score` <= @max_score", "FLOAT64", filters.max_score),
            ("start", "`end` >= @start", "TIMESTAMP", filters.start),
            ("end", "`start` <= @end", "TIMESTAMP", filters.end),
        ):
            if value is not None and value != "":
                conds.append(sql)
                params.append(param(name, typ, as_utc(value) if typ == "TIMESTAMP" else value))
        latest = (
            f"SELECT anomaly_id, verified, anomaly_type FROM ({self._unique_events(LABEL_READS)})"
            " WHERE TRUE QUALIFY ROW_NUMBER() OVER ("
            "PARTITION BY anomaly_id ORDER BY created DESC, event_id DESC) = 1"
        )
        sql = (
            f"WITH label AS ({latest})\n"
            f"SELECT * FROM (SELECT {_columns('a')}, {STATUS_SQL} AS status, "
            f"l.anomaly_type AS label_type FROM {self._store._ref('anomalies')} AS a "
            "LEFT JOIN label AS l ON l.anomaly_id = a.`id`)\n"
            f"WHERE {' AND '.join(conds)}"
        )
        return sql, params

    def anomalies(self, filters: AnomalyFilter | None) -> list[Anomaly]:
        filters = readpath.check_filter(filters)
        snapshot = self._snapshot()
        if snapshot is not None:
            found = [
                _listed(a)
                for a in snapshot
                if _matches(a, filters) and (not filters.status or a.status == filters.status)
            ]
            return sorted(found, key=SORT_KEYS[filters.sort])[: filters.limit]
        sql, params = self._filtered_sql(filters)
        if filters.status:
            sql += " AND status = @status"
            params.append(param("status", "STRING", filters.status))
        sql += f" ORDER BY {ORDER_SQL[filters.sort]} LIMIT @limit"
        params.append(param("limit", "INT64", filters.limit))
        rows = self._store._query("anomalies", sql, params, self._scans(LABEL_READS))
        return [readpath.anomaly_from_row(r, r["status"], r["label_type"]) for r in rows]

    def anomaly(self, anomaly_id: str) -> Anomaly:
        if not isinstance(anomaly_id, str):
            raise NotFound(f"unknown anomaly '{anomaly_id}'")
        snapshot = self._snapshot()
        if snapshot is not None:
            for found in snapshot:
                if found.id == anomaly_id:
                    return replace(found, columns=list(found.columns), history=list(found.history))
            raise NotFound(f"unknown anomaly '{anomaly_id}'")
        event = ", ".join(f"f.{quote(c)}" for c in EVENT_COLUMNS)
        sql = (
            f"SELECT {_columns('a')}, ARRAY("
            f"SELECT AS STRUCT {event} FROM ({self._unique_events()}) AS f "
            "WHERE f.anomaly_id = @id ORDER BY f.created, f.event_id) AS history "
            f"FROM {self._store._ref('anomalies')} AS a WHERE a.`id` = @id LIMIT 1"
        )
        rows = self._store._query(
            "anomaly", sql, [param("id", "STRING", anomaly_id)], self._scans()
        )
        if not rows:
            raise NotFound(f"unknown anomaly '{anomaly_id}'")
        return _with_history(rows[0], rows[0]["history"])

    def status_counts(self, filters: AnomalyFilter | None) -> dict[Status, int]:
        filters = readpath.check_filter(filters)
        counts: dict[Status, int] = dict.fromkeys(STATUSES, 0)
        snapshot = self._snapshot()
        if snapshot is not None:
            for found in snapshot:
                if _matches(found, filters):
                    counts[found.status] += 1
            return counts
        sql, params = self._filtered_sql(filters)
        sql = f"SELECT status, COUNT(*) AS n FROM ({sql}) GROUP BY status"
        for row in self._store._query("status-counts", sql, params, self._scans(LABEL_READS)):
            counts[row["status"]] = int(row["n"])
        return counts

    def add_anomaly(self, anomaly: Anomaly) -> Anomaly:
        """An INSERT job that adds the anomaly only if its id is new."""
        readpath.check_anomaly(self._store, anomaly)
        record = readpath.anomaly_record(anomaly)
        columns = list(schema.anomalies.columns)
        names = ", ".join(quote(c.name) for c in columns)
        values = ", ".join(f"@{c.name}" for c in columns)
        an = self._store._ref("anomalies")
        self.forget()
        self._store._dml(
            "add-anomaly",
            f"INSERT INTO {an} ({names}) SELECT {values} FROM UNNEST([1]) "
            f"WHERE NOT EXISTS (SELECT 1 FROM {an} WHERE `id` = @id)",
            [param(c.name, bigquery_type(c), record[c.name]) for c in columns],
            [Scan("anomalies", ("id",))],
        )
        self.forget()
        return self.anomaly(anomaly.id)

    def add_feedback(self, event: FeedbackEvent) -> FeedbackEvent:
        """An INSERT job that adds the event only if its anomaly exists and its key is new."""
        check_feedback(event)
        self.forget()
        stored = readpath.stamped(event)
        fb, an = self._store._ref("anomaly_feedback"), self._store._ref("anomalies")
        columns = list(schema.anomaly_feedback.columns)
        row = stored.__dict__
        inserted = self._store._dml(
            "feedback",
            f"INSERT INTO {fb} ({', '.join(quote(c.name) for c in columns)}) "
            f"SELECT {', '.join(f'@{c.name}' for c in columns)} FROM UNNEST([1]) "
            f"WHERE EXISTS (SELECT 1 FROM {an} WHERE `id` = @anomaly_id) "
            f"AND NOT EXISTS (SELECT 1 FROM {fb} WHERE idempotency_key = @idempotency_key)",
            [param(c.name, bigquery_type(c), row[c.name]) for c in columns],
            [Scan("anomalies", ("id",)), Scan("anomaly_feedback", ("idempotency_key",))],
        )
        self.forget()  # a snapshot taken meanwhile lacks the event
        if inserted:
            return stored
        rows = self._store._query(
            "feedback",
            f"SELECT {', '.join(quote(c) for c in EVENT_COLUMNS)} FROM {fb} "
            "WHERE idempotency_key = @key ORDER BY created, event_id LIMIT 1",
            [param("key", "STRING", event.idempotency_key)],
            [Scan("anomaly_feedback", EVENT_COLUMNS)],
        )
        if not rows:
            raise NotFound(f"unknown anomaly '{event.anomaly_id}'")
        return readpath.event_from_row(rows[0])

    def feedback_events(self) -> list[FeedbackEvent]:
        snapshot = self._snapshot()
        if snapshot is not None:
            events = [e for a in snapshot for e in a.history]
            return sorted(events, key=lambda e: (e.created, e.event_id))
        rows = self._store._query(
            "feedback-events",
            f"{self._unique_events()} ORDER BY created, event_id",
            (),
            [Scan("anomaly_feedback", EVENT_COLUMNS)],
        )
        return [readpath.event_from_row(r) for r in rows]

    def anomaly_types(self) -> list[str]:
        snapshot = self._snapshot()
        if snapshot is not None:
            used = Counter(e.anomaly_type for a in snapshot for e in a.history if e.anomaly_type)
            return [name for name, _ in sorted(used.items(), key=lambda kv: (-kv[1], kv[0]))]
        rows = self._store._query(
            "anomaly-types",
            f"SELECT anomaly_type, COUNT(*) AS used FROM ({self._unique_events()}) "
            "WHERE anomaly_type IS NOT NULL GROUP BY anomaly_type ORDER BY used DESC, anomaly_type",
            (),
            [Scan("anomaly_feedback", ("anomaly_type", "idempotency_key", "created", "event_id"))],
        )
        return [r["anomaly_type"] for r in rows]


def _columns(alias: str) -> str:
    return ", ".join(f"{alias}.{quote(c)}" for c in ANOMALY_COLUMNS)


def _with_history(row: Any, history: list[Any]) -> Anomaly:
    found = readpath.anomaly_from_row(row, "unlabelled")
    return readpath.with_history(found, [readpath.event_from_row(h) for h in history])


def _matches(found: Anomaly, filters: AnomalyFilter) -> bool:
    """AnomalyFilter but its status, as the SQL applies it (a missing score passes no
    score bound)."""
    return (
        (not filters.table or found.table_name == filters.table)
        and (not filters.entity or found.entity_id == filters.entity)
        and (not filters.detector or found.detector == filters.detector)
        and (not filters.anomaly_type or found.anomaly_type == filters.anomaly_type)
        and (
            filters.min_score is None
            or (found.score is not None and found.score >= filters.min_score)
        )
        and (
            filters.max_score is None
            or (found.score is not None and found.score <= filters.max_score)
        )
        and (filters.start is None or found.end >= as_utc(filters.start))
        and (filters.end is None or found.start <= as_utc(filters.end))
    )


def _listed(found: Anomaly) -> Anomaly:
    """As the list query returns it: no history, a copy the caller may change."""
    return replace(found, columns=list(found.columns), history=[])


#: ORDER_SQL as Python sort keys over the snapshot.
SORT_KEYS: dict[Sort, Callable[[Anomaly], tuple]] = {
    "newest": lambda a: (-a.start.timestamp(), a.id),
    "oldest": lambda a: (a.start.timestamp(), a.id),
    "highest": lambda a: (a.score is None, -(a.score or 0.0), -a.start.timestamp(), a.id),
    "lowest": lambda a: (a.score is None, a.score or 0.0, -a.start.timestamp(), a.id),
}
