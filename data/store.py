"""The Store contract: what every backend (SQLite, PostgreSQL, BigQuery) offers.

Pages, the API and the websockets talk only to this interface. Identifiers
that come from a request are checked against the catalog before any SQL is
built; values always travel as bound parameters.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import pandas as pd
from sqlalchemy import Table

from errors import NotFound

Role = Literal["time", "metric", "label", "id"]
Status = Literal["unlabelled", "verified", "rejected"]
STATUSES: tuple[Status, ...] = ("unlabelled", "verified", "rejected")


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str  # the backend's type name, for display
    role: Role


@dataclass(frozen=True)
class Series:
    """One column's points over a range: raw rows, or M4 picks per bucket."""

    column: str
    time: pd.DatetimeIndex  # UTC
    values: pd.Series

    def __len__(self) -> int:
        return len(self.time)


@dataclass(frozen=True)
class SeriesRead:
    table: str
    start: datetime
    end: datetime
    series: list[Series]
    rows_in_range: int
    #: (first bucket's start, bucket width), both in epoch seconds, when downsampled.
    buckets: tuple[float, float] | None

    @property
    def downsampled(self) -> bool:
        return self.buckets is not None

    @property
    def points(self) -> int:
        return sum(len(s) for s in self.series)


@dataclass(frozen=True)
class AnomalyFilter:
    table: str | None = None
    entity: str | None = None
    status: Status | None = None
    detector: str | None = None
    min_score: float | None = None
    start: datetime | None = None
    end: datetime | None = None
    limit: int = 500


@dataclass(frozen=True)
class FeedbackEvent:
    """One label decision; the latest event of an anomaly is its label."""

    anomaly_id: str
    verified: bool | None
    anomaly_type: str | None
    comment: str | None
    author: str
    idempotency_key: str
    event_id: str = ""
    created: datetime | None = None


@dataclass
class Anomaly:
    id: str
    table_name: str
    entity_id: str | None
    start: datetime
    end: datetime
    columns: list[str]
    score: float | None
    detector: str
    version: str | None
    details: str | None
    created: datetime
    status: Status = "unlabelled"
    history: list[FeedbackEvent] = field(default_factory=list)


class Store(abc.ABC):
    """One connection to one backend; safe to share between threads."""

    url: str

    # -- catalog ---------------------------------------------------------
    @abc.abstractmethod
    def tables(self) -> list[str]:
        """Tables a user may explore (Vigil's own bookkeeping tables excluded)."""

    @abc.abstractmethod
    def columns(self, table: str) -> list[ColumnInfo]:
        """Columns of `table` with their roles; NotFound for an unknown table."""

    def time_column(self, table: str) -> str:
        """The column that orders a table in time; NotFound if it has none."""
        cols = self.columns(table)
        times = [c.name for c in cols if c.role == "time"]
        if not times:
            raise NotFound(f"table '{table}' has no time column to plot against")
        return times[0]

    def entity_column(self, table: str) -> str | None:
        """The id column that splits a table into one series per entity, if any."""
        time = self.time_column(table)
        ids = [c.name for c in self.columns(table) if c.role == "id" and c.name != time]
        return ids[0] if ids else None

    # -- series ----------------------------------------------------------
    @abc.abstractmethod
    def time_range(
        self, table: str, filters: Mapping[str, str] | None = None
    ) -> tuple[datetime, datetime] | None:
        """First and last time in the table (None when it is empty)."""

    @abc.abstractmethod
    def distinct(self, table: str, column: str, limit: int = 1000) -> list[str]:
        """Values of an id column, for pickers."""

    @abc.abstractmethod
    def read(
        self,
        table: str,
        columns: Sequence[str],
        start: datetime,
        end: datetime,
        max_points: int,
        filters: Mapping[str, str] | None = None,
    ) -> SeriesRead:
        """About `max_points` points per column (never more than twice), chosen by M4.

        Raw rows when the range holds at most `max_points`; otherwise per time
        bucket the first, last, minimum and maximum, from the rollup pyramid
        or the raw rows. `SeriesRead.buckets` says which buckets were used.
        """

    @abc.abstractmethod
    def rebuild_rollups(self, table: str, progress: Callable[[int], None] | None = None) -> int:
        """Recompute the table's M4 pyramid from its rows; returns rows read."""

    @abc.abstractmethod
    def latest(self, table: str, entity_column: str, columns: Sequence[str]) -> pd.DataFrame:
        """The most recent row of every entity: one row per entity."""

    @abc.abstractmethod
    def rows(
        self,
        table: str,
        where: Mapping[str, object] | None = None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        columns: Sequence[str] | None = None,
        limit: int = 10_000,
    ) -> pd.DataFrame:
        """Rows of `table` whose columns equal `where`'s values, as stored (no M4).

        With `start`/`end`, only rows in [start, end) of its time column. Oldest
        first (tables without a time column: by their first column); at most
        `limit` rows; all columns unless `columns` names some. Names are checked
        against the catalog; values are bound as the column's type (a `date`
        for a DATE column), InvalidInput when they do not fit it. Times come
        back as UTC Timestamps, dates as `date`s.
        """

    # -- anomalies and feedback -------------------------------------------
    @abc.abstractmethod
    def anomalies(self, filters: AnomalyFilter | None = None) -> list[Anomaly]:
        """Anomalies matching `filters`, newest first, with their current status."""

    @abc.abstractmethod
    def anomaly(self, anomaly_id: str) -> Anomaly:
        """One anomaly with its label history; NotFound for an unknown id."""

    @abc.abstractmethod
    def status_counts(self, table: str | None = None) -> dict[Status, int]:
        """How many anomalies are unlabelled, verified and rejected."""

    @abc.abstractmethod
    def add_feedback(self, event: FeedbackEvent) -> FeedbackEvent:
        """Append a label event; a repeated idempotency key returns the first event."""

    # -- writes ----------------------------------------------------------
    @abc.abstractmethod
    def write(self, table: str, frame: pd.DataFrame) -> int:
        """Insert rows in batches, all or nothing; returns the number written."""

    @abc.abstractmethod
    def create_schema(self) -> tuple[str | None, str]:
        """Create or upgrade Vigil's own tables; returns the schema versions before and after."""

    @abc.abstractmethod
    def create_table(self, table: Table) -> None:
        """Create a table described outside Vigil's schema (imports, demo data)."""

    @abc.abstractmethod
    def delete_all(self, table: str) -> None:
        """Remove every row of a table (regenerating the demo)."""

    @abc.abstractmethod
    def is_empty(self) -> bool:
        """True when Vigil's tables hold no readings and no anomalies."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""
