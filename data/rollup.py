"""The M4 rollup pyramid: per entity and column, M4 of every aligned bucket of
10 s, 1 min, 10 min and 1 h, kept current as rows are written.

A long range then reads a few thousand rollup points instead of millions of
rows. Reads stay exact: a range is cut into whole aligned buckets (coarsest
first) plus raw fringes at its ends, and chart buckets are whole multiples of
the rollup level, so M4 over the pieces equals M4 over the raw rows. Each
rollup row carries its raw row count `n`; a read whose counts do not add up to
the raw count of its range knows the pyramid is stale and reads raw rows.
Everything here is pure; the stores run the queries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.m4 import m4_points

#: Bucket sizes in seconds, finest first; each divides the next.
LEVELS = (10, 60, 600, 3600)
COARSEST = LEVELS[-1]
#: A level pays only when its buckets hold this many rows on average; finer ones are skipped.
MIN_ROWS_PER_BUCKET = 4
#: Columns of a rollup row beside its key (source, level, entity, col, bucket).
POINT_COLUMNS = ("n", "e0", "v0", "emn", "mn", "emx", "mx", "e1", "v1")


@dataclass(frozen=True)
class Piece:
    """Part of a range: whole buckets first..last of `level`, or raw rows when level is None."""

    level: int | None
    lo: float  # epoch seconds, inclusive
    hi: float  # epoch seconds, exclusive unless `closed`
    first: int = 0
    last: int = -1
    closed: bool = False


def finest_useful(raw: pd.DataFrame) -> int | None:
    """The finest level whose buckets hold MIN_ROWS_PER_BUCKET rows on average.

    10 s buckets over 10 s data would store as many rows as the data itself;
    None when even hour buckets are that sparse (raw M4 is cheap there).
    """
    entity = raw["entity"].astype(str).to_numpy()
    epochs = raw["e"].to_numpy(float)
    for level in LEVELS:
        buckets = pd.unique(pd.Series(list(zip(entity, np.floor(epochs / level), strict=True))))
        if len(raw) >= MIN_ROWS_PER_BUCKET * len(buckets):
            return level
    return None


def level_for(bucket_seconds: float, finest: int) -> int | None:
    """The coarsest stored level with at least one rollup bucket per chart bucket."""
    fitting = [level for level in LEVELS if finest <= level <= bucket_seconds]
    return fitting[-1] if fitting else None


def decompose(lo: float, hi: float, top: int, finest: int = LEVELS[0]) -> list[Piece]:
    """Cover [lo, hi] with whole aligned buckets of levels finest..top, raw at the fringes."""
    levels = [level for level in LEVELS if finest <= level <= top]
    return _cover(lo, hi, levels, closed=True)


def _cover(lo: float, hi: float, levels: list[int], closed: bool) -> list[Piece]:
    if hi < lo or (hi == lo and not closed):
        return []
    if not levels:
        return [Piece(None, lo, hi, closed=closed)]
    level = levels[-1]
    first, end = math.ceil(lo / level), math.floor(hi / level)
    if first >= end:
        return _cover(lo, hi, levels[:-1], closed)
    a, b = first * level, end * level
    return [
        *_cover(lo, a, levels[:-1], closed=False),
        Piece(level, a, b, first, end - 1),
        *_cover(b, hi, levels[:-1], closed),
    ]


def from_raw(raw: pd.DataFrame, columns: list[str], level: int) -> pd.DataFrame:
    """Rollup rows of one level from raw rows (columns entity, e, then `columns`)."""
    rows = bucket_rows(
        raw["entity"].astype(str).to_numpy(),
        raw["e"].to_numpy(float),
        {c: raw[c].to_numpy(float) for c in columns},
        [level],
    )
    return pd.DataFrame({k: v for k, v in rows.items() if k != "level"})


def bucket_rows(
    entity: np.ndarray, e: np.ndarray, values: Mapping[str, np.ndarray], levels: Sequence[int]
) -> dict[str, np.ndarray]:
    """Rollup rows of every level in `levels` straight from raw rows, as columns
    (level, entity, col, bucket, n, e0, v0, emn, mn, emx, mx, e1, v1), grouped by column.

    In numpy, proportional to the rows a write holds, every level and column in
    one pass: no DataFrame and no loop, because a live write of one reading
    would otherwise spend a millisecond on call overhead alone. Among equal
    values the earliest row wins, as in SQL's M4.
    """
    columns = list(values)
    if not columns or not len(e) or not levels:
        return {k: np.array([]) for k in ("level", "entity", "col", "bucket", *POINT_COLUMNS)}
    names, codes = np.unique(np.asarray(entity, dtype=object), return_inverse=True)
    order = np.lexsort((e, codes))  # stable: equal times keep their order
    v = np.column_stack([np.asarray(values[c], float)[order] for c in columns])  # rows x columns
    # The rows once per level, one after the other: a group never spans two levels.
    copies = len(levels)
    level = np.repeat(np.asarray(levels, dtype=np.int64), len(e))
    codes = np.tile(codes[order], copies)
    e = np.tile(np.asarray(e, float)[order], copies)
    v = np.tile(v, (copies, 1))
    known = ~np.isnan(v)
    bucket = np.floor(e / level).astype(np.int64)
    new = np.ones(len(e), dtype=bool)
    new[1:] = (level[1:] != level[:-1]) | (codes[1:] != codes[:-1]) | (bucket[1:] != bucket[:-1])
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(e)) - 1
    group = np.cumsum(new) - 1
    imn = _first_extreme(np.where(known, v, np.inf), np.minimum, starts, group)
    imx = _first_extreme(np.where(known, v, -np.inf), np.maximum, starts, group)
    across = np.arange(len(columns))
    each = (len(columns), len(starts))  # a group's value, repeated for every column
    return {
        "level": np.broadcast_to(level[starts], each).ravel(),
        "entity": np.broadcast_to(names[codes[starts]], each).ravel(),
        "col": np.repeat(np.array(columns, dtype=object), len(starts)),
        "bucket": np.broadcast_to(bucket[starts], each).ravel(),
        "n": np.broadcast_to(ends - starts + 1, each).ravel(),
        "e0": np.broadcast_to(e[starts], each).ravel(),
        "v0": v[starts].T.ravel(),
        "emn": np.where(known[imn, across], e[imn], np.nan).T.ravel(),
        "mn": v[imn, across].T.ravel(),
        "emx": np.where(known[imx, across], e[imx], np.nan).T.ravel(),
        "mx": v[imx, across].T.ravel(),
        "e1": np.broadcast_to(e[ends], each).ravel(),
        "v1": v[ends].T.ravel(),
    }


def _first_extreme(
    filled: np.ndarray, pick: np.ufunc, starts: np.ndarray, group: np.ndarray
) -> np.ndarray:
    """Per group and column, the first row holding the group's extreme (`pick` of
    `filled`, missing values already made to lose): groups x columns of row numbers."""
    best = pick.reduceat(filled, starts, axis=0)
    rows = np.arange(len(filled))[:, None]
    return np.minimum.reduceat(np.where(filled == best[group], rows, len(filled)), starts, axis=0)


def coarsen(rows: pd.DataFrame, factor: int) -> pd.DataFrame:
    """Rollup rows of the next level: M4 of M4s over `factor` consecutive buckets."""
    return _combine(rows, rows["bucket"].to_numpy(np.int64) // factor, ["entity", "col"])


def _combine(rows: pd.DataFrame, bucket: np.ndarray, keys: list[str]) -> pd.DataFrame:
    """M4 of the rollup rows sharing `keys` and `bucket`: one row per group.

    In numpy over group boundaries, like `from_raw`: a pandas groupby costs
    ~25 ms per call whatever the size, and every write calls this per level.
    """
    codes, labels = zip(*(pd.factorize(rows[k].to_numpy(), sort=True) for k in keys), strict=True)
    values = {c: rows[c].to_numpy(float) for c in POINT_COLUMNS}
    # Within a group, rows by first time; ties keep their order (stored rows first).
    order = np.lexsort((values["e0"], bucket, *reversed(codes)))
    codes = [c[order] for c in codes]
    bucket = bucket[order]
    values = {c: v[order] for c, v in values.items()}
    new = np.zeros(len(bucket), dtype=bool)
    new[0:1] = True
    for key in (*codes, bucket):
        new[1:] |= key[1:] != key[:-1]
    starts = np.flatnonzero(new)
    group = np.cumsum(new) - 1
    last = np.lexsort((-values["e1"], group))[starts]
    mn, mx = values["mn"], values["mx"]
    # NaN extremes (a bucket whose values are all missing) sort last; ties: earliest time.
    imn = np.lexsort((values["emn"], np.where(np.isnan(mn), np.inf, mn), group))[starts]
    imx = np.lexsort((values["emx"], np.where(np.isnan(mx), np.inf, -mx), group))[starts]
    out = {k: label[code[starts]] for k, code, label in zip(keys, codes, labels, strict=True)}
    return pd.DataFrame(
        {
            **out,
            "bucket": bucket[starts],
            "n": np.add.reduceat(values["n"], starts).astype(np.int64) if len(starts) else [],
            "e0": values["e0"][starts],
            "v0": values["v0"][starts],
            "emn": values["emn"][imn],
            "mn": mn[imn],
            "emx": values["emx"][imx],
            "mx": mx[imx],
            "e1": values["e1"][last],
            "v1": values["v1"][last],
        }
    )


def rollup_points(rows: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The four points each rollup row stands for, as (times, values)."""
    times = np.concatenate([np.asarray(rows[c], float) for c in ("e0", "emn", "emx", "e1")])
    values = np.concatenate([np.asarray(rows[c], float) for c in ("v0", "mn", "mx", "v1")])
    return times, values


