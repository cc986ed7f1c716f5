"""The M4 rollup pyramid of one BigQuery dataset: built on write, checked on every read.

The arithmetic is pure and lives in data/rollup.py; this part runs the jobs.
`m4_sources` holds each rolled-up table's finest level, decided once from its
first write's rows (NULL: too sparse to pay); `m4_rollups`, partitioned by
level, holds per source, entity, column, level and bucket the M4 row (count,
first, last, minimum, maximum). A write recomputes the whole hours and
entities it touched from the table's rows, the finest level by M4 in SQL and
the coarser ones from it, and loads them in place of the old rows.

BigQuery has no transaction around a load job and the refresh after it, and
other programs may fill a table, so the pyramid is never trusted blindly: the
job that reads it also compares the table's COUNT(*) (answered from metadata,
0 bytes) with the rows the coarsest level holds, and a table whose pyramid
misses rows is read raw until `python app.py rollup --table` rebuilds it. The
finest levels are kept FINEST_TTL_SECONDS and the per-entity summary
SUMMARY_TTL_SECONDS; this process's own writes drop the summary at once.
"""

from __future__ import annotations

import math
import time as clock
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from google.cloud.bigquery import ArrayQueryParameter

from data import readpath, rollup
from data.bigquery_sql import Scan, m4_aggregates, micros, param, quote, unpivot
from data.sql_values import epoch_to_utc, row_dicts

if TYPE_CHECKING:
    from data.bigquery_store import BigQueryStore

#: How long the pyramid's per-entity summary answers pickers and default ranges.
SUMMARY_TTL_SECONDS = 5.0
#: How long the tables' finest rollup levels are kept (each decided once, on a first write).
FINEST_TTL_SECONDS = 60.0


@dataclass(frozen=True)
class Plan:
    """How the pyramid answers a read: stored pieces cover [cover_lo, cover_hi)."""

    entity: str
    level: int
    pieces: list[rollup.Piece]
    cover_lo: float
    cover_hi: float


@dataclass
class Summary:
    """Per entity (first, last) epoch seconds, from the pyramid's coarsest level, and
    the rows the pyramid holds (checked equal to the table's)."""

    entities: dict[str, tuple[float, float]]
    rows: int


