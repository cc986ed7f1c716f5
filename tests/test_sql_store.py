"""SQL backends only: behaviour that needs a way around the Store's own writes."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Column, DateTime, Float, MetaData, String, Table, select

from data import schema, sql_bulk
from data.sql_rollups import DECIDE_ROWS
from data.sql_store import SQLStore
from tests.conftest import START, machine_frame


def plant_table() -> Table:
    """A table of the user's own, as another program would fill it."""
    return Table(
        "plant_readings",
        MetaData(),
        Column("machine_id", String(64), nullable=False),
        Column("time", DateTime(timezone=True), nullable=False),
        Column("current", Float),
        Column("voltage", Float),
        Column("state", String(16)),
    )


@pytest.mark.parametrize("store", ["sqlite", "postgresql"], indirect=True)
def test_rows_written_around_the_pyramid_are_still_read_exactly(store: SQLStore) -> None:
    """A user table's pyramid that misses rows (another program wrote them) is not trusted."""
    store.create_table(plant_table())
    store.write("plant_readings", machine_frame("M1", 7_200))
    end = START + timedelta(seconds=7_199)
    spike = machine_frame("M1", 1).assign(time=START + timedelta(seconds=3_000, microseconds=5))
    spike["current"] = 1e6
    table = store._table("plant_readings")
    with store.engine.begin() as conn:  # as if a legacy program inserted the row directly
        sql_bulk.insert(conn, table, spike)
    read = store.read("plant_readings", ["current"], START, end, 200, {"machine_id": "M1"})
    assert read.series[0].values.max() == 1e6 and read.rows_in_range == 7_201
    assert read.buckets[0] == START.timestamp()  # raw M4 answered, not the pyramid
    assert store.rebuild_rollups("plant_readings") == 7_201
    again = store.read("plant_readings", ["current"], START, end, 200, {"machine_id": "M1"})
    assert again.series[0].values.max() == 1e6 and again.rows_in_range == 7_201
    assert again.buckets[1] % 10 == 0  # aligned to a rollup level: the pyramid answered


@pytest.mark.parametrize("store", ["sqlite", "postgresql"], indirect=True)
def test_vigil_readings_are_counted_from_the_pyramid(store: SQLStore) -> None:
    store.write("machine_readings", machine_frame("M1", 7_200))
    end = START + timedelta(seconds=7_199)
    read = store.read("machine_readings", ["current"], START, end, 200, {"machine_id": "M1"})
    assert read.buckets[1] % 10 == 0 and read.rows_in_range == 7_200


def _pyramid(store: SQLStore, table: str) -> pd.DataFrame:
    ru = schema.m4_rollups
    with store.engine.connect() as conn:
        rows = conn.execute(select(ru).where(ru.c.source == table)).all()
    frame = pd.DataFrame(rows, columns=[c.name for c in ru.columns])
    return frame.sort_values(["level", "entity", "col", "bucket"], ignore_index=True)


@pytest.mark.parametrize("store", ["sqlite", "postgresql"], indirect=True)
def test_writes_keep_the_pyramid_equal_to_a_rebuild(store: SQLStore) -> None:
    """Batches merged into the pyramid, in any order and size, give what a rebuild gives."""
    rng = np.random.default_rng(3)
    rows = pd.concat([machine_frame(m, 9_000, seed=k) for k, m in enumerate(["M1", "M2"])])
    rows["time"] += pd.to_timedelta(rng.integers(0, 1_000, len(rows)), unit="us")
    rows["current"] = rows["current"].round(0)  # equal values: the earliest must win
    rows.loc[rows.sample(frac=0.03, random_state=1).index, "voltage"] = np.nan
    rows = rows.sort_values("time", ignore_index=True)
    cuts = [0, 10, 700, *sorted(rng.choice(np.arange(800, len(rows)), 20, replace=False))]
    batches = [rows.iloc[lo:hi] for lo, hi in zip(cuts, [*cuts[1:], len(rows)], strict=True)]
    batches[5], batches[9] = batches[9], batches[5]  # a late batch lands in older buckets
    written = 0
    for k, batch in enumerate(batches):
        store.write("machine_readings", batch.sample(frac=1, random_state=k))
        written += len(batch)
        if written < DECIDE_ROWS:  # too few rows to know the rate: no pyramid yet
            assert _pyramid(store, "machine_readings").empty
    merged = _pyramid(store, "machine_readings")
    assert set(merged["level"]) == {10, 60, 600, 3600}
    store.rebuild_rollups("machine_readings")
    pd.testing.assert_frame_equal(merged, _pyramid(store, "machine_readings"))
