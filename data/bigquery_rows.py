"""Raw rows of a BigQuery table, page by page: `Store.read_rows` and the raw part of `read`.

One query job per call; its result pages are fetched as the caller asks for
them, so a long range costs one chunk of memory at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from data import readpath
from data.bigquery_sql import Scan, param, quote

if TYPE_CHECKING:
    from data.bigquery_store import BigQueryStore

PURPOSE = "read-rows"


def rows_query(
    store: BigQueryStore,
    table: str,
    columns: Sequence[str],
    start: datetime,
    end: datetime,
    filters: Mapping[str, str] | None,
) -> tuple[str, list[Any], list[Scan]]:
    """(sql, params, scans) of every row in [start, end]: e in epoch seconds, v0, v1, ..."""
    t, time_name = store._time_sql(table)
    params: list[Any] = [param("start", "TIMESTAMP", start), param("end", "TIMESTAMP", end)]
    conds = [f"{t} >= @start", f"{t} <= @end", *store._filter_sql(table, filters, params)]
    values = ", ".join(f"CAST({quote(c)} AS FLOAT64) AS v{i}" for i, c in enumerate(columns))
    sql = (
        f"SELECT UNIX_MICROS({t}) / 1000000 AS e, {values} FROM {store._ref(table)} "
        f"WHERE {' AND '.join(conds)} ORDER BY e"
    )
    return sql, params, [Scan(table, (time_name, *columns, *(filters or {})), start, end)]


def points(rows: Sequence[Any], columns: Sequence[str]) -> readpath.Points:
    e = np.array([r["e"] for r in rows], dtype=float)
    return {
        c: (e, np.array([r[f"v{i}"] for r in rows], dtype=float)) for i, c in enumerate(columns)
    }


def read_rows(
    store: BigQueryStore,
    table: str,
    columns: Sequence[str],
    start: datetime,
    end: datetime,
    filters: Mapping[str, str] | None,
    chunk_rows: int,
) -> Iterator[pd.DataFrame]:
    store._info(table)
    start, end = readpath.check_rows(store, table, columns, start, end, chunk_rows, filters)
    sql, params, scans = rows_query(store, table, columns, start, end, filters)
    return _pages(store, sql, params, scans, list(columns), chunk_rows)


def _pages(
    store: BigQueryStore,
    sql: str,
    params: list[Any],
    scans: list[Scan],
    columns: list[str],
    chunk_rows: int,
) -> Iterator[pd.DataFrame]:
    with store._errors():
        result = store._run(PURPOSE, sql, params, scans, page_size=chunk_rows)
        for page in result.pages:
            rows = list(page)
            if rows:
                found = points(rows, columns)
                epochs = found[columns[0]][0]
                yield readpath.rows_frame(epochs, {c: v for c, (_, v) in found.items()})
