"""The M4 rollup pyramid on SQL databases: kept current on write, read for long ranges.

The arithmetic is pure and lives in data/rollup.py; this part runs the queries
and keeps `m4_rollups` and `m4_sources` in step with the readings.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import psycopg2.extras
from sqlalchemy import Connection, Table, and_, func, literal, or_, select

from data import readpath, rollup, schema, sql_bulk
from data.sql_values import arrays, epoch_to_utc, parse_times, utc_microseconds
from data.sqlfuncs import epoch_seconds

if TYPE_CHECKING:
    from data.sql_store import SQLStore

log = logging.getLogger(__name__)
#: Rows a table needs before its rate says which rollup levels pay (data/rollup.finest_useful).
DECIDE_ROWS = 1_000


MERGE_COLUMNS = ("source", "level", "entity", "col", "bucket", *rollup.POINT_COLUMNS)


def _merge_sql() -> str:
    """The upsert that merges a write's rollup rows into the stored ones. M4 merges:
    counts add; the earliest first and the latest last win (ties keep the stored
    row); the smaller minimum and larger maximum win, equal extremes keep the
    earlier time; a missing (NULL) extreme loses to a known one."""
    old, new = "m4_rollups", "excluded"
    first = f"{new}.e0 < {old}.e0"
    last = f"{new}.e1 > {old}.e1"

    def extreme(value: str, at: str, beats: str) -> str:
        return (
            f"({old}.{value} IS NULL AND {new}.{value} IS NOT NULL) "
            f"OR {new}.{value} {beats} {old}.{value} "
            f"OR ({new}.{value} = {old}.{value} AND {new}.{at} < {old}.{at})"
        )

    def pick(when: str, column: str) -> str:
        return f"{column} = CASE WHEN {when} THEN {new}.{column} ELSE {old}.{column} END"

    lowest, highest = extreme("mn", "emn", "<"), extreme("mx", "emx", ">")
    updates = [
        f"n = {old}.n + {new}.n",
        *(pick(first, c) for c in ("e0", "v0")),
        *(pick(lowest, c) for c in ("emn", "mn")),
        *(pick(highest, c) for c in ("emx", "mx")),
        *(pick(last, c) for c in ("e1", "v1")),
    ]
    return (
        f"INSERT INTO {old} ({', '.join(MERGE_COLUMNS)}) {{values}} "
        f"ON CONFLICT (source, level, entity, col, bucket) DO UPDATE SET {', '.join(updates)}"
    )


#: Constant text: identifiers are Vigil's own, every value is a bound parameter.
MERGE_SQL = _merge_sql()


class SQLRollups:
    """The pyramid of one SQL store."""

    def __init__(self, store: SQLStore) -> None:
        self.store = store

    def entity_key(self, table: str, filters: Mapping[str, str] | None) -> str | None:
        """The rollup entity key a read can use, or None when rollups cannot answer it."""
        return readpath.rollup_entity(self.store, table, filters)

    def read(
        self,
        conn: Connection,
        tbl: Table,
        columns: Sequence[str],
        filters: Mapping[str, str] | None,
        start: datetime,
        end: datetime,
        width: float,
        count_rows: Callable[[], int],
    ) -> tuple[rollup.Points, tuple[float, float], int] | None:
        """M4 points from the pyramid, the buckets used and the range's row count.

        None when the pyramid cannot answer exactly. Vigil's own readings tables
        are written only through `Store.write`, which keeps their pyramid current
        in the same transaction, so it is trusted; the pyramid of a table other
        programs fill is checked against `count_rows()`, a scan of the range.
        """
        entity = self.entity_key(tbl.name, filters)
        finest = self.finest(conn, tbl.name)
        level = rollup.level_for(width, finest) if finest else None
        if level is None or entity is None:
            return None
        lo, hi = start.timestamp(), end.timestamp()
        pieces = rollup.decompose(lo, hi, level, finest)
        ru = schema.m4_rollups
        stored = [
            and_(ru.c.level == p.level, ru.c.bucket.between(p.first, p.last))
            for p in pieces
            if p.level is not None
        ]
        query = select(ru.c.col, *[ru.c[c] for c in rollup.POINT_COLUMNS]).where(
            ru.c.source == tbl.name, ru.c.entity == entity, ru.c.col.in_(columns), or_(*stored)
        )
        found = arrays(conn.execute(query).all(), ["col", *rollup.POINT_COLUMNS])
        t = tbl.c[self.store.time_column(tbl.name)]
        fringes = [
            and_(
                t >= self.store._bind_time(epoch_to_utc(p.lo)),
                (t <= self.store._bind_time(epoch_to_utc(p.hi)))
                if p.closed
                else (t < self.store._bind_time(epoch_to_utc(p.hi))),
            )
            for p in pieces
            if p.level is None
        ]
        raw = arrays([], ["e", *columns])
        if fringes:
            raw_query = select(epoch_seconds(t).label("e"), *[tbl.c[c] for c in columns]).where(
                or_(*fringes), *self.store._filter_clause(tbl, filters)
            )
            raw = arrays(conn.execute(raw_query).all(), ["e", *columns])
        expected = None if tbl.name in schema.ENTITY_COLUMNS else count_rows()
        answer = rollup.combine(found, raw, columns, expected, lo, width, level)
        if answer is None:
            log.warning(
                "rollups of table %s do not match its rows; reading raw rows. "
                "Run `python app.py rollup --table %s` to rebuild them.",
                tbl.name,
                tbl.name,
            )
        return answer

    def shape(self, table: str) -> tuple[str, str | None, list[str]] | None:
        """(time column, entity column, metric columns), or None when nothing rolls up."""
        return readpath.rollup_shape(self.store, table)

    def refresh(self, conn: Connection, tbl: Table, frame: pd.DataFrame) -> None:
        """Bring the pyramid up to date with rows just written in this transaction.

        The buckets the rows touch are merged into their stored rows in the database:
        the cost follows the write, not the hours it lands in. Until a table holds
        DECIDE_ROWS rows its rate is unknown and it has no pyramid (reads use raw
        rows, cheap at that size); the write that crosses the mark decides the
        finest level from all the table's rows and builds the pyramid from them.
        """
        shape = self.shape(tbl.name)
        if shape is None or frame.empty or shape[0] not in frame:
            return
        src = schema.m4_sources
        decided = conn.execute(select(src.c.finest).where(src.c.source == tbl.name)).first()
        if decided is None:
            self._decide(conn, tbl, shape)
        elif decided.finest is not None:
            self._merge(conn, tbl, frame, shape, decided.finest)

    def _decide(
        self, conn: Connection, tbl: Table, shape: tuple[str, str | None, list[str]]
    ) -> None:
        time_name, entity_column, _ = shape
        upto = select(literal(1)).select_from(tbl).limit(DECIDE_ROWS).subquery()
        if conn.execute(select(func.count()).select_from(upto)).scalar_one() < DECIDE_ROWS:
            return
        t = tbl.c[time_name]
        first, last = conn.execute(
            select(epoch_seconds(func.min(t)), epoch_seconds(func.max(t)))
        ).one()
        entities = (
            [str(v) for v in conn.execute(select(tbl.c[entity_column]).distinct()).scalars()]
            if entity_column
            else [""]
        )
        self.rebuild_span(conn, tbl, entities, first, last)

    def _merge(
        self,
        conn: Connection,
        tbl: Table,
        frame: pd.DataFrame,
        shape: tuple[str, str | None, list[str]],
        finest: int,
    ) -> None:
        """Merge the written rows' buckets of every level into the stored ones, in the
        database: one INSERT ... ON CONFLICT DO UPDATE (MERGE_SQL), so no stored row
        is read back into Python and the cost follows the write."""
        time_name, entity_column, metrics = shape
        e = self._epochs(parse_times(frame[time_name], time_name))
        rows = rollup.bucket_rows(
            _texts(frame[entity_column]) if entity_column else np.full(len(e), "", dtype=object),
            e,
            {c: _numbers(frame[c]) if c in frame else np.full(len(e), np.nan) for c in metrics},
            readpath.stored_levels(finest),
        )
        columns = [np.full(len(rows["level"]), tbl.name, dtype=object).tolist()]
        for name in MERGE_COLUMNS[1:]:
            values = rows[name].tolist()
            if rows[name].dtype.kind == "f":
                values = [None if v != v else v for v in values]  # NaN -> NULL
            columns.append(values)
        records = list(zip(*columns, strict=True))
        if conn.dialect.name == "sqlite":
            marks = ", ".join("?" * len(MERGE_COLUMNS))
            conn.exec_driver_sql(MERGE_SQL.format(values=f"VALUES ({marks})"), records)
        else:
            cursor = conn.connection.dbapi_connection.cursor()
            try:
                psycopg2.extras.execute_values(
                    cursor, MERGE_SQL.format(values="VALUES %s"), records, page_size=10_000
                )
            finally:
                cursor.close()

    def _epochs(self, times: pd.Series) -> np.ndarray:
        """Epoch seconds exactly as `epoch_seconds` computes them in this database, so
        merged rollup times equal those a rebuild reads back."""
        us = utc_microseconds(times)
        if self.store.engine.dialect.name == "sqlite":  # whole seconds + the stored fraction
            return (us // 1_000_000).astype(float) + (us % 1_000_000) / 1e6
        return us / 1e6

    def rebuild(self, table: str, progress: Callable[[int], None] | None = None) -> int:
        """Rebuild a table's whole pyramid, a day per entity at a time; returns rows read.

        For tables filled by other programs, or stores made before the pyramid.
        """
        tbl = self.store._table(table)
        shape = self.shape(table)
        span = self.store.time_range(table) if shape else None
        if shape is None or span is None:
            return 0
        _, entity_column, _ = shape
        with self.store._connect(write=True) as conn:
            for bookkeeping in (schema.m4_rollups, schema.m4_sources):
                conn.execute(bookkeeping.delete().where(bookkeeping.c.source == table))
        entities = (
            self.store.distinct(table, entity_column, limit=1_000_000) if entity_column else [""]
        )
        first, last = span[0].timestamp(), span[1].timestamp()
        day = 86_400
        done = 0
        for entity in entities:
            lo = math.floor(first / day) * day
            while lo <= last:
                with self.store._connect(write=True) as conn:
                    done += self.rebuild_span(conn, tbl, [entity], lo, min(lo + day - 1, last))
                if progress:
                    progress(done)
                lo += day
        return done

    def finest(
        self, conn: Connection, table: str, decide_from: pd.DataFrame | None = None
    ) -> int | None:
        """The finest level stored for `table`; the first write's rows decide it, once."""
        src = schema.m4_sources
        row = conn.execute(select(src.c.finest).where(src.c.source == table)).first()
        if row is not None:
            return row.finest
        if decide_from is None or decide_from.empty:
            return None
        finest = rollup.finest_useful(decide_from)
        conn.execute(src.insert().values(source=table, finest=finest))
        return finest

    def rebuild_span(
        self, conn: Connection, tbl: Table, entities: list[str], first: float, last: float
    ) -> int:
        """Recompute every level for `entities` over whole hours around [first, last]."""
        time_name, entity_column, metrics = self.shape(tbl.name)  # type: ignore[misc]
        lo, hi = readpath.whole_hours(first, last)
        t = tbl.c[time_name]
        where = [
            t >= self.store._bind_time(epoch_to_utc(lo)),
            t < self.store._bind_time(epoch_to_utc(hi)),
        ]
        if entity_column is not None:
            where.append(tbl.c[entity_column].in_(entities))
        entity = tbl.c[entity_column] if entity_column else literal("")
        query = select(
            entity.label("entity"), epoch_seconds(t).label("e"), *[tbl.c[c] for c in metrics]
        ).where(*where)
        raw = pd.DataFrame(arrays(conn.execute(query).all(), ["entity", "e", *metrics]))
        finest = self.finest(conn, tbl.name, decide_from=raw)
        if finest is None or raw.empty:
            return len(raw)
        stored = readpath.stored_levels(finest)
        levels = readpath.pyramid(rollup.from_raw(raw, metrics, finest), finest)
        ru = schema.m4_rollups
        conn.execute(
            ru.delete().where(
                ru.c.source == tbl.name,
                ru.c.entity.in_(entities),
                or_(
                    *[
                        and_(ru.c.level == level, ru.c.bucket.between(lo // level, hi // level - 1))
                        for level in stored
                    ]
                ),
            )
        )
        rows = [part.assign(source=tbl.name, level=level) for level, part in levels.items()]
        sql_bulk.insert(conn, ru, pd.concat(rows, ignore_index=True))
        return len(raw)


def _texts(values: pd.Series) -> np.ndarray:
    """Entity ids as text, the rollups' key (ids of text columns are text already)."""
    if pd.api.types.is_string_dtype(values):
        return values.to_numpy(object)
    return values.astype(str).to_numpy(object)


def _numbers(values: pd.Series) -> np.ndarray:
    """A metric as floats; values that are not numbers count as missing."""
    if pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(float, na_value=np.nan)
    return pd.to_numeric(values, errors="coerce").to_numpy(float)
