"""The Store on Google BigQuery through google-cloud-bigquery, on an existing dataset.

`bigquery://PROJECT/DATASET`, or `bigquery://PROJECT` / `bigquery://` with the
dataset from `dataset_id` and the project from Application Default Credentials
(as `gcloud init` sets them). With BIGQUERY_EMULATOR_HOST set
(`http://127.0.0.1:9050`) the client talks to that endpoint anonymously.

Names that come from a request are checked against the catalog (the API's
table list and schemas) and must be plain identifiers before they are quoted
with backticks; every value is a query parameter. Every job carries the labels
app=vigil and purpose=..., and `maximum_bytes_billed`; results come through
REST unless the Storage Read API is configured.

The SQL is written by hand (no SQLAlchemy dialect for BigQuery here) and kept
to what real BigQuery allows: rows are added by load jobs (`write`, atomic)
and INSERT query jobs (feedback), never streamed, so no DML ever meets a
streaming buffer. A chart is one job that reads each table once: without the
pyramid the row count, M4 per bucket and, when few, the rows themselves come
from one aggregation over the range; with it, only the partitions at the
range's two ends are read raw, the rest comes from `m4_rollups` (partitioned
by level) in the same job with UNION ALL, and the table's COUNT(*), which
BigQuery answers from metadata for free, checks that the pyramid holds every
row. The pyramid also answers entity pickers, default ranges and where the
latest rows are, and one snapshot of every anomaly with its labels answers a
review page: no page reads a partition of a table twice (bench/bigquery_dryrun.py).

Where bqemulator 1.4.0 (the tests' emulator) differs, the code is written for
BigQuery and avoids what the emulator gets wrong: COUNTIF grouped by an alias,
ARRAY_AGG(... IGNORE NULLS), structs with unnamed fields, and trusting
`Table.num_rows` (not kept after DML there).
"""

from __future__ import annotations

import concurrent.futures
import io
import json
import logging
import math
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import requests
from google.api_core import exceptions as api_errors
from google.api_core.client_options import ClientOptions
from google.auth import exceptions as auth_errors
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery
from google.cloud.bigquery import ArrayQueryParameter
from google.cloud.bigquery.retry import DEFAULT_JOB_RETRY, DEFAULT_RETRY
from sqlalchemy import Table
from sqlalchemy.sql import sqltypes

from data import bigquery_rows, readpath, rollup, schema
from data.bigquery_anomalies import BigQueryAnomalies
from data.bigquery_rollups import BigQueryRollups, Plan
from data.bigquery_sql import (
    IDENTIFIER,
    RAW_PER_BUCKET,
    TABLE_NAME,
    Job,
    Scan,
    bigquery_type,
    m4_aggregates,
    micros,
    param,
    quote,
    unpivot,
)
from data.catalog import Catalog
from data.m4 import m4_points, to_times
from data.sql_values import arrays, epoch_to_utc, is_missing, iso_times, row_dicts
from data.store import (
    Anomaly,
    AnomalyFilter,
    ColumnInfo,
    FeedbackEvent,
    SeriesRead,
    Status,
    Store,
)
from data.times import as_utc
from errors import ConfigError, InvalidInput, NotFound, Unavailable, VigilError

if TYPE_CHECKING:
    from data.bigquery_health import BigQueryHealth
    from data.bigquery_records import BigQueryRecords
    from data.health import SensorHealth

log = logging.getLogger(__name__)

HIDDEN_TABLES = readpath.HIDDEN_TABLES
FILL_MARKERS = readpath.FILL_MARKERS
#: Seconds a call keeps retrying a BigQuery that does not answer before `Unavailable`.
RETRY_SECONDS = 10.0
API_TIMEOUT = 30.0
QUERY_TIMEOUT = 300.0
#: Result sizes from which the Storage Read API (when configured) fetches the rows.
STORAGE_API_ROWS = 50_000

PROJECT_ID = re.compile(r"[a-z][a-z0-9.:-]{0,100}[a-z0-9]\Z")
DATASET_ID = re.compile(r"[A-Za-z0-9_]{1,1024}\Z")
#: BigQuery type names to the kinds readpath.role understands.
KINDS: dict[str, readpath.Kind] = {
    "TIMESTAMP": "time",
    "DATETIME": "time",
    "DATE": "time",
    "BOOL": "bool",
    "BOOLEAN": "bool",
    "INT64": "number",
    "INTEGER": "number",
    "FLOAT64": "number",
    "FLOAT": "number",
    "NUMERIC": "number",
    "BIGNUMERIC": "number",
}
POINT_COLUMNS = rollup.POINT_COLUMNS


@dataclass(frozen=True)
class _TableInfo:
    fields: dict[str, bigquery.SchemaField]
    primary: frozenset[str]


