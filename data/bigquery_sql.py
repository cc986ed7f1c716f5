"""Pieces every BigQuery query of Vigil is built from: quoted names, parameters, scans.

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
