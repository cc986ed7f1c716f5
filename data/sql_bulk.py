"""Bulk inserts for the SQL store: many rows through the driver's fastest path.

SQLAlchemy's executemany builds and processes a parameter dict per row
(~17 µs each), which alone would cap ingest near 50,000 rows/s before the
database did any work. Here values are converted once per column, then go to
the driver as tuples (SQLite's executemany) or as one COPY stream
(PostgreSQL), inside the caller's transaction, stored exactly as SQLAlchemy
stores them (naive UTC text on SQLite, timestamptz on PostgreSQL).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pandas as pd
import psycopg2
from sqlalchemy import Connection, Table
from sqlalchemy.sql import sqltypes

from data.readpath import first_line
from data.sql_values import is_missing, iso_times
from errors import InvalidInput, Unavailable

#: COPY's text format: a backslash, tab, newline or carriage return in a value is escaped.
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def insert(conn: Connection, table: Table, frame: pd.DataFrame) -> int:
    """Insert `frame`'s rows (columns named as the table's) in the current transaction."""
    if frame.empty:
        return 0
    names = list(frame.columns)
    sqlite = conn.dialect.name == "sqlite"
    columns = [_values(table.c[name].type, frame[name], name, sqlite) for name in names]
    quoted = ", ".join(conn.dialect.identifier_preparer.quote(n) for n in names)
    target = conn.dialect.identifier_preparer.format_table(table)
    if sqlite:
        marks = ", ".join("?" * len(names))
        conn.exec_driver_sql(
            f"INSERT INTO {target} ({quoted}) VALUES ({marks})", list(zip(*columns, strict=True))
        )
        return len(frame)
    text = "\n".join("\t".join(_copy_text(v) for v in row) for row in zip(*columns, strict=True))
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.copy_expert(f"COPY {target} ({quoted}) FROM STDIN", io.StringIO(text + "\n"))
    except (psycopg2.DataError, psycopg2.IntegrityError, psycopg2.ProgrammingError) as exc:
        raise InvalidInput(
            f"rows refused by table '{table.name}', nothing written: {first_line(exc)}"
        ) from None
    except psycopg2.OperationalError as exc:
        raise Unavailable(f"store unavailable: {first_line(exc)}") from exc
    finally:
        cursor.close()
    return len(frame)


def _values(typ: Any, values: pd.Series, name: str, sqlite: bool) -> list[Any]:
    """One column as plain Python values the driver (or COPY) takes; None where missing."""
    if isinstance(typ, sqltypes.DateTime):
        return iso_times(values, name, " ", "" if sqlite else "+00:00")
    convert: Callable[[Any], Any] | None = None
    if isinstance(typ, sqltypes.Date):
        convert = lambda v: pd.Timestamp(v).date().isoformat()  # noqa: E731
    elif isinstance(typ, sqltypes.Boolean):
        convert = (lambda v: int(bool(v))) if sqlite else (lambda v: "t" if v else "f")
    array = values.to_numpy()  # numpy's checks: a Series' cost more than a live write's insert
    out = array.tolist()
    if convert is not None or pd.isna(array).any():
        out = [None if is_missing(v) else (convert(v) if convert else v) for v in out]
    return out


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(COPY_ESCAPES)
    if isinstance(value, float):
        return repr(value)
    return str(value)
