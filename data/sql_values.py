"""Moving values between pandas/numpy and SQL drivers, shared by the SQL store's parts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from errors import InvalidInput


def parse_times(values: pd.Series, column: str) -> pd.Series:
    """`values` as UTC times; InvalidInput naming the column when some are not times."""
    if isinstance(values.dtype, pd.DatetimeTZDtype) and str(values.dtype.tz) == "UTC":
        return values  # already parsed (the ingest path): a live write pays nothing here
    try:
        return pd.to_datetime(values, utc=True, format="ISO8601")
    except (ValueError, TypeError):
        raise InvalidInput(f"column '{column}' holds values that are not a time") from None


def iso_times(values: pd.Series, column: str, sep: str = "T", suffix: str = "") -> list[str | None]:
    """`values` as UTC ISO text to the microsecond (`sep` between date and time, then
    `suffix`), None where missing; InvalidInput naming the column for non-times.

    numpy's text: 20x faster than strftime on a row, 2.5x on 100,000.
    """
    stamps = parse_times(values, column).to_numpy("datetime64[us]")
    return [
        None if text == "NaT" else (text if sep == "T" else text.replace("T", sep)) + suffix
        for text in np.datetime_as_string(stamps, unit="us").tolist()
    ]


def arrays(rows: Sequence[Sequence[Any]], names: list[str]) -> dict[str, np.ndarray]:
    """Result rows as one numpy array per column: ten times cheaper than a DataFrame."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    return {
        name: np.array(values, dtype=object if name in ("col", "entity") else float)
        for name, values in zip(names, columns, strict=True)
    }


def number_arrays(result: Any, names: list[str]) -> dict[str, np.ndarray]:
    """A result of numbers only, fetched from the driver's cursor as float arrays.

    For reads of many rows (every reading of a machine's day): SQLAlchemy's Row
    objects and a zip per column cost three times the query itself.
    """
    rows = result.cursor.fetchall()
    result.close()
    table = np.array(rows, dtype=float).reshape(len(rows), len(names))
    return {name: table[:, i] for i, name in enumerate(names)}


def epoch_to_utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def row_dicts(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values, None where a value is missing.

    Column-wise `tolist()` converts numpy scalars in C; only columns that hold
    gaps pay for a Python pass, which keeps bulk writes at memory speed.
    """
    columns = {}
    for name in frame.columns:
        col = frame[name]
        values = col.tolist()
        if col.isna().any():
            values = [None if is_missing(v) else v for v in values]
        columns[name] = values
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA


def utc_microseconds(times: pd.Series) -> np.ndarray:
    """Parsed UTC times (`parse_times`) as int64 microseconds since the epoch."""
    return times.to_numpy("datetime64[us]").astype(np.int64)
