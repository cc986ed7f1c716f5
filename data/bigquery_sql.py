"""Pieces every BigQuery query of Vigil is built from: quoted names, parameters, scans,
and the M4 aggregation that both a chart's read and the rollup pyramid's build use.

Names are checked to be plain identifiers before they are quoted with
backticks; values only ever travel as query parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.cloud.bigquery import ScalarQueryParameter
from sqlalchemy.sql import sqltypes

from errors import InvalidInput

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_ -]{0,299}\Z")  # flexible names: spaces, dashes
TABLE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,1023}\Z")
#: A chart's query returns the raw rows of buckets holding at most this many rows.
RAW_PER_BUCKET = 16
EMPTY_POINTS = "ARRAY<STRUCT<e FLOAT64, v FLOAT64>>[]"


@dataclass(frozen=True)
class Scan:
    """A table a job reads: which columns, and the time range when partitions are pruned."""

    table: str
    columns: tuple[str, ...]
    start: datetime | None = None
    end: datetime | None = None
    #: For m4_rollups (partitioned by level): the levels read; None for all.
    levels: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Job:
    """One BigQuery job as sent, for `journal` (bench/bigquery_dryrun.py)."""

    purpose: str
    sql: str
    params: tuple[Any, ...]
    scans: tuple[Scan, ...]


def quote(name: str) -> str:
    """A plain identifier in backticks; anything else is refused outright."""
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise InvalidInput(f"'{name}' is not a column name Vigil can query")
    return f"`{name}`"


def param(name: str, typ: str, value: Any) -> ScalarQueryParameter:
    return ScalarQueryParameter(name, typ, value)


#: SQLAlchemy types and the BigQuery types holding them; first match wins (Float is a Numeric).
BIGQUERY_TYPES: tuple[tuple[type, str], ...] = (
    (sqltypes.Boolean, "BOOL"),
    (sqltypes.DateTime, "TIMESTAMP"),
    (sqltypes.Date, "DATE"),
    (sqltypes.Integer, "INT64"),
    (sqltypes.Float, "FLOAT64"),
    (sqltypes.Numeric, "NUMERIC"),
    (sqltypes.String, "STRING"),
)


def bigquery_type(column: Any) -> str:
    """The BigQuery type of a SQLAlchemy column (schema.py's tables, imports, demo)."""
    for kind, name in BIGQUERY_TYPES:
        if isinstance(column.type, kind):
            return name
    raise InvalidInput(f"column '{column.name}' has type {column.type}, which BigQuery cannot hold")


def micros(seconds: float) -> int:
    """Epoch seconds as the whole microseconds TIMESTAMP_MICROS takes, exact in INT64."""
    return round(seconds * 1e6)


def m4_aggregates(count: int, key: str, group: str, with_rows: bool) -> str:
    """Per group: row count, first and last time, and per value column v<i> the
    first, last, minimum and maximum, in one pass. Ties keep the earliest row.

    Picks are (ok, e, v) structs sorted by ARRAY_AGG, not MIN_BY/MAX_BY (whose
    ties are arbitrary); `ok` is false when a column holds no value in the group.
    With `with_rows`, groups of at most RAW_PER_BUCKET rows carry every row.
    """
    parts = [key, "COUNT(*) AS n", "MIN(e) AS e0", "MAX(e) AS e1"]
    for i in range(count):
        valid = f"(v{i} IS NOT NULL)"
        parts += [
            f"ARRAY_AGG(STRUCT(TRUE AS ok, v{i} AS v) ORDER BY e LIMIT 1)[OFFSET(0)] AS f{i}",
            f"ARRAY_AGG(STRUCT(TRUE AS ok, v{i} AS v) ORDER BY e DESC LIMIT 1)[OFFSET(0)] AS l{i}",
            f"ARRAY_AGG(STRUCT({valid} AS ok, e AS e, v{i} AS v) "
            f"ORDER BY {valid} DESC, v{i}, e LIMIT 1)[OFFSET(0)] AS mn{i}",
            f"ARRAY_AGG(STRUCT({valid} AS ok, e AS e, v{i} AS v) "
            f"ORDER BY {valid} DESC, v{i} DESC, e LIMIT 1)[OFFSET(0)] AS mx{i}",
        ]
        if with_rows:
            parts.append(
                f"IF(COUNT(*) <= {RAW_PER_BUCKET}, ARRAY_AGG(STRUCT(e AS e, v{i} AS v) "
                f"ORDER BY e LIMIT {RAW_PER_BUCKET}), {EMPTY_POINTS}) AS p{i}"
            )
    return f"SELECT {', '.join(parts)} FROM src GROUP BY {group}"


def unpivot(count: int, with_rows: bool) -> str:
    """One struct per value column, named by parameter @c<i>: rows per (group, column)."""
    structs = []
    for i in range(count):
        fields = [
            f"@c{i} AS col",
            f"IF(f{i}.ok, f{i}.v, NULL) AS v0",
            f"IF(mn{i}.ok, mn{i}.e, NULL) AS emn",
            f"IF(mn{i}.ok, mn{i}.v, NULL) AS mn",
            f"IF(mx{i}.ok, mx{i}.e, NULL) AS emx",
            f"IF(mx{i}.ok, mx{i}.v, NULL) AS mx",
            f"IF(l{i}.ok, l{i}.v, NULL) AS v1",
        ]
        if with_rows:
            fields.append(f"p{i} AS pts")
        structs.append(f"STRUCT({', '.join(fields)})")
    return f"[{', '.join(structs)}]"
