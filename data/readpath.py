"""The backend-neutral halves of the Store methods, shared by every backend.

A backend runs queries; what comes before them (checking names and ranges
against the catalog, deciding whether the rollup pyramid can answer a read)
and after them (merging rollup points with raw ones, building the pyramid's
coarser levels, turning rows into Series, Anomaly and FeedbackEvent) is the
same on SQLite, PostgreSQL and BigQuery, and lives here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from data import rollup
from data.feedback import new_event_id
from data.m4 import POINTS_PER_BUCKET, to_times
from data.sql_values import parse_times
from data.store import Anomaly, FeedbackEvent, Role, Series, SeriesRead, Status, Store
from data.times import as_utc, utc_now
from errors import InvalidInput, NotFound

#: What a column's type says about its role, whatever the backend calls the type.
Kind = Literal["time", "bool", "number", "text"]
#: The status an anomaly's latest label gives it.
STATUS_OF: dict[bool | None, Status] = {True: "verified", False: "rejected", None: "unlabelled"}
Points = dict[str, tuple[np.ndarray, np.ndarray]]
#: Vigil's bookkeeping tables: never offered for exploring.
HIDDEN_TABLES = frozenset({"anomaly_feedback", "alembic_version", "m4_rollups", "m4_sources"})
#: Readings tables checked to tell whether the store was ever filled.
FILL_MARKERS = ("anomalies", "machine_readings", "battery_readings", "heartbeats")


# -- catalog ----------------------------------------------------------------
def role(name: str, kind: Kind, primary: set[str], time_name: str, label_name: str) -> Role:
    """A column's role from its name and the kind of its type."""
    if name == time_name or kind == "time":
        return "time"
    if name in primary or name == "id" or name.endswith("_id"):
        return "id"
    if name == label_name or kind == "bool":
        return "label"
    return "metric" if kind == "number" else "label"


def check_columns(store: Store, table: str, names: Sequence[str], roles: set[str]) -> None:
    """NotFound for a column the table lacks, InvalidInput for one of the wrong role."""
    known = {c.name: c.role for c in store.columns(table)}
    for name in names:
        if not isinstance(name, str) or name not in known:
            raise NotFound(f"unknown column '{name}' in table '{table}'")
        if known[name] not in roles:
            wanted = " or ".join(sorted(roles))
            raise InvalidInput(
                f"column '{name}' of table '{table}' is a {known[name]} column, "
                f"not a {wanted} column"
            )


def check_read(
    store: Store,
    table: str,
    columns: Sequence[str],
    start: datetime,
    end: datetime,
    max_points: int,
    filters: Mapping[str, str] | None,
) -> tuple[datetime, datetime]:
    """Everything `Store.read` refuses before a query; returns the range in UTC."""
    if not columns:
        raise InvalidInput("choose at least one column to plot")
    check_columns(store, table, columns, {"metric"})
    start, end = as_utc(start), as_utc(end)
    if end <= start:
        raise InvalidInput("the end of the range must come after its start")
    if not isinstance(max_points, int) or max_points < POINTS_PER_BUCKET:
        raise InvalidInput(f"max_points must be an integer of at least {POINTS_PER_BUCKET}")
    if filters:
        check_columns(store, table, list(filters), {"id", "label"})
    return start, end


def check_write(table: str, frame: pd.DataFrame, known: Sequence[str]) -> None:
    unknown = [c for c in frame.columns if c not in known]
    if unknown:
        raise NotFound(f"unknown column '{unknown[0]}' in table '{table}'")


#: Most rows one `Store.rows` call returns.
MAX_ROWS = 100_000


def check_rows(
    store: Store,
    table: str,
    where: Mapping[str, object] | None,
    start: datetime | None,
    end: datetime | None,
    columns: Sequence[str] | None,
    limit: int,
) -> tuple[list[str], str | None, datetime | None, datetime | None]:
    """What `Store.rows` refuses before a query; returns (columns, time column, start, end)."""
    infos = store.columns(table)
    known = [c.name for c in infos]
    names = list(columns) if columns is not None else known
    if not names:
        raise InvalidInput("choose at least one column")
    check_columns(store, table, [*names, *(where or {})], {"time", "metric", "label", "id"})
    roles = {c.name: c.role for c in infos}
    for name, value in (where or {}).items():
        _check_value(name, roles[name], value)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit <= MAX_ROWS:
        raise InvalidInput(f"limit must be an integer from 1 to {MAX_ROWS:,}")
    times = [c.name for c in infos if c.role == "time"]
    time_name = times[0] if times else None
    if (start is not None or end is not None) and time_name is None:
        raise InvalidInput(f"table '{table}' has no time column to select a range of")
    start = as_utc(start) if start is not None else None
    end = as_utc(end) if end is not None else None
    if start is not None and end is not None and end <= start:
        raise InvalidInput("the end of the range must come after its start")
    return names, time_name, start, end


