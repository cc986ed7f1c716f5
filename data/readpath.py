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
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from data import rollup
from data.feedback import new_event_id
from data.m4 import POINTS_PER_BUCKET, to_times
from data.sql_values import parse_times, utc_microseconds
from data.store import (
    SORTS,
    STATUSES,
    Anomaly,
    AnomalyFilter,
    FeedbackEvent,
    Role,
    Series,
    SeriesRead,
    Status,
    Store,
)
from data.times import as_utc, utc_now
from errors import InvalidInput, NotFound

#: What a column's type says about its role, whatever the backend calls the type.
Kind = Literal["time", "bool", "number", "text"]
#: The status an anomaly's latest label gives it.
STATUS_OF: dict[bool | None, Status] = {True: "verified", False: "rejected", None: "unlabelled"}
Points = dict[str, tuple[np.ndarray, np.ndarray]]
#: Accounts: reached only through `Store.accounts()` (auth/), never by a table name
#: from a request.
ACCOUNT_TABLES = frozenset({"users", "api_tokens", "audit_log"})
#: Vigil's bookkeeping tables: never offered for exploring.
HIDDEN_TABLES = ACCOUNT_TABLES | frozenset(
    {
        "anomaly_feedback",
        "alembic_version",
        "m4_rollups",
        "m4_sources",
        "heartbeat_days",
        "heartbeat_gaps",
        "heartbeat_sensors",
        "heartbeat_bins",
    }
)
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
    if not isinstance(max_points, int) or max_points < POINTS_PER_BUCKET:
        raise InvalidInput(f"max_points must be an integer of at least {POINTS_PER_BUCKET}")
    return check_range(store, table, columns, start, end, filters)


def check_filter(filters: AnomalyFilter | None) -> AnomalyFilter:
    """The filter every backend applies, refused when a value could not mean anything."""
    filters = filters or AnomalyFilter()
    if filters.status is not None and filters.status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}")
    if filters.sort not in SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(SORTS)}")
    for name in ("min_score", "max_score"):
        value = getattr(filters, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InvalidInput(f"{name} must be a number")
    for name in ("table", "entity", "detector", "anomaly_type"):
        value = getattr(filters, name)
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"{name} must be text")
    if isinstance(filters.limit, bool) or not isinstance(filters.limit, int) or filters.limit < 1:
        raise InvalidInput("limit must be a positive integer")
    return filters


def check_write(table: str, frame: pd.DataFrame, known: Sequence[str]) -> None:
    unknown = [c for c in frame.columns if c not in known]
    if unknown:
        raise NotFound(f"unknown column '{unknown[0]}' in table '{table}'")


def check_rows(
    store: Store,
    table: str,
    columns: Sequence[str],
    start: datetime,
    end: datetime,
    chunk_rows: int,
    filters: Mapping[str, str] | None,
) -> tuple[datetime, datetime]:
    """Everything `Store.read_rows` refuses before a query; returns the range in UTC."""
    if not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise InvalidInput("chunk_rows must be a positive integer")
    return check_range(store, table, columns, start, end, filters)


def check_range(
    store: Store,
    table: str,
    columns: Sequence[str],
    start: datetime,
    end: datetime,
    filters: Mapping[str, str] | None,
) -> tuple[datetime, datetime]:
    if not columns:
        raise InvalidInput("choose at least one column to plot")
    check_columns(store, table, columns, {"metric"})
    start, end = as_utc(start), as_utc(end)
    if end <= start:
        raise InvalidInput("the end of the range must come after its start")
    if filters:
        check_columns(store, table, list(filters), {"id", "label"})
    return start, end


def rows_frame(epochs: np.ndarray, values: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Raw rows as `Store.read_rows` returns them: floats indexed by UTC time."""
    return pd.DataFrame(dict(values), index=to_times(epochs).rename("time"), dtype=float)


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
    epochs = utc_microseconds(parse_times(frame[time_name], time_name)) / 1e6
    entity = frame[entity_column].astype(str) if entity_column else ""
    return pd.DataFrame({"entity": entity, "e": epochs}, index=frame.index)


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


def anomaly_from_row(
    row: Mapping[str, Any], status: Status, anomaly_type: str | None = None
) -> Anomaly:
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
        anomaly_type=anomaly_type,
    )


def with_history(anomaly: Anomaly, history: list[FeedbackEvent]) -> Anomaly:
    """The anomaly with its label history, its status and type those of the latest event."""
    latest = history[-1] if history else None
    anomaly.history = history
    anomaly.status = STATUS_OF[latest.verified if latest else None]
    anomaly.anomaly_type = latest.anomaly_type if latest else None
    return anomaly


def check_anomaly(store: Store, anomaly: Anomaly) -> None:
    """Refuse an anomaly no backend should store: it must point at real rows and columns."""
    for name, value, most in (
        ("id", anomaly.id, 64),
        ("detector", anomaly.detector, 64),
        ("table_name", anomaly.table_name, 200),
    ):
        if not isinstance(value, str) or not value.strip() or len(value) > most:
            raise InvalidInput(f"{name} must be a non-empty string of at most {most} characters")
    if anomaly.entity_id is not None and (
        not isinstance(anomaly.entity_id, str) or len(anomaly.entity_id) > 64
    ):
        raise InvalidInput("entity_id must be a string of at most 64 characters")
    if not isinstance(anomaly.columns, list) or not anomaly.columns:
        raise InvalidInput("name at least one column of the anomaly")
    check_columns(store, anomaly.table_name, anomaly.columns, {"metric"})
    if as_utc(anomaly.end) <= as_utc(anomaly.start):
        raise InvalidInput("the end of the anomaly must come after its start")
    if anomaly.score is not None and (
        isinstance(anomaly.score, bool)
        or not isinstance(anomaly.score, int | float)
        or not math.isfinite(anomaly.score)
    ):
        raise InvalidInput("score must be a finite number or missing")


def anomaly_record(anomaly: Anomaly) -> dict[str, Any]:
    """The row of the anomalies table that stores `anomaly`."""
    return {
        "id": anomaly.id,
        "table_name": anomaly.table_name,
        "entity_id": anomaly.entity_id,
        "start": as_utc(anomaly.start),
        "end": as_utc(anomaly.end),
        "columns": ",".join(anomaly.columns),
        "score": None if anomaly.score is None else float(anomaly.score),
        "detector": anomaly.detector,
        "version": anomaly.version,
        "details": anomaly.details,
        "created": as_utc(anomaly.created),
    }


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
        reverts=row["reverts"],
    )


def stamped(event: FeedbackEvent) -> FeedbackEvent:
    """The event as stored: its creation time now and an id that sorts by it."""
    created = utc_now()
    return replace(event, event_id=new_event_id(created), created=created)


def first_line(exc: BaseException | None) -> str:
    return str(exc).strip().splitlines()[0] if exc is not None and str(exc).strip() else "no answer"