def parse_url(url: str, dataset_id: str = "") -> tuple[str | None, str]:
    """(project or None for the credentials' own, dataset) of a bigquery:// URL."""
    prefix = "bigquery://"
    if not url.startswith(prefix):
        raise ConfigError(f"backend '{url}' is not a bigquery://PROJECT/DATASET URL")
    project, _, dataset = url[len(prefix) :].partition("/")
    dataset = dataset.strip("/")
    if dataset and dataset_id and dataset != dataset_id:
        raise ConfigError(
            f"backend names dataset '{dataset}' but dataset_id is '{dataset_id}'; keep one"
        )
    dataset = dataset or dataset_id
    if not dataset:
        raise ConfigError(
            "BigQuery needs a dataset: backend bigquery://PROJECT/DATASET or the dataset_id key"
        )
    if not DATASET_ID.match(dataset):
        raise ConfigError(f"'{dataset}' is not a BigQuery dataset id (letters, digits, _)")
    if project and not PROJECT_ID.match(project):
        raise ConfigError(f"'{project}' is not a Google Cloud project id")
    return project or None, dataset


class BigQueryStore(Store):
    """One dataset of one project; one client (thread-safe) per process."""

    def __init__(
        self,
        project: str | None,
        dataset: str,
        *,
        url: str | None = None,
        time_column: str = "time",
        label_column: str = "label",
        maximum_bytes_billed: int = 10_000_000_000,
        location: str = "US",
        storage_api: bool = False,
        retry_seconds: float = RETRY_SECONDS,
        client: bigquery.Client | None = None,
    ):
        if storage_api:
            _check_storage_api()
        self._client = client or _make_client(project, location)
        self.project: str = self._client.project
        if not PROJECT_ID.match(self.project or ""):
            raise ConfigError(f"'{self.project}' is not a Google Cloud project id")
        self.dataset = dataset
        self.url = url or f"bigquery://{self.project}/{dataset}"
        self._dataset_ref = bigquery.DatasetReference(self.project, dataset)
        self._location = location
        self._max_bytes = maximum_bytes_billed
        self._storage_api = storage_api
        self._time_name = time_column
        self._label_name = label_column
        self._retry = DEFAULT_RETRY.with_deadline(retry_seconds)
        self._job_retry = DEFAULT_JOB_RETRY.with_deadline(retry_seconds)
        self._catalog: Catalog[_TableInfo] = Catalog(self._table_names, self._read_info)
        self.review = BigQueryAnomalies(self)
        self.rollups = BigQueryRollups(self)
        #: When a list, every job is appended to it (bench/bigquery_dryrun.py).
        self.journal: list[Job] | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> BigQueryStore:
        project, dataset = parse_url(config["backend"], config.get("dataset_id", ""))
        return cls(
            project,
            dataset,
            url=config["backend"],
            time_column=config.get("timestamp_column_name", "time"),
            label_column=config.get("label_column_name", "label"),
            maximum_bytes_billed=config.get("bigquery_maximum_bytes_billed", 10_000_000_000),
            location=config.get("bigquery_location", "US"),
            storage_api=config.get("bigquery_storage_api", False),
        )

    # -- jobs and errors ----------------------------------------------------
    @contextmanager
    def _errors(self, refused: str = "BigQuery refused the request") -> Iterator[None]:
        """BigQuery's failures as Vigil's: Unavailable when it cannot be reached."""
        try:
            yield
        except VigilError:
            raise
        except api_errors.NotFound as exc:
            self._catalog_at = 0.0  # something vanished: look again next time
            raise NotFound(f"not found in BigQuery: {_reason(exc)}") from None
        except (api_errors.BadRequest, api_errors.Forbidden) as exc:
            if _has_reason(exc, "bytesBilledLimitExceeded"):
                raise InvalidInput(
                    "this view would make BigQuery scan more than "
                    f"bigquery_maximum_bytes_billed ({self._max_bytes:,} bytes): "
                    "choose a shorter range or raise the setting"
                ) from None
            if isinstance(exc, api_errors.Forbidden):
                raise Unavailable(
                    f"store unavailable: BigQuery refused access: {_reason(exc)}"
                ) from None
            raise InvalidInput(f"{refused}: {_reason(exc)}") from None
        except (api_errors.Unauthorized, auth_errors.RefreshError) as exc:
            raise Unavailable(
                f"store unavailable: BigQuery refused the credentials: {_reason(exc)}"
            ) from None
        except api_errors.ClientError as exc:
            raise InvalidInput(f"{refused}: {_reason(exc)}") from None
        except (
            api_errors.GoogleAPIError,  # 5xx, RetryError (retries ran out)
            requests.exceptions.RequestException,
            auth_errors.TransportError,
            concurrent.futures.TimeoutError,
            ConnectionError,
            TimeoutError,
        ) as exc:
            raise Unavailable(
                f"store unavailable: BigQuery did not answer ({_reason(exc)})"
            ) from exc

    def _note(self, purpose: str, sql: str, params: Sequence[Any], scans: Sequence[Scan]) -> None:
        if self.journal is not None:
            self.journal.append(Job(purpose, sql, tuple(params), tuple(scans)))

    def _job_config(self, purpose: str, params: Sequence[Any]) -> bigquery.QueryJobConfig:
        return bigquery.QueryJobConfig(
            labels={"app": "vigil", "purpose": purpose},
            maximum_bytes_billed=self._max_bytes,
            query_parameters=list(params),
            use_legacy_sql=False,
        )

    def _run(
        self,
        purpose: str,
        sql: str,
        params: Sequence[Any],
        scans: Sequence[Scan],
        page_size: int | None = None,
    ) -> Any:
        """One parameterised, labelled, capped query job, waited for; its RowIterator."""
        self._note(purpose, sql, params, scans)
        return self._client.query_and_wait(
            sql,
            job_config=self._job_config(purpose, params),
            location=self._location,
            api_timeout=API_TIMEOUT,
            wait_timeout=QUERY_TIMEOUT,
            retry=self._retry,
            job_retry=self._job_retry,
            page_size=page_size,
        )

    def _query(
        self, purpose: str, sql: str, params: Sequence[Any] = (), scans: Sequence[Scan] = ()
    ) -> list[Any]:
        """The rows of one query job."""
        with self._errors():
            result = self._run(purpose, sql, params, scans)
            if self._storage_api and (result.total_rows or 0) >= STORAGE_API_ROWS:
                return result.to_arrow(create_bqstorage_client=True).to_pylist()
            return list(result)

    def _dml(
        self, purpose: str, sql: str, params: Sequence[Any] = (), scans: Sequence[Scan] = ()
    ) -> int:
        """Run an INSERT, DELETE or TRUNCATE query job; returns the rows it touched."""
        with self._errors():
            return int(self._run(purpose, sql, params, scans).num_dml_affected_rows or 0)

    def _load(self, table: str, rows: list[dict[str, Any]], purpose: str) -> None:
        """One load job of NDJSON: BigQuery appends all the rows or none."""
        payload = "\n".join(json.dumps(row, allow_nan=False) for row in rows).encode()
        self._note(purpose, f"LOAD {len(rows)} rows INTO {self._ref(table)}", (), ())
        config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
            write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
            create_disposition=bigquery.CreateDisposition.CREATE_NEVER,
            max_bad_records=0,
            labels={"app": "vigil", "purpose": purpose},
        )
        with self._errors(f"rows refused by table '{table}', nothing written"):
            job = self._client.load_table_from_file(
                io.BytesIO(payload),
                self._table_ref(table),
                job_config=config,
                location=self._location,
                num_retries=2,
                timeout=API_TIMEOUT,
            )
            job.result(retry=self._retry, timeout=QUERY_TIMEOUT)

    # -- identifiers ----------------------------------------------------------
    def _table_ref(self, table: str) -> bigquery.TableReference:
        return self._dataset_ref.table(table)

    def _ref(self, table: str) -> str:
        """A catalog-checked (or Vigil's own) table as a backticked path."""
        if not TABLE_NAME.match(table):
            raise InvalidInput(f"'{table}' is not a table name Vigil can query")
        return f"`{self.project}.{self.dataset}.{table}`"

    # -- catalog ----------------------------------------------------------------
    def _table_names(self) -> list[str]:
        with self._errors():
            try:
                tables = self._client.list_tables(
                    self._dataset_ref, retry=self._retry, timeout=API_TIMEOUT
                )
                return [t.table_id for t in tables if TABLE_NAME.match(t.table_id)]
            except api_errors.NotFound:
                return []  # no dataset yet: create_schema makes it

    def _info(self, name: str, accounts: bool = False) -> _TableInfo:
        """The schema of a user-visible table (with `accounts`: of an account table only);
        NotFound before any query otherwise."""
        return self._catalog.schema(name, accounts)

    def _read_info(self, name: str) -> _TableInfo:
        with self._errors():
            found = self._client.get_table(
                self._table_ref(name), retry=self._retry, timeout=API_TIMEOUT
            )
        fields = {
            f.name: f
            for f in found.schema
            if f.mode != "REPEATED"
            and f.field_type not in ("RECORD", "STRUCT")
            and IDENTIFIER.match(f.name)
        }
        constraints = getattr(found, "table_constraints", None)
        key = getattr(constraints, "primary_key", None)
        return _TableInfo(fields, frozenset(getattr(key, "columns", None) or ()))

    def tables(self) -> list[str]:
        return self._catalog.visible()

    def columns(self, table: str) -> list[ColumnInfo]:
        info = self._info(table)
        return [
            ColumnInfo(
                f.name,
                f.field_type,
                readpath.role(
                    f.name,
                    KINDS.get(f.field_type, "text"),
                    set(info.primary),
                    self._time_name,
                    self._label_name,
                ),
            )
            for f in info.fields.values()
        ]

    def _time_sql(self, table: str) -> tuple[str, str]:
        """(the time column as a TIMESTAMP expression, its name)."""
        name = self.time_column(table)
        col = quote(name)
        typ = self._info(table).fields[name].field_type
        return (col if typ == "TIMESTAMP" else f"TIMESTAMP({col})"), name

    def _filter_sql(
        self, table: str, filters: Mapping[str, str] | None, params: list[Any]
    ) -> list[str]:
        """`col = @f0` conditions; values compare as text, as they arrive from a URL."""
        if not filters:
            return []
        readpath.check_columns(self, table, list(filters), {"id", "label"})
        fields = self._info(table).fields
        conds = []
        for i, (name, value) in enumerate(filters.items()):
            col = quote(name)
            expr = col if fields[name].field_type == "STRING" else f"CAST({col} AS STRING)"
            conds.append(f"{expr} = @f{i}")
            params.append(param(f"f{i}", "STRING", str(value)))
        return conds

    # -- series -------------------------------------------------------------------
    def time_range(
        self, table: str, filters: Mapping[str, str] | None = None
    ) -> tuple[datetime, datetime] | None:
        self._info(table)
        params: list[Any] = []
        conds = self._filter_sql(table, filters, params)
        entity_column = self.entity_column(table)
        if not filters or (entity_column and set(filters) == {entity_column}):
            summary = self.rollups.summary(table)
            if summary is not None:
                if filters:
                    spans = [summary.entities[k] for k in filters.values() if k in summary.entities]
                else:
                    spans = list(summary.entities.values())
                if not spans:
                    return None
                first = min(s[0] for s in spans)
                last = max(s[1] for s in spans)
                times = to_times(np.array([first, last]))
                return times[0].to_pydatetime(), times[1].to_pydatetime()
        t, name = self._time_sql(table)
        sql = f"SELECT MIN({t}) AS first, MAX({t}) AS last FROM {self._ref(table)}" + (
            f" WHERE {' AND '.join(conds)}" if conds else ""
        )
        scans = [Scan(table, (name, *(filters or {})))]
        (row,) = self._query("time-range", sql, params, scans)
        if row["first"] is None:
            return None
        return as_utc(row["first"]), as_utc(row["last"])

    def distinct(self, table: str, column: str, limit: int = 1000) -> list[str]:
        info = self._info(table)
        readpath.check_columns(self, table, [column], {"id", "label"})
        series = any(c.role == "time" for c in self.columns(table))  # reference tables have none
        if (
            series
            and column == self.entity_column(table)
            and info.fields[column].field_type == "STRING"
        ):
            summary = self.rollups.summary(table)
            if summary is not None:
                return sorted(summary.entities)[:limit]
        col = quote(column)
        sql = (
            f"SELECT DISTINCT {col} AS v FROM {self._ref(table)} "
            f"WHERE {col} IS NOT NULL ORDER BY v LIMIT @limit"
        )
        rows = self._query(
            "distinct", sql, [param("limit", "INT64", int(limit))], [Scan(table, (column,))]
        )
        return [str(r["v"]) for r in rows]

    def read(
        self,
        table: str,
        columns: Sequence[str],
        start: datetime,
        end: datetime,
        max_points: int,
        filters: Mapping[str, str] | None = None,
    ) -> SeriesRead:
        self._info(table)
        start, end = readpath.check_read(self, table, columns, start, end, max_points, filters)
        columns = list(columns)
        width = readpath.bucket_width(start, end, max_points)
        lo = start.timestamp()
        plan = self.rollups.plan(table, filters, lo, end.timestamp(), width)
        if plan is not None:
            answer = self._read_rollups(table, columns, start, end, filters, width, plan)
            if answer is not None and answer.rows_in_range > max_points:
                return answer
        raw = self._read_buckets(table, columns, start, end, filters, lo, width)
        total = sum(r["n"] for r in raw if r["col"] == columns[0])
        if total <= max_points:
            if all(r["n"] <= RAW_PER_BUCKET for r in raw):
                points = {c: _stored_points(raw, c) for c in columns}
            else:  # a burst of rows in few buckets: read them all (few by definition)
                points = self._raw_rows(table, columns, start, end, filters)
            return readpath.series_read(table, start, end, points, total, None)
        points = {c: m4_points(*_m4_rows_points(raw, c), lo, width) for c in columns}
        return readpath.series_read(table, start, end, points, total, (lo, width))

    def read_rows(
        self,
        table: str,
        columns: Sequence[str],
        start: datetime,
        end: datetime,
        filters: Mapping[str, str] | None = None,
        chunk_rows: int = Store.ROW_CHUNK,
    ) -> Iterator[pd.DataFrame]:
        return bigquery_rows.read_rows(self, table, columns, start, end, filters, chunk_rows)

    def _read_buckets(
        self,
        table: str,
        columns: list[str],
        start: datetime,
        end: datetime,
        filters: Mapping[str, str] | None,
        origin: float,
        step: float,
    ) -> list[Any]:
        """One job over the range's rows: per bucket and column the row count, the
        M4 picks and, for buckets of at most RAW_PER_BUCKET rows, the rows."""
        t, time_name = self._time_sql(table)
        params: list[Any] = [
            param("start", "TIMESTAMP", start),
            param("end", "TIMESTAMP", end),
            param("origin", "FLOAT64", float(origin)),
            param("step", "FLOAT64", float(step)),
        ]
        conds = [f"{t} >= @start", f"{t} <= @end", *self._filter_sql(table, filters, params)]
        sql = self._m4_sql(table, columns, conds, params, with_rows=True)
        scans = [Scan(table, (time_name, *columns, *(filters or {})), start, end)]
        return self._query("read", sql, params, scans)

    def _m4_sql(
        self,
        table: str,
        columns: list[str],
        conds: list[str],
        params: list[Any],
        with_rows: bool,
    ) -> str:
        """Rows (col, bucket, n, e0, v0, emn, mn, emx, mx, e1, v1[, pts]) of M4 per
        chart bucket (@origin, @step) over the rows matching `conds`, one pass."""
        t, _ = self._time_sql(table)
        values = ", ".join(f"CAST({quote(c)} AS FLOAT64) AS v{i}" for i, c in enumerate(columns))
        source = (
            f"SELECT UNIX_MICROS({t}) / 1000000 AS e, {values} "
            f"FROM {self._ref(table)} WHERE {' AND '.join(conds)}"
        )
        key = "CAST(FLOOR((e - @origin) / @step) AS INT64) AS k"
        per_bucket = m4_aggregates(len(columns), key, "k", with_rows)
        params += [param(f"c{i}", "STRING", c) for i, c in enumerate(columns)]
        return (
            f"WITH src AS ({source}),\nper_bucket AS ({per_bucket})\n"
            "SELECT 'raw' AS kind, c.col, k AS bucket, n, e0, c.v0, c.emn, c.mn, c.emx, c.mx, "
            f"e1, c.v1{', c.pts' if with_rows else ''}\n"
            f"FROM per_bucket, UNNEST({unpivot(len(columns), with_rows)}) AS c"
        )

    def _read_rollups(
        self,
        table: str,
        columns: list[str],
        start: datetime,
        end: datetime,
        filters: Mapping[str, str] | None,
        width: float,
        plan: Plan,
    ) -> SeriesRead | None:
        """One job: M4 of the fringe rows (only the partitions at the range's two ends
        are read), the pyramid's rows for the rest, and a free consistency check.

        The check compares the table's COUNT(*) (BigQuery answers it from metadata,
        0 bytes) with the rows the pyramid holds: a row written around the pyramid
        (another program, a refresh that failed after its load) makes them differ,
        and the caller reads the raw rows instead. None then.
        """
        lo = start.timestamp()
        origin, step = readpath.rollup_grid(lo, width, plan.level)
        t, time_name = self._time_sql(table)
        params: list[Any] = [
            param("start", "TIMESTAMP", start),
            param("end", "TIMESTAMP", end),
            param("cover_lo", "INT64", micros(plan.cover_lo)),
            param("cover_hi", "INT64", micros(plan.cover_hi)),
            param("origin", "FLOAT64", float(origin)),
            param("step", "FLOAT64", float(step)),
        ]
        fringes = (
            f"(({t} >= @start AND {t} < TIMESTAMP_MICROS(@cover_lo)) "
            f"OR ({t} >= TIMESTAMP_MICROS(@cover_hi) AND {t} <= @end))"
        )
        conds = [fringes, *self._filter_sql(table, filters, params)]
        sql = self._m4_sql(table, columns, conds, params, with_rows=False)
        stored = []
        for i, p in enumerate(plan.pieces):
            stored.append(f"(level = @l{i} AND bucket BETWEEN @a{i} AND @b{i})")
            params += [
                param(f"l{i}", "INT64", p.level),
                param(f"a{i}", "INT64", p.first),
                param(f"b{i}", "INT64", p.last),
            ]
        params += [
            param("source", "STRING", table),
            param("entity", "STRING", plan.entity),
            param("top", "INT64", rollup.COARSEST),
            ArrayQueryParameter("cols", "STRING", columns),
        ]
        ru = self._ref("m4_rollups")
        levels = {p.level for p in plan.pieces}
        # the pyramid's row count: from a summary taken seconds ago when there is one
        # (it read the coarsest level already), else from the coarsest level here
        summary = self.rollups.fresh_summary(table)
        if summary is not None:
            held = "@held"
            params.append(param("held", "INT64", summary.rows))
        else:
            held = (
                f"(SELECT SUM(n) FROM {ru} WHERE source = @source AND level = @top AND col = @c0)"
            )
            levels.add(rollup.COARSEST)
        sql += (
            "\nUNION ALL\nSELECT 'rollup', col, bucket, n, e0, v0, emn, mn, emx, mx, e1, v1\n"
            f"FROM {ru} WHERE source = @source AND entity = @entity "
            f"AND col IN UNNEST(@cols) AND ({' OR '.join(stored)})"
            # the check row: bucket = rows in the pyramid, n = rows in the table
            f"\nUNION ALL\nSELECT 'check', NULL, {held}, "
            f"(SELECT COUNT(*) FROM {self._ref(table)}), "
            "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
        )
        scans = [
            Scan(table, (time_name, *columns, *(filters or {})), start, end),
            Scan(
                "m4_rollups",
                ("source", "level", "entity", "col", "bucket", *POINT_COLUMNS),
                levels=tuple(sorted(levels)),
            ),
        ]
        rows = self._query("read", sql, params, scans)
        (check,) = [r for r in rows if r["kind"] == "check"]
        if (check["bucket"] or 0) != check["n"]:
            log.warning(
                "rollups of table %s do not match its rows; reading raw rows. "
                "Run `python app.py rollup --table %s` to rebuild them.",
                table,
                table,
            )
            return None
        fringe = [r for r in rows if r["kind"] == "raw"]
        found = arrays(
            [[r[k] for k in ("col", *POINT_COLUMNS)] for r in rows if r["kind"] == "rollup"],
            ["col", *POINT_COLUMNS],
        )
        total = int(found["n"][found["col"] == columns[0]].sum()) + sum(
            r["n"] for r in fringe if r["col"] == columns[0]
        )
        # the fringe's M4 points, one NaN-padded array per column beside a shared time
        # array: rollup.combine takes rows, and drops the NaNs
        picks = {c: _m4_rows_points(fringe, c) for c in columns}
        times = np.concatenate([picks[c][0] for c in columns])
        extra: dict[str, np.ndarray] = {"e": times}
        offset = 0
        for c in columns:
            values = np.full(len(times), np.nan)
            values[offset : offset + len(picks[c][0])] = picks[c][1]
            extra[c] = values
            offset += len(picks[c][0])
        points, buckets, _ = rollup.combine(found, extra, columns, None, lo, width, plan.level)
        return readpath.series_read(table, start, end, points, total, buckets)

    def _raw_rows(
        self,
        table: str,
        columns: list[str],
        start: datetime,
        end: datetime,
        filters: Mapping[str, str] | None,
    ) -> readpath.Points:
        sql, params, scans = bigquery_rows.rows_query(self, table, columns, start, end, filters)
        rows = self._query(bigquery_rows.PURPOSE, sql, params, scans)
        return bigquery_rows.points(rows, columns)

    # -- the rollup pyramid (data/bigquery_rollups.py) ----------------------------
    def rebuild_rollups(self, table: str, progress: Callable[[int], None] | None = None) -> int:
        self._info(table)
        if table == "heartbeats":
            return self._health().rebuild(progress)
        return self.rollups.rebuild(table, progress)

    def latest(self, table: str, entity_column: str, columns: Sequence[str]) -> pd.DataFrame:
        self._info(table)
        readpath.check_columns(self, table, [entity_column], {"id"})
        readpath.check_columns(self, table, columns, {"metric", "label"})
        t, time_name = self._time_sql(table)
        ent = quote(entity_column)
        params: list[Any] = []
        conds = [f"{ent} IS NOT NULL"]
        start = None
        if entity_column == self.entity_column(table):
            # the pyramid knows each entity's last time: only the partitions from the
            # earliest of them on are read, not the table's whole history
            summary = self.rollups.summary(table)
            if summary is not None and summary.entities:
                since = min(last for _, last in summary.entities.values())
                conds.append(f"{t} >= TIMESTAMP_MICROS(@since)")
                params.append(param("since", "INT64", micros(since)))
                start = epoch_to_utc(since)
        picked = "".join(f", {quote(c)} AS v{i}" for i, c in enumerate(columns))
        sql = (
            f"SELECT {ent} AS entity, {t} AS at{picked} FROM {self._ref(table)} "
            f"WHERE {' AND '.join(conds)} "
            f"QUALIFY ROW_NUMBER() OVER (PARTITION BY {ent} ORDER BY {t} DESC) = 1 "
            "ORDER BY entity"
        )
        scans = [Scan(table, (entity_column, time_name, *columns), start, None)]
        rows = self._query("latest", sql, params, scans)
        frame = pd.DataFrame(
            [[r["entity"], r["at"], *(r[f"v{i}"] for i in range(len(columns)))] for r in rows],
            columns=[entity_column, "time", *columns],
        )
        frame["time"] = pd.to_datetime(frame["time"], utc=True)
        return frame

    # -- anomalies and feedback (data/bigquery_anomalies.py) ------------------------
    def anomalies(self, filters: AnomalyFilter | None = None) -> list[Anomaly]:
        return self.review.anomalies(filters)

    def anomaly(self, anomaly_id: str) -> Anomaly:
        return self.review.anomaly(anomaly_id)

    def status_counts(self, filters: AnomalyFilter | None = None) -> dict[Status, int]:
        return self.review.status_counts(filters)

    def add_anomaly(self, anomaly: Anomaly) -> Anomaly:
        return self.review.add_anomaly(anomaly)

    def add_feedback(self, event: FeedbackEvent) -> FeedbackEvent:
        return self.review.add_feedback(event)

    def feedback_events(self) -> list[FeedbackEvent]:
        return self.review.feedback_events()

    def anomaly_types(self) -> list[str]:
        return self.review.anomaly_types()

    # -- writes -------------------------------------------------------------------
    def write(self, table: str, frame: pd.DataFrame) -> int:
        info = self._info(table)
        readpath.check_write(table, frame, list(info.fields))
        records = _records(table, info, frame)
        if not records:
            return 0
        self._load(table, records, "write")
        self.rollups.forget(table)
        self.rollups.refresh(table, frame)
        if table == "heartbeats":
            self._health().refresh(frame)
        return len(records)

    # -- records and sensor health, in modules of their own ----------------------
    def _records_api(self) -> BigQueryRecords:
        from data.bigquery_records import BigQueryRecords

        return BigQueryRecords(self)

    def accounts(self) -> BigQueryRecords:
        from data.bigquery_records import BigQueryRecords

        return BigQueryRecords(self, accounts=True)

    def _health(self) -> BigQueryHealth:
        from data.bigquery_health import BigQueryHealth

        return BigQueryHealth(self)

    def rows(
        self,
        table: str,
        where: Mapping[str, Any] | None = None,
        order_by: Sequence[str] | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        return self._records_api().rows(table, where, order_by, limit)

    def insert_row(self, table: str, values: Mapping[str, Any]) -> dict[str, Any]:
        return self._records_api().insert(table, values)

    def update_row(
        self, table: str, key: Mapping[str, Any], values: Mapping[str, Any]
    ) -> dict[str, Any]:
        return self._records_api().update(table, key, values)

    def delete_row(self, table: str, key: Mapping[str, Any]) -> None:
        self._records_api().delete(table, key)

    def sensor_health(
        self,
        now: datetime,
        silence_minutes: float,
        sensor: str | None = None,
        limit: int = 100,
    ) -> SensorHealth:
        return self._health().report(as_utc(now), silence_minutes, sensor, limit)

    def create_schema(self) -> tuple[str | None, str]:
        """Create the dataset (if missing), Vigil's missing tables and their missing
        columns from schema.py.

        BigQuery has no Alembic: its tables are the metadata's, so the revision
        reported is the head the SQL stores migrate to. New columns of Vigil's
        tables are nullable (as every migration adds them), which BigQuery can
        append to a table's schema in place.
        """
        from data.migrate import head

        with self._errors():
            dataset = bigquery.Dataset(self._dataset_ref)
            dataset.location = self._location
            self._client.create_dataset(
                dataset, exists_ok=True, retry=self._retry, timeout=API_TIMEOUT
            )
        names = self._catalog.refresh()
        wanted = [t for t in schema.metadata.sorted_tables]
        missing = [t for t in wanted if t.name not in names]
        before = head() if not missing else (None if "anomalies" not in names else "partial")
        for table in missing:
            self._create(table)
        widened = [self._add_columns(t) for t in wanted if t not in missing]
        self._catalog.refresh()
        return ("partial" if any(widened) and not missing else before), head()

    def _add_columns(self, table: Table) -> bool:
        """Append the columns `table` declares and the stored table lacks; True if any.

        By DDL (ALTER TABLE ... ADD COLUMN IF NOT EXISTS), which BigQuery applies in
        place and which, unlike a schema PATCH, the emulator applies to its storage.
        """
        with self._errors():
            stored = self._client.get_table(
                self._table_ref(table.name), retry=self._retry, timeout=API_TIMEOUT
            )
        have = {f.name for f in stored.schema}
        new = [c for c in table.columns if c.name not in have]
        if not new:
            return False
        additions = ", ".join(
            f"ADD COLUMN IF NOT EXISTS {quote(c.name)} {bigquery_type(c)}" for c in new
        )
        self._dml("add-columns", f"ALTER TABLE {self._ref(table.name)} {additions}")
        self._catalog.forget(table.name)
        return True

    def create_table(self, table: Table) -> None:
        self._create(table)
        self._catalog.refresh()

    def _create(self, table: Table) -> None:
        if not TABLE_NAME.match(table.name):
            raise InvalidInput(f"'{table.name}' is not a table name BigQuery accepts")
        for column in table.columns:
            quote(column.name)
        fields = [
            bigquery.SchemaField(
                c.name, bigquery_type(c), mode="NULLABLE" if c.nullable else "REQUIRED"
            )
            for c in table.columns
        ]
        created = bigquery.Table(self._table_ref(table.name), schema=fields)
        times = [
            c.name
            for c in table.columns
            if isinstance(c.type, sqltypes.DateTime) and not c.nullable
        ]
        if schema.is_series(table.name) and times:
            # a day per partition, an entity's rows together: a chart reads its range only
            time_name = self._time_name if self._time_name in times else times[0]
            created.time_partitioning = bigquery.TimePartitioning(
                type_=bigquery.TimePartitioningType.DAY, field=time_name
            )
            entity = schema.ENTITY_COLUMNS.get(table.name) or next(
                (c.name for c in table.columns if c.name.endswith("_id")), None
            )
            if entity:
                created.clustering_fields = [entity]
        elif table.name == "m4_rollups":
            # a partition per level: the pyramid's summary reads the coarsest alone,
            # a chart the levels of its pieces
            created.range_partitioning = bigquery.RangePartitioning(
                field="level",
                range_=bigquery.PartitionRange(
                    start=0, end=rollup.COARSEST + rollup.LEVELS[0], interval=rollup.LEVELS[0]
                ),
            )
            created.clustering_fields = ["source", "entity", "col"]
        elif table.name == "anomaly_feedback":
            created.clustering_fields = ["anomaly_id"]
        primary = [c.name for c in table.primary_key.columns]
        if primary:
            from google.cloud.bigquery.table import PrimaryKey, TableConstraints

            created.table_constraints = TableConstraints(
                primary_key=PrimaryKey(columns=primary), foreign_keys=[]
            )
        with self._errors():
            self._client.create_table(
                created, exists_ok=True, retry=self._retry, timeout=API_TIMEOUT
            )

    def delete_all(self, table: str) -> None:
        if table in HIDDEN_TABLES and table in schema.metadata.tables:
            if not self._catalog.has(table):
                raise NotFound(f"unknown table '{table}'")
        else:
            self._info(table)
        self._dml("delete-all", f"TRUNCATE TABLE {self._ref(table)}", (), [Scan(table, ())])
        self.rollups.delete(table)
        if table == "heartbeats":
            self._health().clear()

    def is_empty(self) -> bool:
        """One job of COUNT(*)s, which BigQuery answers from metadata: 0 bytes."""
        names = self._catalog.refresh()
        present = [name for name in FILL_MARKERS if name in names]
        if not present:
            return True
        counts = " + ".join(f"(SELECT COUNT(*) FROM {self._ref(name)})" for name in present)
        (row,) = self._query(
            "is-empty", f"SELECT {counts} AS n", (), [Scan(name, ()) for name in present]
        )
        return int(row["n"]) == 0

    def close(self) -> None:
        self._client.close()


# -- a chart's rows to points -------------------------------------------------------
def _stored_points(raw: list[Any], column: str) -> tuple[np.ndarray, np.ndarray]:
    """Every row of `column` from the per-bucket row arrays, in time order."""
    pts = [p for r in raw if r["col"] == column for p in r["pts"]]
    e = np.array([p["e"] for p in pts], dtype=float)
    v = np.array([p["v"] for p in pts], dtype=float)
    order = np.argsort(e, kind="stable")
    return e[order], v[order]


def _m4_rows_points(raw: list[Any], column: str) -> tuple[np.ndarray, np.ndarray]:
    """The M4 points of `column` from per-bucket rows (missing picks are NaN)."""
    rows = [r for r in raw if r["col"] == column]
    return rollup.rollup_points(
        {k: np.array([r[k] for r in rows], dtype=float) for k in POINT_COLUMNS[1:]}
    )


# -- rows to load ----------------------------------------------------------------------
def _records(table: str, info: _TableInfo, frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts in BigQuery's formats; refused whole before any job."""
    converted = {}
    for name in frame.columns:
        typ = info.fields[name].field_type
        values = frame[name]
        if typ in ("TIMESTAMP", "DATETIME"):
            converted[name] = iso_times(values, name, suffix="Z" if typ == "TIMESTAMP" else "")
        elif typ == "DATE":
            try:
                parsed = pd.to_datetime(values, format="ISO8601")
            except (ValueError, TypeError):
                raise InvalidInput(f"column '{name}' holds values that are not a date") from None
            converted[name] = parsed.dt.strftime("%Y-%m-%d").where(parsed.notna())
        elif KINDS.get(typ) == "number":
            try:
                numbers = pd.to_numeric(values)
            except (ValueError, TypeError):
                raise InvalidInput(
                    f"rows refused by table '{table}', nothing written: "
                    f"column '{name}' holds values that are not numbers"
                ) from None
            if typ in ("INT64", "INTEGER"):
                numbers = numbers.astype("Int64")
            converted[name] = numbers.astype(object).where(numbers.notna())
        elif KINDS.get(typ) == "bool":
            converted[name] = values.astype(object).where(values.notna())
        else:
            converted[name] = values.map(lambda v: v if is_missing(v) else str(v))
    frame = pd.DataFrame(converted, index=frame.index)
    for name, f in info.fields.items():
        if f.mode != "REQUIRED":
            continue
        if name not in frame:
            raise InvalidInput(
                f"rows refused by table '{table}', nothing written: column '{name}' is required"
            )
        empty = frame[name].isna().to_numpy()
        if empty.any():
            row = int(np.flatnonzero(empty)[0])
            raise InvalidInput(
                f"rows refused by table '{table}', nothing written: "
                f"column '{name}' is empty in row {row}"
            )
    records = row_dicts(frame)
    for record in records:
        for name, value in record.items():
            if isinstance(value, float) and not math.isfinite(value):
                record[name] = None
            elif isinstance(value, np.generic):
                record[name] = value.item()
    return records


# -- the client -----------------------------------------------------------------------
def _make_client(project: str | None, location: str) -> bigquery.Client:
    emulator = os.environ.get("BIGQUERY_EMULATOR_HOST", "").strip()
    try:
        if emulator:
            if not project:
                raise ConfigError(
                    "with BIGQUERY_EMULATOR_HOST set, name the project: bigquery://PROJECT/DATASET"
                )
            endpoint = emulator if "://" in emulator else f"http://{emulator}"
            return bigquery.Client(
                project=project,
                credentials=AnonymousCredentials(),
                client_options=ClientOptions(api_endpoint=endpoint),
                location=location,
            )
        return bigquery.Client(project=project, location=location)
    except auth_errors.DefaultCredentialsError as exc:
        raise ConfigError(
            "no Google credentials for BigQuery: run `gcloud auth application-default login` "
            f"or set GOOGLE_APPLICATION_CREDENTIALS ({_reason(exc)})"
        ) from None
    except OSError as exc:  # the client could not tell the project
        raise ConfigError(
            "no Google Cloud project for BigQuery: name it in backend "
            f"(bigquery://PROJECT/DATASET) or run `gcloud config set project` ({exc})"
        ) from None


def _check_storage_api() -> None:
    try:
        import google.cloud.bigquery_storage  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        raise ConfigError(
            "bigquery_storage_api needs the google-cloud-bigquery-storage and pyarrow "
            "packages: pip install google-cloud-bigquery-storage pyarrow"
        ) from None


def _has_reason(exc: api_errors.GoogleAPICallError, reason: str) -> bool:
    return any(e.get("reason") == reason for e in (exc.errors or []) if isinstance(e, dict))


def _reason(exc: BaseException) -> str:
    while isinstance(exc, api_errors.RetryError) and exc.cause is not None:
        exc = exc.cause  # the last failure before the retries ran out of time
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "cannot connect"
    if isinstance(exc, requests.exceptions.Timeout | concurrent.futures.TimeoutError):
        return "timed out"
    message = getattr(exc, "message", None) or str(exc)
    line = readpath.first_line(Exception(message))
    return line if len(line) <= 300 else line[:297] + "..."
