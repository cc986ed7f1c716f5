"""M4 downsampling: per time bucket keep the first, last, minimum and maximum.

Drawn as lines at one bucket per pixel column, these four points give the
same picture as every raw row (Jugel et al., "M4", VLDB 2014), so a chart of
ten million rows costs a few thousand points. The database does the work:
`m4_query` builds one two-pass query for several columns at once; the
per-bucket rows it returns are unfolded into points by `unfold`, which every
backend shares.
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
        aggs += [
            func.min(rows.c[f"v{i}"]).label(f"mn{i}"),
            func.max(rows.c[f"v{i}"]).label(f"mx{i}"),
        ]
    per_bucket = (
        select(rows.c.k, *aggs).group_by(rows.c.k).cte("per_bucket").prefix_with("MATERIALIZED")
    )

    # Grouping on k alone (bucket constants re-read through min()) is valid on
    # every dialect and lets SQLite group on one integer instead of seven columns.
    const = {c.name: func.min(c).label(c.name) for c in per_bucket.c}
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


def unfold(per_bucket: pd.DataFrame, i: int) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Points of column i from the M4 rows: time-ordered, one per distinct time."""
    times = np.concatenate(
        [
            per_bucket["e0"].to_numpy(float),
            per_bucket[f"emn{i}"].to_numpy(float),
            per_bucket[f"emx{i}"].to_numpy(float),
            per_bucket["e1"].to_numpy(float),
        ]
    )
    values = np.concatenate(
        [
            per_bucket[f"first{i}"].to_numpy(float),
            per_bucket[f"mn{i}"].to_numpy(float),
            per_bucket[f"mx{i}"].to_numpy(float),
            per_bucket[f"last{i}"].to_numpy(float),
        ]
    )
    keep = ~(np.isnan(times) | np.isnan(values))
    times, values = times[keep], values[keep]
    order = np.argsort(times, kind="stable")
    times, values = times[order], values[order]
    distinct = np.concatenate([[True], np.diff(times) > 0]) if len(times) else np.array([], bool)
    return to_times(times[distinct]), values[distinct]