class BigQueryRollups:
    """The pyramid of one BigQueryStore, through its jobs."""

    def __init__(self, store: BigQueryStore) -> None:
        self.store = store
        self._pyramids_cache: tuple[dict[str, int | None], float] | None = None
        self._summaries: tuple[dict[str, Summary], float] | None = None

    def plan(
        self, table: str, filters: Mapping[str, str] | None, lo: float, hi: float, width: float
    ) -> Plan | None:
        """The stored pieces a chart of [lo, hi) reads, or None for raw rows alone. The
        chart's job reads raw rows only at the range's two ends, so the pieces must be
        contiguous."""
        entity = readpath.rollup_entity(self.store, table, filters)
        if entity is None:
            return None
        finest = self._finest(table)
        level = rollup.level_for(width, finest) if finest else None
        if level is None:
            return None
        pieces = [p for p in rollup.decompose(lo, hi, level, finest) if p.level is not None]
        if not pieces:
            return None
        # decompose leaves raw rows only at the two ends: the stored pieces are contiguous
        cover_lo, cover_hi = pieces[0].lo, pieces[-1].hi
        if not math.isclose(sum(p.hi - p.lo for p in pieces), cover_hi - cover_lo):
            return None
        return Plan(entity, level, pieces, cover_lo, cover_hi)

    def _finest(self, table: str) -> int | None:
        return self._pyramids().get(table)

    def _pyramids(self) -> dict[str, int | None]:
        """The finest level of every rolled-up table (None: too sparse), one small job.

        A level is decided once, on a table's first write, so it is kept a while;
        a table another process rolled up since is read raw until then.
        """
        cached = self._pyramids_cache
        if cached is not None and clock.monotonic() - cached[1] < FINEST_TTL_SECONDS:
            return cached[0]
        found: dict[str, int | None] = {}
        if self.store._catalog.has("m4_sources"):
            rows = self.store._query(
                "rollup-level",
                f"SELECT source, finest FROM {self.store._ref('m4_sources')}",
                (),
                [Scan("m4_sources", ("source", "finest"))],
            )
            found = {r["source"]: r["finest"] for r in rows}
        self._pyramids_cache = (found, clock.monotonic())
        return found

    def _decide_finest(self, table: str, sample: pd.DataFrame | None) -> int | None:
        """The finest level stored for `table`; the first write's rows decide it, once."""
        pyramids = self._pyramids()
        if table in pyramids:
            return pyramids[table]
        if sample is None or sample.empty:
            return None
        finest = rollup.finest_useful(sample)
        src = self.store._ref("m4_sources")
        inserted = self.store._dml(
            "rollup-level",
            f"INSERT INTO {src} (source, finest) SELECT @source, @finest FROM UNNEST([1]) "
            f"WHERE NOT EXISTS (SELECT 1 FROM {src} WHERE source = @source)",
            [param("source", "STRING", table), param("finest", "INT64", finest)],
            [Scan("m4_sources", ("source",))],
        )
        self._pyramids_cache = None
        if not inserted:  # another writer decided first
            return self._finest(table)
        return finest

    def summary(self, table: str) -> Summary | None:
        """What pickers, default ranges and `latest` need of `table` without reading it;
        None when its pyramid does not hold every row (its raw rows answer then)."""
        return self._summaries_of_all().get(table)

    def fresh_summary(self, table: str) -> Summary | None:
        """The summary of `table` if one was taken in the last few seconds, else None."""
        cached = self._summaries
        if cached is not None and clock.monotonic() - cached[1] < SUMMARY_TTL_SECONDS:
            return cached[0].get(table)
        return None

    def _summaries_of_all(self) -> dict[str, Summary]:
        """Per rolled-up table and entity, the first and last time from the pyramid's
        coarsest level, in one job for every table; only tables whose pyramid holds
        every row of the table are in it, the others' raw rows answer.

        The check is each table's COUNT(*), which BigQuery answers from metadata
        (0 bytes processed), in the same job as the pyramid's rows.
        """
        cached = self._summaries
        if cached is not None and clock.monotonic() - cached[1] < SUMMARY_TTL_SECONDS:
            return cached[0]
        sources = []
        for name, finest in sorted(self._pyramids().items()):
            if finest and name in self.store._catalog.names and name not in readpath.HIDDEN_TABLES:
                shape = readpath.rollup_shape(self.store, name)
                if shape is not None:
                    sources.append((name, shape[2][0]))
        summaries: dict[str, Summary] = {}
        if sources:
            params: list[Any] = [param("top", "INT64", rollup.COARSEST)]
            picks, totals = [], []
            for i, (name, metric) in enumerate(sources):
                picks.append(f"(source = @s{i} AND col = @c{i})")
                totals.append(
                    f"SELECT @s{i} AS source, (SELECT COUNT(*) FROM {self.store._ref(name)}) AS n"
                )
                params += [param(f"s{i}", "STRING", name), param(f"c{i}", "STRING", metric)]
            sql = (
                f"WITH totals AS ({' UNION ALL '.join(totals)}),\n"
                "pyramid AS (SELECT source, entity, MIN(e0) AS first, MAX(e1) AS last, "
                f"SUM(n) AS n FROM {self.store._ref('m4_rollups')} WHERE level = @top "
                f"AND ({' OR '.join(picks)}) GROUP BY source, entity)\n"
                "SELECT t.source, p.entity, p.first, p.last, p.n, t.n AS total "
                "FROM totals AS t LEFT JOIN pyramid AS p ON p.source = t.source"
            )
            scans = [
                Scan(
                    "m4_rollups",
                    ("source", "level", "col", "entity", "e0", "e1", "n"),
                    levels=(rollup.COARSEST,),
                )
            ]
            scans += [Scan(name, ()) for name, _ in sources]
            rows = self.store._query("rollup-summary", sql, params, scans)
            for name, _ in sources:
                mine = [r for r in rows if r["source"] == name]
                held = sum(int(r["n"] or 0) for r in mine)
                if mine and held == int(mine[0]["total"]):
                    spans = {
                        str(r["entity"]): (r["first"], r["last"])
                        for r in mine
                        if r["entity"] is not None
                    }
                    summaries[name] = Summary(spans, held)
        self._summaries = (summaries, clock.monotonic())
        return summaries

    def forget(self, table: str) -> None:
        """Drop what this process's write to `table` made stale: the summaries and,
        for anomalies and labels, the review snapshot."""
        self._summaries = None
        if table in ("anomalies", "anomaly_feedback"):
            self.store.review.forget()

    def expire_results(self) -> None:
        """Forget the short-lived results (pyramid summaries, the anomaly snapshot), as
        a view arriving after their few seconds would find them (benchmarks)."""
        self._summaries = None
        self.store.review.forget()

    def _rebuild_span(
        self,
        table: str,
        shape: tuple[str, str | None, list[str]],
        entities: list[str] | None,
        first: float,
        last: float,
        sample: pd.DataFrame | None,
        clear: bool = True,
    ) -> int:
        """Recompute every level for `entities` (None: all) over whole hours around
        [first, last]: the finest level by M4 in SQL, the coarser ones from it."""
        finest = self._decide_finest(table, sample)
        if finest is None:
            return 0
        time_name, entity_column, metrics = shape
        lo, hi = readpath.whole_hours(first, last)
        t, _ = self.store._time_sql(table)
        entity = f"CAST({quote(entity_column)} AS STRING)" if entity_column else "''"
        params: list[Any] = [
            param("lo", "INT64", micros(lo)),
            param("hi", "INT64", micros(hi)),
            param("level", "FLOAT64", float(finest)),
        ]
        conds = [f"{t} >= TIMESTAMP_MICROS(@lo)", f"{t} < TIMESTAMP_MICROS(@hi)"]
        if entity_column and entities is not None:
            conds.append(f"{entity} IN UNNEST(@entities)")
            params.append(ArrayQueryParameter("entities", "STRING", entities))
        values = ", ".join(f"CAST({quote(c)} AS FLOAT64) AS v{i}" for i, c in enumerate(metrics))
        source = (
            f"SELECT {entity} AS entity, UNIX_MICROS({t}) / 1000000 AS e, {values} "
            f"FROM {self.store._ref(table)} WHERE {' AND '.join(conds)}"
        )
        key = "entity, CAST(FLOOR(e / @level) AS INT64) AS bucket"
        per_bucket = m4_aggregates(len(metrics), key, "entity, bucket", with_rows=False)
        params += [param(f"c{i}", "STRING", c) for i, c in enumerate(metrics)]
        sql = (
            f"WITH src AS ({source}),\nper_bucket AS ({per_bucket})\n"
            "SELECT entity, c.col, bucket, n, e0, c.v0, c.emn, c.mn, c.emx, c.mx, e1, c.v1\n"
            f"FROM per_bucket, UNNEST({unpivot(len(metrics), with_rows=False)}) AS c"
        )
        scans = [
            Scan(
                table,
                (time_name, *metrics, *([entity_column] if entity_column else [])),
                epoch_to_utc(lo),
                epoch_to_utc(hi),
            )
        ]
        rows = self.store._query("rollup-refresh", sql, params, scans)
        if not rows:
            return 0
        names = ["entity", "col", "bucket", *rollup.POINT_COLUMNS]
        finest_rows = pd.DataFrame([[r[k] for k in names] for r in rows], columns=names)
        finest_rows = finest_rows.astype({c: float for c in rollup.POINT_COLUMNS if c != "n"})
        finest_rows = finest_rows.astype({"n": "int64", "bucket": "int64"})
        levels = readpath.pyramid(finest_rows, finest)
        if clear:
            self._clear(table, sorted(finest_rows["entity"].unique()), lo, hi, finest)
        records = [
            {"source": table, "level": level, **row}
            for level, frame in levels.items()
            for row in row_dicts(frame)
        ]
        self.store._load("m4_rollups", records, "rollup-refresh")
        self.forget(table)
        return int(finest_rows.loc[finest_rows["col"] == metrics[0], "n"].sum())

    def _clear(self, table: str, entities: list[str], lo: int, hi: int, finest: int) -> None:
        params: list[Any] = [
            param("source", "STRING", table),
            ArrayQueryParameter("entities", "STRING", entities),
        ]
        spans = []
        for i, level in enumerate(readpath.stored_levels(finest)):
            spans.append(f"(level = @l{i} AND bucket BETWEEN @a{i} AND @b{i})")
            params += [
                param(f"l{i}", "INT64", level),
                param(f"a{i}", "INT64", lo // level),
                param(f"b{i}", "INT64", hi // level - 1),
            ]
        self.store._dml(
            "rollup-refresh",
            f"DELETE FROM {self.store._ref('m4_rollups')} WHERE source = @source "
            f"AND entity IN UNNEST(@entities) AND ({' OR '.join(spans)})",
            params,
            [Scan("m4_rollups", ("source", "entity", "level", "bucket"))],
        )

    def refresh(self, table: str, frame: pd.DataFrame) -> None:
        """Recompute the pyramid for the whole hours and entities a write touched."""
        shape = readpath.rollup_shape(self.store, table)
        if shape is None or frame.empty or shape[0] not in frame:
            return
        time_name, entity_column, _ = shape
        sample = readpath.written_rows(frame, time_name, entity_column)
        entities = sorted(sample["entity"].unique())
        first, last = float(sample["e"].min()), float(sample["e"].max())
        self._rebuild_span(table, shape, entities, first, last, sample)

    def rebuild(self, table: str, progress: Callable[[int], None] | None = None) -> int:
        """Rebuild a table's whole pyramid, a day (every entity) at a time; returns rows read.

        For tables filled by other programs, or stores made before the pyramid.
        """
        shape = readpath.rollup_shape(self.store, table)
        if shape is None:
            return 0
        self.delete(table)
        span = self.store.time_range(table)  # the pyramid is gone: the raw rows answer
        if span is None:
            return 0
        time_name, entity_column, _ = shape
        first, last = span[0].timestamp(), span[1].timestamp()
        day = 86_400
        lo = math.floor(first / day) * day
        sample = self._sample(table, time_name, entity_column, lo, lo + day)
        done = 0
        while lo <= last:
            done += self._rebuild_span(
                table, shape, None, lo, min(lo + day - 1, last), sample, clear=False
            )
            if progress:
                progress(done)
            lo += day
        return done

    def _sample(
        self, table: str, time_name: str, entity_column: str | None, lo: float, hi: float
    ) -> pd.DataFrame:
        """The first entity's rows over whole hours of [lo, hi): they decide the finest level."""
        t, _ = self.store._time_sql(table)
        params: list[Any] = [param("lo", "INT64", micros(lo)), param("hi", "INT64", micros(hi))]
        conds = [f"{t} >= TIMESTAMP_MICROS(@lo)", f"{t} < TIMESTAMP_MICROS(@hi)"]
        entity = "''"
        if entity_column:
            entity = f"CAST({quote(entity_column)} AS STRING)"
            firsts = self.store.distinct(table, entity_column, limit=1)
            if firsts:
                conds.append(f"{entity} = @entity")
                params.append(param("entity", "STRING", firsts[0]))
        rows = self.store._query(
            "rollup-sample",
            f"SELECT {entity} AS entity, UNIX_MICROS({t}) / 1000000 AS e "
            f"FROM {self.store._ref(table)} WHERE {' AND '.join(conds)}",
            params,
            [Scan(table, (time_name, *([entity_column] if entity_column else [])))],
        )
        return pd.DataFrame(
            {"entity": [r["entity"] for r in rows], "e": np.array([r["e"] for r in rows], float)}
        )

    def delete(self, table: str) -> None:
        """Drop `table`'s pyramid and its level: emptied, it decides a level afresh."""
        for name in ("m4_rollups", "m4_sources"):
            if self.store._catalog.has(name):
                self.store._dml(
                    "rollup-delete",
                    f"DELETE FROM {self.store._ref(name)} WHERE source = @source",
                    [param("source", "STRING", table)],
                    [Scan(name, ("source",))],
                )
        self._pyramids_cache = None
        self.forget(table)
