"""SQL backends only: behaviour that needs a way around the Store's own writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Column, DateTime, Float, MetaData, String, Table

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
        conn.execute(table.insert(), store._records(table, spike))
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
