"""BigQuery only: what the contract cannot see of sensor health and the records API.

The page's health question is one job on the per-sensor summary, never the raw
heartbeats; a write of heartbeats is its load job plus one MERGE per summary
table; each row write is one labelled DML job."""

from __future__ import annotations

import pytest

from data.bigquery_store import BigQueryStore
from errors import NotFound
from tests.test_bigquery_store import on_bigquery, scanned
from tests.test_sensor_health_contract import BEATS, NOW, beats, register_sensors


@on_bigquery
def test_the_health_question_is_one_job_on_the_summary(store: BigQueryStore) -> None:
    register_sensors(store)
    store.journal = []
    store.write("heartbeats", beats(BEATS))
    assert [job.purpose for job in store.journal] == ["write"] + ["health-refresh"] * 4
    assert all(job.sql.startswith("MERGE") for job in store.journal[1:])
    store.journal = []
    health = store.sensor_health(NOW, 10)
    assert health.sensors == 5
    assert [job.purpose for job in store.journal] == ["sensor-health"]
    assert set(scanned(store)) == {"heartbeat_sensors", "heartbeat_bins", "sensors"}
    (job,) = store.journal
    assert "@cutoff" in job.sql and str(NOW.year) not in job.sql  # values are parameters


@on_bigquery
def test_each_row_write_is_one_dml_job(store: BigQueryStore) -> None:
    press = {"type": "press", "standard_current": 45.0, "standard_voltage": 400.0}
    store.journal = []
    store.insert_row("element_types", press)
    store.update_row("element_types", {"type": "press"}, {"range": "0-63 A"})
    store.delete_row("element_types", {"type": "press"})
    purposes = [job.purpose for job in store.journal]
    assert purposes == ["insert-row", "update-row", "rows", "delete-row"]
    assert all("press" not in job.sql for job in store.journal)  # bound, never pasted
    with pytest.raises(NotFound, match="no row with type 'press'"):
        store.delete_row("element_types", {"type": "press"})
