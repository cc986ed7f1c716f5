"""SQL backends only: behaviour that needs a way around the Store's own writes."""

from __future__ import annotations

from datetime import timedelta

from data.sql_store import SQLStore
from tests.conftest import START, machine_frame


def test_rows_written_around_the_pyramid_are_still_read_exactly(store: SQLStore) -> None:
    """Rollups that miss rows (another program wrote them) are detected, not trusted."""
    store.write("machine_readings", machine_frame("M1", 7_200))
    end = START + timedelta(seconds=7_199)
    spike = machine_frame("M1", 1).assign(time=START + timedelta(seconds=3_000, microseconds=5))
    spike["current"] = 1e6
    # bypass write(): as if a legacy ingest inserted the row directly
    table = store._table("machine_readings")
    with store.engine.begin() as conn:
        conn.execute(table.insert(), store._records(table, spike))
    read = store.read("machine_readings", ["current"], START, end, 200, {"machine_id": "M1"})
    assert read.series[0].values.max() == 1e6
    assert read.buckets[0] == START.timestamp()  # raw M4 answered, not the pyramid
    assert store.rebuild_rollups("machine_readings") == 7_201
    again = store.read("machine_readings", ["current"], START, end, 200, {"machine_id": "M1"})
    assert again.series[0].values.max() == 1e6
    assert again.buckets[1] % 10 == 0  # aligned to a rollup level: the pyramid answered