Points = dict[str, tuple[np.ndarray, np.ndarray]]


def combine(
    found: Mapping[str, np.ndarray],
    raw: Mapping[str, np.ndarray],
    columns: Sequence[str],
    expected_rows: int | None,
    lo: float,
    width: float,
    level: int,
) -> tuple[Points, tuple[float, float], int] | None:
    """M4 points per column from the pieces a backend fetched, the buckets used, the row count.

    `found`: rollup rows of the range's pieces (col, n, e0, v0, ...); `raw`: the
    fringe rows (e, then one array per column). With `expected_rows` (the raw
    count of the range) the pieces must add up to it, else None: rows were
    written around the pyramid and only the raw rows can answer exactly.
    Without it the pyramid is trusted and its counts give the range's rows.
    """
    of_column = {c: found["col"] == c for c in columns}
    counted = {c: int(found["n"][of_column[c]].sum()) + len(raw["e"]) for c in columns}
    if expected_rows is not None and any(n != expected_rows for n in counted.values()):
        return None
    step = math.floor(width / level) * level  # never coarser than the screen asked for
    origin = math.floor(lo / level) * level
    points = {}
    for c in columns:
        times, values = rollup_points({k: v[of_column[c]] for k, v in found.items()})
        times = np.concatenate([times, raw["e"]])
        values = np.concatenate([values, raw[c]])
        points[c] = m4_points(times, values, origin, step)
    return points, (origin, step), counted[columns[0]]
