"""CSV files into any Store: a table made from the file's columns, filled in batches.

Memory stays bounded by the chunk size whatever the file's length, and the
table's types come from the first chunk: the time column as a timestamp,
numbers as floats, everything else as text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
from sqlalchemy import Column, DateTime, Float, MetaData, Table, Text

from data.store import Store
from errors import InvalidInput

CHUNK_ROWS = 50_000


def read_chunks(path: Path, sep: str) -> Iterator[pd.DataFrame]:
    try:
        yield from pd.read_csv(path, sep=sep, chunksize=CHUNK_ROWS)
    except FileNotFoundError:
        raise InvalidInput(f"no such file: {path}") from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InvalidInput(f"{path} is not a readable CSV file: {exc}") from None


def table_for(name: str, sample: pd.DataFrame, time_column: str) -> Table:
    """A table with the sample's columns: `time_column` a timestamp, numbers floats, rest text."""
    if time_column not in sample.columns:
        known = ", ".join(map(str, sample.columns))
        raise InvalidInput(f"the file has no column '{time_column}' (its columns: {known})")
    columns = []
    for col in sample.columns:
        if not str(col).strip():
            raise InvalidInput("the file has a column without a name")
        if col == time_column:
            kind = DateTime(timezone=True)
        elif pd.api.types.is_numeric_dtype(sample[col]) and not pd.api.types.is_bool_dtype(
            sample[col]
        ):
            kind = Float()
        else:
            kind = Text()
        columns.append(Column(str(col), kind, nullable=col != time_column))
    return Table(name, MetaData(), *columns)


def converted(chunk: pd.DataFrame, table: Table, first_row: int) -> pd.DataFrame:
    """The chunk with the table's types: UTC times, floats; names the first bad cell.

    Row numbers are the file's line numbers (the header is line 1).
    """
    out = {}
    for column in table.columns:
        values = chunk[column.name]
        if isinstance(column.type, DateTime):
            parsed = pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")
            expected = "a time"
        elif isinstance(column.type, Float):
            parsed = pd.to_numeric(values, errors="coerce")
            expected = "a number"
        else:
            continue
        bad = parsed.isna() & values.notna() | (parsed.isna() & (not column.nullable))
        if bad.any():
            row = int(bad.to_numpy().argmax())
            raise InvalidInput(
                f"line {first_row + row + 2}: '{values.iloc[row]}' in column "
                f"'{column.name}' is not {expected}; nothing was imported"
            )
        out[column.name] = parsed
    return chunk.assign(**out)


def import_csv(
    store: Store,
    path: Path,
    table: str,
    time_column: str,
    sep: str = ",",
    append: bool = False,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Create `table` from the CSV's columns (or append to it) and write every row.

    The whole file is checked before the first row is written, so a bad cell
    anywhere changes nothing.
    """
    first = next(read_chunks(path, sep), None)
    if first is None or first.empty:
        raise InvalidInput(f"{path} holds no rows")
    exists = table in store.tables()
    if exists and not append:
        raise InvalidInput(f"table '{table}' exists already; add --append to add the rows to it")
    target = table_for(table, first, time_column)
    rows = 0
    for chunk in read_chunks(path, sep):
        converted(chunk, target, rows)
        rows += len(chunk)
    if not exists:
        store.create_table(target)
    written = 0
    for chunk in read_chunks(path, sep):
        written += store.write(table, converted(chunk, target, written))
        if progress:
            progress(written)
    return written
