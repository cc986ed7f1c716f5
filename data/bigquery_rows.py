"""`Store.rows` on BigQuery: rows as stored, selected by typed query parameters.

Apart from data/bigquery_store.py (which has the series, rollups and labels)
because it shares nothing with them but the job runner and the catalog.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
from google.cloud.bigquery import ScalarQueryParameter

from data import readpath
from errors import InvalidInput

if TYPE_CHECKING:
    from data.bigquery_store import BigQueryStore

#: Query parameter type per column type, and the Python values each accepts.
PARAMETER_TYPES: dict[str, tuple[str, tuple[type, ...]]] = {
    "STRING": ("STRING", (str,)),
    "INT64": ("INT64", (int,)),
    "INTEGER": ("INT64", (int,)),
    "FLOAT64": ("FLOAT64", (int, float)),
    "FLOAT": ("FLOAT64", (int, float)),
    "NUMERIC": ("NUMERIC", (int, float)),
    "BOOL": ("BOOL", (bool,)),
    "BOOLEAN": ("BOOL", (bool,)),
    "DATE": ("DATE", (date,)),
    "TIMESTAMP": ("TIMESTAMP", (datetime,)),
    "DATETIME": ("DATETIME", (datetime,)),
}


def rows(
    store: BigQueryStore,
    table: str,
    where: Mapping[str, object] | None,
    start: datetime | None,
    end: datetime | None,
    columns: Sequence[str] | None,
    limit: int,
) -> pd.DataFrame:
    from data.bigquery_store import Scan, quote

    fields = store._info(table).fields
    names, time_name, start, end = readpath.check_rows(
        store, table, where, start, end, columns, limit
    )
    params: list[Any] = []
    conds = []
    for i, (name, value) in enumerate((where or {}).items()):
        conds.append(f"{quote(name)} = @w{i}")
        params.append(_parameter(f"w{i}", fields[name].field_type, name, value))
    order = time_name or names[0]
    if start is not None or end is not None:
        t, _ = store._time_sql(table)
        if start is not None:
            conds.append(f"{t} >= @start")
            params.append(ScalarQueryParameter("start", "TIMESTAMP", start))
        if end is not None:
            conds.append(f"{t} < @end")
            params.append(ScalarQueryParameter("end", "TIMESTAMP", end))
    picked = ", ".join(f"{quote(n)} AS c{i}" for i, n in enumerate(names))
    sql = (
        f"SELECT {picked} FROM {store._ref(table)}"
        + (f" WHERE {' AND '.join(conds)}" if conds else "")
        + f" ORDER BY {quote(order)} LIMIT @limit"
    )
    params.append(ScalarQueryParameter("limit", "INT64", limit))
    scans = [Scan(table, tuple(dict.fromkeys([*names, *(where or {})])), start, end)]
    found = store._query("rows", sql, params, scans)
    frame = pd.DataFrame([[r[f"c{i}"] for i in range(len(names))] for r in found], columns=names)
    for name in names:
        if fields[name].field_type in ("TIMESTAMP", "DATETIME"):
            frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame


def _parameter(key: str, field_type: str, name: str, value: object) -> ScalarQueryParameter:
    typ, accepts = PARAMETER_TYPES.get(field_type, ("STRING", (str,)))
    wrong_bool = isinstance(value, bool) and bool not in accepts
    if not isinstance(value, accepts) or wrong_bool:
        raise InvalidInput(
            f"the value for column '{name}' must be a {typ.lower()}, got {type(value).__name__}"
        )
    return ScalarQueryParameter(key, typ, value)
