"""The rollup pyramid's pure parts: cutting ranges, coarsening, choosing levels."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data import rollup

T0 = 1_767_571_200.0  # 2026-01-05 00:00:00 UTC, an hour boundary


@settings(max_examples=200, deadline=None)
@given(
    lo=st.floats(T0, T0 + 86_400),
    span=st.floats(0, 3 * 86_400),
    top=st.sampled_from(rollup.LEVELS),
    finest=st.sampled_from(rollup.LEVELS),
)
def test_decompose_covers_the_range_exactly_with_aligned_pieces(
    lo: float, span: float, top: int, finest: int
) -> None:
    hi = lo + span
    pieces = rollup.decompose(lo, hi, top, finest)
    assert pieces[0].lo == lo and pieces[-1].hi == hi and pieces[-1].closed
    for before, after in itertools.pairwise(pieces):
        assert before.hi == after.lo and not before.closed
    for p in pieces:
        if p.level is None:
            continue
        assert finest <= p.level <= top
        assert p.lo == p.first * p.level and p.hi == (p.last + 1) * p.level
    raw = [p for p in pieces if p.level is None]
    assert len(raw) <= 2


def raw_frame(
    seconds: int, step: int = 1, entities: tuple[str, ...] = ("M1", "M2")
) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    parts = []
    for entity in entities:
        e = T0 + np.arange(0, seconds, step, dtype=float)
        values = rng.normal(size=len(e)).round(1)  # ties, to exercise earliest-wins
        values[rng.random(len(e)) < 0.05] = np.nan
        parts.append(pd.DataFrame({"entity": entity, "e": e, "a": values, "b": -values}))
    return pd.concat(parts, ignore_index=True)


def test_coarsening_equals_rolling_up_the_raw_rows() -> None:
    """M4 of the 10 s buckets' M4s is the M4 of the rows, at every level."""
    raw = raw_frame(7_200)
    levels = {10: rollup.from_raw(raw, ["a", "b"], 10)}
    for finer, level in itertools.pairwise(rollup.LEVELS):
        levels[level] = rollup.coarsen(levels[finer], level // finer)
        direct = rollup.from_raw(raw, ["a", "b"], level)
        pd.testing.assert_frame_equal(
            levels[level].sort_values(["entity", "col", "bucket"], ignore_index=True),
            direct[levels[level].columns].sort_values(
                ["entity", "col", "bucket"], ignore_index=True
            ),
            check_dtype=False,
        )


def test_from_raw_counts_rows_and_keeps_earliest_extremes() -> None:
    raw = pd.DataFrame(
        {"entity": "M1", "e": T0 + np.arange(10.0), "a": [3, 1, 1, 5, 5, 2, np.nan, 0, 0, 4]}
    )
    (row,) = rollup.from_raw(raw, ["a"], 10).to_dict("records")
    assert row["n"] == 10
    assert (row["e0"], row["v0"]) == (T0, 3)
    assert (row["emn"], row["mn"]) == (T0 + 7, 0)
    assert (row["emx"], row["mx"]) == (T0 + 3, 5)
    assert (row["e1"], row["v1"]) == (T0 + 9, 4)


@pytest.mark.parametrize(("step", "expected"), [(1, 10), (10, 60), (300, 3600), (86_400, None)])
def test_finest_useful_level_follows_the_data_rate(step: int, expected: int | None) -> None:
    raw = raw_frame(20 * 86_400 if step == 86_400 else 86_400, step, ("M1",))
    assert rollup.finest_useful(raw) == expected


def test_level_for_picks_the_coarsest_fitting_stored_level() -> None:
    assert rollup.level_for(172.8, 10) == 60
    assert rollup.level_for(172.8, 600) is None
    assert rollup.level_for(5, 10) is None
    assert rollup.level_for(10_000, 60) == 3600


def naive_bucket_rows(raw: pd.DataFrame, columns: list[str], level: int) -> list[tuple]:
    """M4 of each (entity, bucket, column) by a plain loop: the definition itself."""
    out = []
    for (entity, bucket), rows in raw.groupby([raw["entity"], np.floor(raw["e"] / level)]):
        rows = rows.sort_values("e", kind="stable")
        for col in columns:
            e, v = rows["e"].tolist(), rows[col].tolist()
            known = [i for i, x in enumerate(v) if not np.isnan(x)]
            imn = min(known, key=lambda i: v[i]) if known else None  # min() keeps the first
            imx = max(known, key=lambda i: (v[i], -i)) if known else None
            out.append(
                (entity, col, int(bucket), len(e), e[0], v[0],
                 e[imn] if known else None, v[imn] if known else None,
                 e[imx] if known else None, v[imx] if known else None, e[-1], v[-1])
            )  # fmt: skip
    return sorted(out, key=lambda r: (r[0], r[1], r[2]))


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["M1", "M2", "B7"]),
            st.integers(0, 7_200),
            st.one_of(st.none(), st.integers(-3, 3)),  # few values: ties; None: missing
            st.one_of(st.none(), st.integers(-3, 3)),
        ),
        min_size=1,
        max_size=60,
    ),
    levels=st.lists(st.sampled_from(rollup.LEVELS), min_size=1, max_size=4, unique=True),
)
def test_bucket_rows_is_m4_of_each_bucket(rows: list[tuple], levels: list[int]) -> None:
    """Unsorted rows, ties, missing values and all-missing buckets, several levels at
    once: every column's M4 per bucket and level as the plain definition computes it,
    earliest extreme winning."""
    raw = pd.DataFrame(rows, columns=["entity", "e", "a", "b"]).astype({"e": float})
    raw["e"] += T0
    raw[["a", "b"]] = raw[["a", "b"]].astype(float)
    found = rollup.bucket_rows(
        raw["entity"].to_numpy(object),
        raw["e"].to_numpy(float),
        {"a": raw["a"].to_numpy(float), "b": raw["b"].to_numpy(float)},
        levels,
    )

    def plain(x: object) -> object:
        return None if isinstance(x, float) and np.isnan(x) else x

    got = sorted(
        (
            int(found["level"][i]),
            found["entity"][i], found["col"][i], int(found["bucket"][i]), int(found["n"][i]),
            *(plain(float(found[c][i])) for c in rollup.POINT_COLUMNS[1:]),
        )
        for i in range(len(found["level"]))
    )  # fmt: skip
    expected = sorted(
        (level, *(plain(x) for x in row))
        for level in levels
        for row in naive_bucket_rows(raw, ["a", "b"], level)
    )
    assert got == expected
