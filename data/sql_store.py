"""The Store on SQL databases through SQLAlchemy 2: SQLite and PostgreSQL.

Reflected `Table` objects carry the identifiers, so names that come from a
request reach SQL only after the catalog has confirmed them, and SQLAlchemy
quotes them; values are bound parameters.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Engine,
    MetaData,
    Table,
    and_,
    case,
    create_engine,
    event,
    func,
    inspect,
    literal,
    select,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.sql import sqltypes

from data import migrate, readpath, schema, sql_bulk, sql_health
from data.catalog import Catalog
from data.feedback import check_feedback
from data.health import SensorHealth
from data.m4 import m4_query, unfold
from data.readpath import FILL_MARKERS, HIDDEN_TABLES
from data.sql_records import SQLRecords
from data.sql_rollups import SQLRollups
from data.sql_values import arrays, number_arrays
from data.sqlfuncs import epoch_seconds
from data.store import (
    STATUSES,
    Anomaly,
    AnomalyFilter,
    ColumnInfo,
    FeedbackEvent,
    SeriesRead,
    Status,
    Store,
)
from data.times import as_utc
from errors import InvalidInput, NotFound, Unavailable

log = logging.getLogger(__name__)

WRITE_BATCH = 10_000


def _sqlite_file(url: str) -> Path | None:
    prefix = "sqlite:///"
    if url.startswith(prefix) and ":memory:" not in url:
        return Path(url[len(prefix) :])
    return None


def _prepare_sqlite_path(path: Path) -> None:
    """Create the store's folder, or explain why it cannot be used."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Unavailable(
            f"cannot create the folder for the SQLite store {path}: {exc.strerror}. "
            "Point 'backend' (or VIGIL_BACKEND) at a writable path."
        ) from None
    if path.exists() and not (path.is_file() and _readable_writable(path)):
        raise Unavailable(
            f"the SQLite store {path} cannot be read and written by this user. "
            "Fix its permissions or point 'backend' (or VIGIL_BACKEND) elsewhere."
        )


def driver_url(url: str) -> URL:
    """PostgreSQL through psycopg2, the driver Vigil ships (SQLAlchemy 2.1 picks psycopg 3)."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed


def _readable_writable(path: Path) -> bool:
    return os.access(path, os.R_OK | os.W_OK)


def _kind(typ: Any) -> readpath.Kind:
    """What a SQLAlchemy type says about a column's role."""
    if isinstance(typ, sqltypes.DateTime | sqltypes.Date):
        return "time"
    if isinstance(typ, sqltypes.Boolean):
        return "bool"
    if isinstance(typ, sqltypes.Integer | sqltypes.Numeric | sqltypes.Float):
        return "number"
    return "text"


