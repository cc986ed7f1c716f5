"""M4 downsampling: per time bucket keep the first, last, minimum and maximum.

Drawn as lines at one bucket per pixel column, these four points give the
same picture as every raw row (Jugel et al., "M4", VLDB 2014), so a chart of
ten million rows costs a few thousand points. `m4_query` has the database
compute it over raw rows (several columns in one two-pass query, optionally
per entity); `unfold` turns its per-bucket rows into points; `m4_points`
reduces an already small point set (rollup points) the same way in numpy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select
from sqlalchemy.sql.expression import FromClause

from data.sqlfuncs import epoch_seconds, floor_int

#: Points M4 keeps per bucket; callers size buckets as max_points // POINTS_PER_BUCKET.
POINTS_PER_BUCKET = 4


def m4_query(
    source: FromClause,
    time: ColumnElement,
    values: Sequence[ColumnElement],
    where: ColumnElement[bool],
    start_epoch: float,
    bucket_seconds: float,
) -> Select:
    """One row per bucket: k, e0, e1, then per column mn, mx, emn, emx, first, last.

    Pass one aggregates min/max value and first/last time per bucket; pass two
    joins the rows back to find when the extremes happened and what the first
    and last values were. Ties keep the earliest row, so a flat bucket yields
    one point, not thousands.
    """
    raw = (
        select(
            epoch_seconds(time).label("e"),
            *[v.label(f"v{i}") for i, v in enumerate(values)],
        )
        .select_from(source)
        .where(where)
        .subquery("raw")
    )
    bucket = floor_int((raw.c.e - literal(start_epoch)) / literal(bucket_seconds)).label("k")
    # MATERIALIZED: both passes read the rows once computed, not the table twice.
    rows = (
        select(bucket, raw.c.e, *[raw.c[f"v{i}"] for i in range(len(values))])
        .cte("rows")
        .prefix_with("MATERIALIZED")
    )
    aggs = [func.min(rows.c.e).label("e0"), func.max(rows.c.e).label("e1")]
    for i in range(len(values)):
        v = rows.c[f"v{i}"]
        aggs += [func.min(v).label(f"mn{i}"), func.max(v).label(f"mx{i}")]
    per_bucket = (
        select(rows.c.k, *aggs).group_by(rows.c.k).cte("per_bucket").prefix_with("MATERIALIZED")
    )

    # Grouping on k alone (bucket constants re-read through min()) is valid on every
    # dialect and lets SQLite group on one integer instead of every column.
    const = {c.name: func.min(c).label(c.name) for c in per_bucket.c if c.name != "k"}
    picks: list[ColumnElement] = [const["e0"], const["e1"]]
    for i in range(len(values)):
        v, mn, mx = rows.c[f"v{i}"], per_bucket.c[f"mn{i}"], per_bucket.c[f"mx{i}"]
        picks += [
            const[f"mn{i}"],
            const[f"mx{i}"],
            func.min(case((v == mn, rows.c.e))).label(f"emn{i}"),
            func.min(case((v == mx, rows.c.e))).label(f"emx{i}"),
            func.max(case((rows.c.e == per_bucket.c.e0, v))).label(f"first{i}"),
            func.max(case((rows.c.e == per_bucket.c.e1, v))).label(f"last{i}"),
        ]
    return (
        select(per_bucket.c.k, *picks)
        .select_from(per_bucket.join(rows, and_(rows.c.k == per_bucket.c.k)))
        .group_by(per_bucket.c.k)
        .order_by(per_bucket.c.k)
    )


def to_times(epochs: np.ndarray) -> pd.DatetimeIndex:
    """Epoch seconds to UTC times, to the microsecond the stores keep."""
    us = np.round(np.asarray(epochs, dtype="float64") * 1e6).astype("int64")
    return pd.DatetimeIndex(us.astype("datetime64[us]")).tz_localize("UTC")


def unfold(per_bucket: pd.DataFrame, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Points (epoch seconds, values) of column i from M4 rows: time-ordered, one per time."""
    times = np.concatenate(
        [per_bucket[name].to_numpy(float) for name in ("e0", f"emn{i}", f"emx{i}", "e1")]
    )
    values = np.concatenate(
        [per_bucket[name].to_numpy(float) for name in (f"first{i}", f"mn{i}", f"mx{i}", f"last{i}")]
    )
    return distinct_points(times, values)


def distinct_points(times: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop missing points, order by time, keep the first point at each time."""
    keep = ~(np.isnan(times) | np.isnan(values))
    times, values = times[keep], values[keep]
    order = np.argsort(times, kind="stable")
    times, values = times[order], values[order]
    first = np.concatenate([[True], np.diff(times) > 0]) if len(times) else np.array([], bool)
    return times[first], values[first]


def m4_points(
    times: np.ndarray, values: np.ndarray, start_epoch: float, bucket_seconds: float
) -> tuple[np.ndarray, np.ndarray]:
    """M4 of a point set in numpy: first, last, min and max per bucket.

    For point sets already bounded by the screen (rollup points), where
    another round trip to the database would cost more than the arithmetic.
    """
    times, values = distinct_points(np.asarray(times, float), np.asarray(values, float))
    if len(times) == 0:
        return times, values
    k = np.floor((times - start_epoch) / bucket_seconds).astype(np.int64)
    starts = np.flatnonzero(np.concatenate([[True], k[1:] != k[:-1]]))
    ends = np.concatenate([starts[1:], [len(k)]]) - 1
    # lexsort is stable: among equal values the earliest point wins, as in SQL.
    by_min = np.lexsort((values, k))
    by_max = np.lexsort((-values, k))
    picks = np.unique(np.concatenate([starts, ends, by_min[starts], by_max[starts]]))
    return times[picks], values[picks]
