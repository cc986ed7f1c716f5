"""M4 in the database keeps, per bucket, exactly the first, last, min and max of each column."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from data.m4 import POINTS_PER_BUCKET
from data.store import Store
from tests.conftest import START


def bucket_keys(times: pd.Series | pd.DatetimeIndex, origin: float, width: float) -> np.ndarray:
    """Bucket numbers computed as the store does: (epoch - origin) / width, floored."""
    epoch = pd.DatetimeIndex(times).as_unit("us").asi8 / 1e6
    return np.floor((epoch - origin) / width).astype(int)


def reference_m4(frame: pd.DataFrame, column: str, origin: float, width: float) -> pd.DataFrame:
    """Per bucket: (first, last, min, max) values, from pandas on the raw rows."""
    grouped = frame.groupby(bucket_keys(frame["time"], origin, width))[column]
    return pd.DataFrame(
        {
            "first": grouped.first(),
            "last": grouped.last(),
            "min": grouped.min(),
            "max": grouped.max(),
        }
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    values=arrays(
        np.float64,
        st.integers(min_value=50, max_value=3000),
        elements=st.floats(-1e6, 1e6, allow_nan=False, width=32),
    ),
    max_points=st.integers(min_value=8, max_value=200),
    gaps=st.integers(min_value=1, max_value=5),
    per_entity=st.booleans(),
)
def test_m4_matches_pandas_reference(
    store: Store, values: np.ndarray, max_points: int, gaps: int, per_entity: bool
) -> None:
    """Per entity the pyramid answers; across entities the raw rows do: both exact."""
    store.delete_all("machine_readings")
    n = len(values)
    frame = pd.DataFrame(
        {
            "machine_id": "M1",
            "time": START + pd.to_timedelta(np.arange(n) * gaps, unit="s"),
            "current": values,
            "voltage": values[::-1].copy(),
            "state": "idle",
        }
    )
    store.write("machine_readings", frame)
    end = frame["time"].iloc[-1]
    filters = {"machine_id": "M1"} if per_entity else None
    read = store.read("machine_readings", ["current", "voltage"], START, end, max_points, filters)
    if n <= max_points:
        assert not read.downsampled
        return
    assert read.downsampled
    origin, width = read.buckets
    # never coarser than asked; rollup-aligned buckets may be up to twice as fine
    asked = (end - START).total_seconds() / (max_points // POINTS_PER_BUCKET)
    assert asked / 2 < width <= asked + 1e-9
    for series in read.series:
        expected = reference_m4(frame, series.column, origin, width)
        got_keys = bucket_keys(series.time, origin, width)
        got = pd.Series(series.values.to_numpy(), index=got_keys)
        assert len(series) <= POINTS_PER_BUCKET * len(expected)
        assert set(got.index) == set(expected.index)
        for key, row in expected.iterrows():
            in_bucket = got.loc[[key]].to_numpy()
            assert in_bucket.min() == row["min"], f"bucket {key} lost its minimum"
            assert in_bucket.max() == row["max"], f"bucket {key} lost its maximum"
            assert in_bucket[0] == row["first"] and in_bucket[-1] == row["last"]
        # every drawn point is a real row at its real time
        raw = frame.set_index("time")[series.column]
        assert (raw.loc[series.time.tz_convert("UTC")].to_numpy() == series.values.to_numpy()).all()


def test_flat_series_gives_few_points(store: Store) -> None:
    """Ties keep one row: a constant day is not thousands of points."""
    n = 10_000
    frame = pd.DataFrame(
        {
            "machine_id": "M1",
            "time": pd.date_range(START, periods=n, freq="s"),
            "current": 0.0,
            "voltage": 230.0,
            "state": "off",
        }
    )
    store.write("machine_readings", frame)
    read = store.read("machine_readings", ["current"], START, START + timedelta(seconds=n - 1), 400)
    assert read.downsampled
    # first and last of each of the 100 buckets, plus the row at the range's end,
    # which opens a closing bucket of its own
    assert len(read.series[0]) <= 2 * 100 + 1