class SQLStore(Store):
    """SQLite (the embedded default) or PostgreSQL, one engine per process."""

    def __init__(self, url: str, *, time_column: str = "time", label_column: str = "label"):
        self.url = url
        self._time_name = time_column
        self._label_name = label_column
        path = _sqlite_file(url)
        if path is not None:
            _prepare_sqlite_path(path)
            self.engine: Engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 15}
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(
                driver_url(url), pool_pre_ping=True, pool_size=5, max_overflow=10
            )
        self.rollups = SQLRollups(self)
        self._records_api = SQLRecords(self)
        self._accounts_api = SQLRecords(self, accounts=True)
        self._catalog: Catalog[Table] = Catalog(self._table_names, self._reflect)
        self._infos: dict[str, tuple[Table, list[ColumnInfo]]] = {}

    # -- connections and errors -------------------------------------------
    @contextmanager
    def _connect(self, write: bool = False) -> Iterator[Connection]:
        """A connection whose driver failures surface as `Unavailable`."""
        try:
            with self.engine.begin() if write else self.engine.connect() as conn:
                yield conn
        except sa_exc.OperationalError as exc:
            raise Unavailable(f"store unavailable: {readpath.first_line(exc.orig)}") from exc
        except sa_exc.InterfaceError as exc:
            raise Unavailable(f"store unavailable: {readpath.first_line(exc.orig)}") from exc

    # -- catalog ----------------------------------------------------------
    def _table_names(self) -> list[str]:
        with self._connect() as conn:
            return inspect(conn).get_table_names()

    def _reflect(self, name: str) -> Table:
        with self._connect() as conn:
            return Table(name, MetaData(), autoload_with=conn)

    def _table(self, name: str, accounts: bool = False) -> Table:
        """A table a request may name, or with `accounts` one of the account tables only."""
        return self._catalog.schema(name, accounts)

    def tables(self) -> list[str]:
        return self._catalog.visible()

    def columns(self, table: str) -> list[ColumnInfo]:
        tbl = self._table(table)
        known = self._infos.get(table)
        if known is None or known[0] is not tbl:  # computed once per reflected table
            known = (tbl, self._describe(tbl))
            self._infos[table] = known
        return list(known[1])

    def _describe(self, tbl: Table) -> list[ColumnInfo]:
        """Every write and read asks for this; `str(col.type)` builds a dialect each call."""
        primary = {c.name for c in tbl.primary_key.columns}
        infos = []
        for col in tbl.columns:
            kind = _kind(col.type)
            role = readpath.role(col.name, kind, primary, self._time_name, self._label_name)
            infos.append(ColumnInfo(col.name, str(col.type), role))
        return infos

    def _filter_clause(
        self, table: Table, filters: Mapping[str, str] | None
    ) -> list[ColumnElement]:
        if not filters:
            return []
        readpath.check_columns(self, table.name, list(filters), {"id", "label"})
        return [table.c[k] == v for k, v in filters.items()]

    # -- series -----------------------------------------------------------
    def _bind_time(self, value: datetime) -> datetime:
        value = as_utc(value)
        # SQLite stores naive UTC text; an aware value would keep its offset digits.
        return value.replace(tzinfo=None) if self.engine.dialect.name == "sqlite" else value

    def time_range(
        self, table: str, filters: Mapping[str, str] | None = None
    ) -> tuple[datetime, datetime] | None:
        tbl = self._table(table)
        t = tbl.c[self.time_column(table)]
        query = select(func.min(t), func.max(t)).where(*self._filter_clause(tbl, filters))
        with self._connect() as conn:
            first, last = conn.execute(query).one()
        if first is None:
            return None
        return as_utc(first), as_utc(last)

    def distinct(self, table: str, column: str, limit: int = 1000) -> list[str]:
        tbl = self._table(table)
        readpath.check_columns(self, table, [column], {"id", "label"})
        values = _values_of(tbl.c[column])
        query = select(values.c.v).where(values.c.v.is_not(None)).limit(limit)
        with self._connect() as conn:
            return [str(v) for v in conn.execute(query).scalars()]

    def read(
        self,
        table: str,
        columns: Sequence[str],
        start: datetime,
        end: datetime,
        max_points: int,
        filters: Mapping[str, str] | None = None,
    ) -> SeriesRead:
        tbl = self._table(table)
        start, end = readpath.check_read(self, table, columns, start, end, max_points, filters)
        t = tbl.c[self.time_column(table)]
        where = and_(
            t >= self._bind_time(start),
            t <= self._bind_time(end),
            *self._filter_clause(tbl, filters),
        )
        values = [tbl.c[c] for c in columns]

        def count_rows() -> int:
            return conn.execute(select(func.count()).select_from(tbl).where(where)).scalar_one()

        with self._connect() as conn:
            # Raw rows or M4? Counting past max_points would scan the whole range.
            upto = select(literal(1)).select_from(tbl).where(where).limit(max_points + 1)
            few = conn.execute(select(func.count()).select_from(upto.subquery())).scalar_one()
            if few <= max_points:
                query = select(epoch_seconds(t).label("e"), *values).where(where).order_by(t)
                got = number_arrays(conn.execute(query), ["e", *columns])
                points = {c: (got["e"], got[c]) for c in columns}
                return readpath.series_read(table, start, end, points, few, None)
            width = readpath.bucket_width(start, end, max_points)
            found = self.rollups.read(conn, tbl, columns, filters, start, end, width, count_rows)
            if found is None:
                query = m4_query(tbl, t, values, where, start.timestamp(), width)
                result = conn.execute(query)
                frame = pd.DataFrame(result.all(), columns=list(result.keys()))
                points = {c: unfold(frame, i) for i, c in enumerate(columns)}
                found = points, (start.timestamp(), width), count_rows()
        points, buckets, rows = found
        return readpath.series_read(table, start, end, points, rows, buckets)

    def read_rows(
        self,
        table: str,
        columns: Sequence[str],
        start: datetime,
        end: datetime,
        filters: Mapping[str, str] | None = None,
        chunk_rows: int = Store.ROW_CHUNK,
    ) -> Iterator[pd.DataFrame]:
        tbl = self._table(table)
        start, end = readpath.check_rows(self, table, columns, start, end, chunk_rows, filters)
        t = tbl.c[self.time_column(table)]
        query = (
            select(epoch_seconds(t).label("e"), *[tbl.c[c] for c in columns])
            .where(
                t >= self._bind_time(start),
                t <= self._bind_time(end),
                *self._filter_clause(tbl, filters),
            )
            .order_by(t)
        )
        return self._stream(query, list(columns), chunk_rows)

    def _stream(self, query: Any, columns: list[str], chunk_rows: int) -> Iterator[pd.DataFrame]:
        # A server-side cursor on PostgreSQL; SQLite's cursor steps through rows as fetched.
        with self._connect() as conn:
            options = {"stream_results": True, "max_row_buffer": chunk_rows}
            for rows in conn.execution_options(**options).execute(query).partitions(chunk_rows):
                got = arrays(rows, ["e", *columns])
                yield readpath.rows_frame(got["e"], {c: got[c] for c in columns})

    def rebuild_rollups(self, table: str, progress: Callable[[int], None] | None = None) -> int:
        if table == "heartbeats":
            self._table(table)
            with self._connect(write=True) as conn:
                return sql_health.rebuild_summary(conn, progress)
        return self.rollups.rebuild(table, progress)

    def latest(self, table: str, entity_column: str, columns: Sequence[str]) -> pd.DataFrame:
        tbl = self._table(table)
        readpath.check_columns(self, table, [entity_column], {"id"})
        readpath.check_columns(self, table, columns, {"metric", "label"})
        t = tbl.c[self.time_column(table)]
        ent = tbl.c[entity_column]
        # One backward index seek per entity, where GROUP BY would read every row.
        values = _values_of(ent)
        newest = select(func.max(t)).where(ent == values.c.v).scalar_subquery()
        last = (
            select(values.c.v.label("entity"), newest.label("at"))
            .where(values.c.v.is_not(None))
            .subquery()
        )
        query = (
            select(ent, t, *[tbl.c[c] for c in columns])
            .join(last, and_(ent == last.c.entity, t == last.c.at))
            .order_by(ent)
        )
        with self._connect() as conn:
            frame = pd.DataFrame(
                conn.execute(query).all(), columns=[entity_column, "time", *columns]
            )
        frame["time"] = pd.to_datetime(frame["time"], utc=True)
        return frame.drop_duplicates(subset=[entity_column], keep="last").reset_index(drop=True)

    # -- anomalies and feedback -------------------------------------------
    def _latest_labels(self) -> Any:
        fb = schema.anomaly_feedback
        ranked = select(
            fb.c.anomaly_id,
            fb.c.verified,
            fb.c.anomaly_type,
            func.row_number()
            .over(
                partition_by=fb.c.anomaly_id, order_by=(fb.c.created.desc(), fb.c.event_id.desc())
            )
            .label("rank"),
        ).subquery("ranked")
        return (
            select(ranked.c.anomaly_id, ranked.c.verified, ranked.c.anomaly_type)
            .where(ranked.c.rank == 1)
            .subquery("label")
        )

    def _anomaly_query(self, filters: AnomalyFilter) -> tuple[Any, ColumnElement]:
        """Anomalies with their current label, every filter but the status applied."""
        an = schema.anomalies
        label = self._latest_labels()
        status = case(
            (label.c.verified == literal(True, Boolean), "verified"),
            (label.c.verified == literal(False, Boolean), "rejected"),
            else_="unlabelled",
        ).label("status")
        query = select(an, status, label.c.anomaly_type.label("label_type")).select_from(
            an.outerjoin(label, label.c.anomaly_id == an.c.id)
        )
        for value, condition in (
            (filters.table, lambda v: an.c.table_name == v),
            (filters.entity, lambda v: an.c.entity_id == v),
            (filters.detector, lambda v: an.c.detector == v),
            (filters.anomaly_type, lambda v: label.c.anomaly_type == v),
            (filters.min_score, lambda v: an.c.score >= v),
            (filters.max_score, lambda v: an.c.score <= v),
            (filters.start, lambda v: an.c.end >= self._bind_time(v)),
            (filters.end, lambda v: an.c.start <= self._bind_time(v)),
        ):
            if value is not None and value != "":
                query = query.where(condition(value))
        return query, status

    def anomalies(self, filters: AnomalyFilter | None = None) -> list[Anomaly]:
        an = schema.anomalies
        filters = readpath.check_filter(filters)
        query, status = self._anomaly_query(filters)
        if filters.status:
            query = query.where(status == filters.status)
        order = {
            "newest": (an.c.start.desc(), an.c.id),
            "oldest": (an.c.start, an.c.id),
            "highest": (an.c.score.desc().nulls_last(), an.c.start.desc(), an.c.id),
            "lowest": (an.c.score.nulls_last(), an.c.start.desc(), an.c.id),
        }[filters.sort]
        query = query.order_by(*order).limit(filters.limit)
        with self._connect() as conn:
            return [
                readpath.anomaly_from_row(r._mapping, r.status, r.label_type)
                for r in conn.execute(query)
            ]

    def anomaly(self, anomaly_id: str) -> Anomaly:
        an, fb = schema.anomalies, schema.anomaly_feedback
        if not isinstance(anomaly_id, str):
            raise NotFound(f"unknown anomaly '{anomaly_id}'")
        with self._connect() as conn:
            row = conn.execute(select(an).where(an.c.id == anomaly_id)).first()
            if row is None:
                raise NotFound(f"unknown anomaly '{anomaly_id}'")
            history = conn.execute(
                select(fb)
                .where(fb.c.anomaly_id == anomaly_id)
                .order_by(fb.c.created, fb.c.event_id)
            ).all()
        found = readpath.anomaly_from_row(row._mapping, "unlabelled")
        return readpath.with_history(found, [readpath.event_from_row(h._mapping) for h in history])

    def status_counts(self, filters: AnomalyFilter | None = None) -> dict[Status, int]:
        query, _ = self._anomaly_query(readpath.check_filter(filters))
        sub = query.subquery()
        counted = select(sub.c.status, func.count()).group_by(sub.c.status)
        counts: dict[Status, int] = dict.fromkeys(STATUSES, 0)
        with self._connect() as conn:
            for name, n in conn.execute(counted):
                counts[name] = n
        return counts

    def add_anomaly(self, anomaly: Anomaly) -> Anomaly:
        readpath.check_anomaly(self, anomaly)
        row = readpath.anomaly_record(anomaly)
        row.update({k: self._bind_time(row[k]) for k in ("start", "end", "created")})
        try:
            with self._connect(write=True) as conn:
                conn.execute(schema.anomalies.insert().values(**row))
        except sa_exc.IntegrityError:
            pass  # stored already (a retried request): the stored one is the answer
        return self.anomaly(anomaly.id)

    def add_feedback(self, event: FeedbackEvent) -> FeedbackEvent:
        check_feedback(event)
        fb = schema.anomaly_feedback
        with self._connect(write=True) as conn:
            existing = conn.execute(
                select(fb).where(fb.c.idempotency_key == event.idempotency_key)
            ).first()
            if existing is not None:
                return readpath.event_from_row(existing._mapping)
            known = conn.execute(
                select(schema.anomalies.c.id).where(schema.anomalies.c.id == event.anomaly_id)
            ).first()
            if known is None:
                raise NotFound(f"unknown anomaly '{event.anomaly_id}'")
            stored = readpath.stamped(event)
            row = {**stored.__dict__, "created": self._bind_time(stored.created)}
            try:
                conn.execute(fb.insert().values(**row))
            except sa_exc.IntegrityError:
                conn.rollback()
                return self.add_feedback(event)  # a concurrent retry won the race
        return stored

    def feedback_events(self) -> list[FeedbackEvent]:
        fb = schema.anomaly_feedback
        with self._connect() as conn:
            rows = conn.execute(select(fb).order_by(fb.c.created, fb.c.event_id)).all()
        return [readpath.event_from_row(r._mapping) for r in rows]

    def anomaly_types(self) -> list[str]:
        fb = schema.anomaly_feedback
        used = func.count().label("used")
        query = (
            select(fb.c.anomaly_type, used)
            .where(fb.c.anomaly_type.is_not(None))
            .group_by(fb.c.anomaly_type)
            .order_by(used.desc(), fb.c.anomaly_type)
        )
        with self._connect() as conn:
            return [name for name, _ in conn.execute(query)]

    # -- records: reference tables row by row (data/sql_records.py) --------
    def rows(
        self,
        table: str,
        where: Mapping[str, Any] | None = None,
        order_by: Sequence[str] | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        return self._records_api.rows(table, where, order_by, limit)

    def insert_row(self, table: str, values: Mapping[str, Any]) -> dict[str, Any]:
        return self._records_api.insert(table, values)

    def accounts(self) -> SQLRecords:
        return self._accounts_api

    def update_row(
        self, table: str, key: Mapping[str, Any], values: Mapping[str, Any]
    ) -> dict[str, Any]:
        return self._records_api.update(table, key, values)

    def delete_row(self, table: str, key: Mapping[str, Any]) -> None:
        self._records_api.delete(table, key)

    # -- sensor health (data/sql_health.py) --------------------------------
    def sensor_health(
        self,
        now: datetime,
        silence_minutes: float,
        sensor: str | None = None,
        limit: int = 100,
    ) -> SensorHealth:
        with self._connect() as conn:
            return sql_health.report(conn, as_utc(now), silence_minutes, sensor, limit)

    # -- writes -----------------------------------------------------------
    def write(self, table: str, frame: pd.DataFrame) -> int:
        tbl = self._table(table)
        readpath.check_write(table, frame, list(tbl.c.keys()))
        try:
            with self._connect(write=True) as conn:
                for i in range(0, len(frame), WRITE_BATCH):
                    sql_bulk.insert(conn, tbl, frame.iloc[i : i + WRITE_BATCH])
                self.rollups.refresh(conn, tbl, frame)
                if table == "heartbeats":
                    sql_health.refresh(conn, frame)
        except sa_exc.StatementError as exc:  # connection failures became Unavailable already
            reason = readpath.first_line(getattr(exc, "orig", None) or exc)
            raise InvalidInput(
                f"rows refused by table '{table}', nothing written: {reason}"
            ) from None
        return len(frame)

    def create_schema(self) -> tuple[str | None, str]:
        """Create or upgrade Vigil's tables (Alembic); returns the revisions before and after."""
        with self._connect(write=True) as conn:
            revisions = migrate.upgrade(conn)
        self._catalog.refresh()
        return revisions

    def create_table(self, table: Table) -> None:
        with self._connect(write=True) as conn:
            table.create(conn, checkfirst=True)
        self._catalog.refresh()

    def delete_all(self, table: str) -> None:
        tbl = self._table(table) if table not in HIDDEN_TABLES else schema.metadata.tables[table]
        with self._connect(write=True) as conn:
            conn.execute(tbl.delete())
            for bookkeeping in (schema.m4_rollups, schema.m4_sources):
                conn.execute(bookkeeping.delete().where(bookkeeping.c.source == table))
            if table == "heartbeats":
                sql_health.clear(conn)

    def is_empty(self) -> bool:
        names = self._catalog.refresh()
        with self._connect() as conn:
            for name in FILL_MARKERS:
                if name in names:
                    tbl = schema.metadata.tables[name]
                    if conn.execute(select(literal(1)).select_from(tbl).limit(1)).first():
                        return False
        return True

    def close(self) -> None:
        self.engine.dispose()


def _values_of(column: ColumnElement) -> Any:
    """The distinct values of an indexed column by a loose index scan (a recursive CTE).

    Each step asks the index for the next larger value, so six machines cost six
    seeks instead of a scan of every reading, on SQLite and PostgreSQL alike.
    """
    steps = select(func.min(column).label("v")).cte("steps", recursive=True)
    following = select(func.min(column)).where(column > steps.c.v).scalar_subquery()
    return steps.union_all(select(following).where(steps.c.v.is_not(None)))


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers (every page view) run while a writer (ingest) commits.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