def _check_value(name: str, role: Role, value: object) -> None:
    """The same refusal on every backend for a value that cannot equal the column's."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    fits = {
        "time": isinstance(value, date),
        "metric": number,
    }.get(role, isinstance(value, str | int | float | bool))
    if value is None or not fits:
        expected = {"time": "a date or time", "metric": "a number"}.get(role, "text or a number")
        raise InvalidInput(f"the value for column '{name}' must be {expected}, got {value!r:.40}")


def bucket_width(start: datetime, end: datetime, max_points: int) -> float:
    """Seconds per chart bucket: M4 keeps four points per bucket."""
    return (end - start).total_seconds() / max(1, max_points // POINTS_PER_BUCKET)


# -- the rollup pyramid (data/rollup.py) ---------------------------------------
def rollup_entity(store: Store, table: str, filters: Mapping[str, str] | None) -> str | None:
    """The rollup entity key a read can use, or None when rollups cannot answer it."""
    entity_column = store.entity_column(table)
    filters = dict(filters or {})
    if entity_column is None:
        return "" if not filters else None
    if set(filters) == {entity_column}:
        return str(filters[entity_column])
    return None


def rollup_shape(store: Store, table: str) -> tuple[str, str | None, list[str]] | None:
    """(time column, entity column, metric columns), or None when nothing rolls up."""
    from data.schema import is_series

    if not is_series(table):
        return None
    roles = {c.name: c.role for c in store.columns(table)}
    metrics = [name for name, r in roles.items() if r == "metric"]
    if not metrics or "time" not in roles.values():
        return None
    return store.time_column(table), store.entity_column(table), metrics


def written_rows(frame: pd.DataFrame, time_name: str, entity_column: str | None) -> pd.DataFrame:
    """(entity, e) of the rows a write holds: e in epoch seconds, entity '' without one."""
    epochs = parse_times(frame[time_name], time_name).dt.as_unit("us").astype("int64") / 1e6
    entity = frame[entity_column].astype(str) if entity_column else ""
    return pd.DataFrame({"entity": entity, "e": epochs.to_numpy(float)}, index=frame.index)


def written_span(
    frame: pd.DataFrame, time_name: str, entity_column: str | None
) -> tuple[list[str], float, float]:
    """The entities a write touched and its first and last time in epoch seconds."""
    rows = written_rows(frame, time_name, entity_column)
    return sorted(rows["entity"].unique()), float(rows["e"].min()), float(rows["e"].max())


def whole_hours(first: float, last: float) -> tuple[int, int]:
    """[lo, hi): the whole coarsest buckets around [first, last]."""
    lo = math.floor(first / rollup.COARSEST) * rollup.COARSEST
    hi = (math.floor(last / rollup.COARSEST) + 1) * rollup.COARSEST
    return lo, hi


def stored_levels(finest: int) -> list[int]:
    return [level for level in rollup.LEVELS if level >= finest]


def pyramid(finest_rows: pd.DataFrame, finest: int) -> dict[int, pd.DataFrame]:
    """Every stored level's rollup rows from those of the finest level."""
    levels = {finest: finest_rows}
    for finer, level in itertools.pairwise(stored_levels(finest)):
        levels[level] = rollup.coarsen(levels[finer], level // finer)
    return levels


def rollup_grid(lo: float, width: float, level: int) -> tuple[float, float]:
    """(origin, step) of chart buckets read from rollups of `level`: aligned whole
    multiples of it, never coarser than the screen asked for. The grid
    `rollup.combine` uses, known here before the query that needs it."""
    return math.floor(lo / level) * level, math.floor(width / level) * level


# -- rows to results ------------------------------------------------------------
def series_read(
    table: str,
    start: datetime,
    end: datetime,
    points: Points,
    rows: int,
    buckets: tuple[float, float] | None,
) -> SeriesRead:
    series = []
    for column, (epochs, values) in points.items():
        times = to_times(epochs)
        series.append(Series(column, times, pd.Series(values, index=times)))
    return SeriesRead(table, start, end, series, rows, buckets)


def anomaly_from_row(row: Mapping[str, Any], status: Status) -> Anomaly:
    return Anomaly(
        id=row["id"],
        table_name=row["table_name"],
        entity_id=row["entity_id"],
        start=as_utc(row["start"]),
        end=as_utc(row["end"]),
        columns=[c for c in (row["columns"] or "").split(",") if c],
        score=row["score"],
        detector=row["detector"],
        version=row["version"],
        details=row["details"],
        created=as_utc(row["created"]),
        status=status,
    )


def event_from_row(row: Mapping[str, Any]) -> FeedbackEvent:
    return FeedbackEvent(
        anomaly_id=row["anomaly_id"],
        verified=row["verified"],
        anomaly_type=row["anomaly_type"],
        comment=row["comment"],
        author=row["author"],
        idempotency_key=row["idempotency_key"],
        event_id=row["event_id"],
        created=as_utc(row["created"]),
    )


def stamped(event: FeedbackEvent) -> FeedbackEvent:
    """The event as stored: its creation time now and an id that sorts by it."""
    created = utc_now()
    return replace(event, event_id=new_event_id(created), created=created)


def first_line(exc: BaseException | None) -> str:
    return str(exc).strip().splitlines()[0] if exc is not None and str(exc).strip() else "no answer"
