"""The Store contract: what every backend (SQLite, PostgreSQL, BigQuery) offers.

Pages, the API and the websockets talk only to this interface. Identifiers
that come from a request are checked against the catalog before any SQL is
built; values always travel as bound parameters.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

import pandas as pd
from sqlalchemy import Table

from errors import NotFound

if TYPE_CHECKING:
    from data.health import SensorHealth

Role = Literal["time", "metric", "label", "id"]
Status = Literal["unlabelled", "verified", "rejected"]
STATUSES: tuple[Status, ...] = ("unlabelled", "verified", "rejected")
#: Orders of the review queue: by start (newest first, oldest first) or by score.
Sort = Literal["newest", "oldest", "highest", "lowest"]
SORTS: tuple[Sort, ...] = ("newest", "oldest", "highest", "lowest")


class Records(Protocol):
    """Row-by-row reads and writes of tables with a primary key (data/records.py)."""

    def rows(
        self,
        table: str,
        where: Mapping[str, Any] | None,
        order_by: Sequence[str] | None,
        limit: int,
    ) -> list[dict[str, Any]]: ...

    def insert(self, table: str, values: Mapping[str, Any]) -> dict[str, Any]: ...

    def update(
        self, table: str, key: Mapping[str, Any], values: Mapping[str, Any]
    ) -> dict[str, Any]: ...

    def delete(self, table: str, key: Mapping[str, Any]) -> None: ...


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
    """The review queue's filters; `start`/`end` keep anomalies overlapping that range,
    `anomaly_type` those whose current label has that type."""

    table: str | None = None
    entity: str | None = None
    status: Status | None = None
    detector: str | None = None
    anomaly_type: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    start: datetime | None = None
    end: datetime | None = None
    sort: Sort = "newest"
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
    #: The event this one undid (its values are the label from before that event).
    reverts: str | None = None


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
    #: The type of the current label (its latest event), if it names one.
    anomaly_type: str | None = None
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

    #: Rows per frame of `read_rows`.
    ROW_CHUNK = 50_000

    @abc.abstractmethod
    def read_rows(
        self,
        table: str,
        columns: Sequence[str],
        start: datetime,
        end: datetime,
        filters: Mapping[str, str] | None = None,
        chunk_rows: int = ROW_CHUNK,
    ) -> Iterator[pd.DataFrame]:
        """Every raw row in [start, end], oldest first, in frames of at most `chunk_rows`.

        For jobs that need each row (anomaly detection) where `read` would
        downsample. Frames are indexed by UTC time and hold `columns` as floats
        (NaN where a value is missing); memory stays bounded by the chunk size.
        Names are checked when called, before the first chunk is asked for.
        """

    @abc.abstractmethod
    def rebuild_rollups(self, table: str, progress: Callable[[int], None] | None = None) -> int:
        """Recompute the table's M4 pyramid from its rows; returns rows read."""

    @abc.abstractmethod
    def latest(self, table: str, entity_column: str, columns: Sequence[str]) -> pd.DataFrame:
        """The most recent row of every entity: one row per entity."""

    # -- anomalies and feedback -------------------------------------------
    @abc.abstractmethod
    def anomalies(self, filters: AnomalyFilter | None = None) -> list[Anomaly]:
        """Anomalies matching `filters` in the filter's order, with their current label."""

    @abc.abstractmethod
    def anomaly(self, anomaly_id: str) -> Anomaly:
        """One anomaly with its label history; NotFound for an unknown id."""

    @abc.abstractmethod
    def status_counts(self, filters: AnomalyFilter | None = None) -> dict[Status, int]:
        """How many anomalies matching every filter but the status are in each status."""

    @abc.abstractmethod
    def add_anomaly(self, anomaly: Anomaly) -> Anomaly:
        """Store one anomaly (an analyst's, say); an id already stored returns that one."""

    @abc.abstractmethod
    def add_feedback(self, event: FeedbackEvent) -> FeedbackEvent:
        """Append a label event; a repeated idempotency key returns the first event."""

    @abc.abstractmethod
    def feedback_events(self) -> list[FeedbackEvent]:
        """Every label event, oldest first (a retried key counted once): for exports."""

    @abc.abstractmethod
    def anomaly_types(self) -> list[str]:
        """The anomaly types labels have used, most used first: the form's suggestions."""

    # -- records: reference tables row by row (checks in data/records.py) -------
    @abc.abstractmethod
    def rows(
        self,
        table: str,
        where: Mapping[str, Any] | None = None,
        order_by: Sequence[str] | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """Rows of a table with a primary key: equality filters (None matches an empty
        column), `order_by` names ('-name' descending; the key breaks ties)."""

    @abc.abstractmethod
    def insert_row(self, table: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """Add one row whole, or refuse it (InvalidInput: a bad value, a key already
        taken; NotFound: an unknown table or column); returns the row as stored."""

    @abc.abstractmethod
    def update_row(
        self, table: str, key: Mapping[str, Any], values: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Change non-key columns of the row named by its whole primary key; NotFound
        when there is none. Returns the row as stored."""

    @abc.abstractmethod
    def delete_row(self, table: str, key: Mapping[str, Any]) -> None:
        """Remove the row named by its whole primary key; NotFound when there is none."""

    @abc.abstractmethod
    def accounts(self) -> Records:
        """The records API (the same checks) over the account tables of auth/ (users,
        api_tokens, audit_log), which `tables()`, the reads and `rows()` never reach."""

    # -- sensor health (data/health.py) ------------------------------------------
    @abc.abstractmethod
    def sensor_health(
        self,
        now: datetime,
        silence_minutes: float,
        sensor: str | None = None,
        limit: int = 100,
    ) -> SensorHealth:
        """Seed 004's questions at `now`, computed in the store from the heartbeat
        summary: over every sensor, or one (NotFound for a sensor never seen)."""

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
