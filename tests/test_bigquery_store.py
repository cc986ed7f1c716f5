"""BigQuery only: what the contract cannot see. One job per chart, reading the table
once; the pyramid answering pickers and ranges; rows written around it; labels and
the bytes cap on every job; an emulator that goes away and comes back."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from google.cloud import bigquery

from data import open_store
from data.bigquery_store import BigQueryStore, parse_url
from data.store import AnomalyFilter
from errors import ConfigError, NotFound, Unavailable
from tests.bigquery_emulator import PROJECT, Emulator
from tests.conftest import START, machine_frame, make_config
from tests.test_store_contract import add_anomaly, label

#: The conftest `store` fixture, on BigQuery only.
on_bigquery = pytest.mark.parametrize("store", ["bigquery"], indirect=True)


def scanned(store: BigQueryStore) -> list[str]:
    return [scan.table for job in store.journal for scan in job.scans]


@on_bigquery
def test_unknown_names_send_no_job(store: BigQueryStore) -> None:
    store.columns("machine_readings")  # the catalog is read through the API, not by jobs
    store.journal = []
    with pytest.raises(NotFound):
        store.read("machine_readings`; DROP TABLE x; --", ["current"], START, START, 100)
    with pytest.raises(NotFound):
        store.read("machine_readings", ["cur`rent"], START, START + timedelta(hours=1), 100)
    with pytest.raises(NotFound):
        store.distinct("machine_readings", "nope")
    assert store.journal == []


@on_bigquery
def test_a_chart_is_one_job_that_reads_the_table_once(store: BigQueryStore) -> None:
    store.write("machine_readings", machine_frame("M1", 20_000))
    store.write("machine_readings", machine_frame("M2", 20_000, seed=1))
    end = START + timedelta(seconds=19_999)
    for summary_taken in (False, True):  # the pyramid's count from the summary, or the read
        if summary_taken:
            assert store.distinct("machine_readings", "machine_id") == ["M1", "M2"]
        store.journal = []
        read = store.read(
            "machine_readings", ["current", "voltage"], START, end, 400, {"machine_id": "M1"}
        )
        assert read.downsampled and read.buckets[1] % 10 == 0  # the pyramid answered
        assert [job.purpose for job in store.journal] == ["read"]
        assert sorted(scanned(store)) == ["m4_rollups", "machine_readings"]


@on_bigquery
def test_the_pyramid_answers_pickers_and_ranges(store: BigQueryStore) -> None:
    store.write("machine_readings", machine_frame("M1", 7_200))
    store.write("machine_readings", machine_frame("M2", 3_600, seed=1))
    store.journal = []
    assert store.distinct("machine_readings", "machine_id") == ["M1", "M2"]
    assert store.time_range("machine_readings", {"machine_id": "M2"}) == (
        START,
        START + timedelta(seconds=3_599),
    )
    latest = store.latest("machine_readings", "machine_id", ["current", "state"])
    assert list(latest["time"]) == [
        START + timedelta(seconds=7_199),
        START + timedelta(seconds=3_599),
    ]
    # one summary job (COUNT(*) of the table: metadata, no bytes) for both pickers;
    # latest reads only the partitions from the earliest last time on
    assert [job.purpose for job in store.journal] == ["rollup-summary", "latest"]
    assert store.journal[1].scans[0].start == START + timedelta(seconds=3_599)


@on_bigquery
def test_rows_written_around_the_pyramid_are_still_read_exactly(
    store: BigQueryStore, bigquery_emulator: Emulator
) -> None:
    store.write("machine_readings", machine_frame("M1", 7_200))
    end = START + timedelta(seconds=7_199)
    spike = machine_frame("M1", 1).assign(time=START + timedelta(seconds=3_000, microseconds=5))
    spike["current"] = 1e6
    # bypass write(): as if another program loaded the row
    ref = f"{PROJECT}.{store.dataset}.machine_readings"
    rows = [{**r, "time": r["time"].isoformat()} for r in spike.to_dict("records")]
    payload = "\n".join(json.dumps(r) for r in rows).encode()
    config = bigquery.LoadJobConfig(source_format="NEWLINE_DELIMITED_JSON")
    client = bigquery_emulator.client  # no size: the emulator refuses multipart uploads
    client.load_table_from_file(io.BytesIO(payload), ref, job_config=config).result()
    read = store.read("machine_readings", ["current"], START, end, 200, {"machine_id": "M1"})
    assert read.series[0].values.max() == 1e6
    assert read.buckets[0] == START.timestamp()  # raw M4 answered, not the pyramid
    store.journal = []
    assert store.time_range("machine_readings")[1] == end  # counts disagree: raw rows
    assert "time-range" in [job.purpose for job in store.journal]
    assert store.rebuild_rollups("machine_readings") == 7_201
    again = store.read("machine_readings", ["current"], START, end, 200, {"machine_id": "M1"})
    assert again.series[0].values.max() == 1e6
    assert again.buckets[1] % 10 == 0


@on_bigquery
def test_every_job_is_labelled_capped_and_parameterised(
    store: BigQueryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The emulator drops labels and the cap from the jobs it keeps: look at what is sent."""
    sent: list[Any] = []
    client = store._client
    for name in ("query_and_wait", "load_table_from_file"):
        original = getattr(client, name)

        def spy(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            sent.append(kwargs["job_config"])
            return _original(*args, **kwargs)

        monkeypatch.setattr(client, name, spy)
    store.write("machine_readings", machine_frame("M1", 3_000))
    store.read("machine_readings", ["current"], START, START + timedelta(hours=1), 100)
    store.latest("machine_readings", "machine_id", ["state"])
    store.anomalies()
    store.status_counts()
    assert sent
    for config in sent:
        assert config.labels["app"] == "vigil" and config.labels["purpose"]
        if hasattr(config, "maximum_bytes_billed"):
            assert config.maximum_bytes_billed == 10_000_000_000
    reads = [c for c in sent if c.labels["purpose"] == "read"]
    assert reads and all(c.query_parameters for c in reads)


@pytest.fixture(scope="module")
def persistent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    folder = tmp_path_factory.mktemp("bq-outage")
    emulator = Emulator(folder / "bqemulator.log", data_dir=folder / "data")
    try:
        yield emulator
    finally:
        emulator.stop()


def test_a_killed_emulator_is_unavailable_then_back(
    persistent: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", persistent.endpoint)
    bq = BigQueryStore(PROJECT, "outage", retry_seconds=2)
    bq.create_schema()
    bq.write("machine_readings", machine_frame("M1", 100))
    persistent.stop()
    for call in (
        bq.tables,
        bq.anomalies,
        lambda: bq.read("machine_readings", ["current"], START, START + timedelta(minutes=2), 400),
        lambda: bq.write("machine_readings", machine_frame("M2", 5)),
    ):
        with pytest.raises(Unavailable, match="store unavailable"):
            call()
    persistent.start()
    read = bq.read("machine_readings", ["current"], START, START + timedelta(minutes=2), 400)
    assert read.rows_in_range == 100
    bq.close()


def test_urls_and_dataset_id(tmp_path: Path) -> None:
    assert parse_url("bigquery://my-proj/plant") == ("my-proj", "plant")
    assert parse_url("bigquery://my-proj", "plant") == ("my-proj", "plant")
    assert parse_url("bigquery://", "plant") == (None, "plant")
    for url, message in [
        ("bigquery://my-proj", "needs a dataset"),
        ("bigquery://my-proj/pl`ant", "not a BigQuery dataset id"),
        ("bigquery://My_Proj/plant", "not a Google Cloud project id"),
    ]:
        with pytest.raises(ConfigError, match=message):
            parse_url(url)
    with pytest.raises(ConfigError, match="keep one"):
        open_store(make_config(tmp_path, backend="bigquery://p/a", dataset_id="b"))


@on_bigquery
def test_past_the_snapshot_each_call_queries(
    store: BigQueryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More anomalies than the snapshot holds: the list, counts and detail queries."""
    monkeypatch.setattr("data.bigquery_anomalies.SNAPSHOT_ROWS", 1)
    add_anomaly(store, "a1", "M1", 0.9)
    add_anomaly(store, "a2", "M2", 0.2)
    store.add_feedback(label("a1", True, "k1", anomaly_type="spike"))
    store.add_feedback(label("a1", False, "k2", comment="glitch"))
    again = store.add_feedback(label("a1", True, "k1"))
    assert again.verified is True and again.anomaly_type == "spike"
    store.journal = []
    assert [a.id for a in store.anomalies()] == ["a1", "a2"]
    assert [a.id for a in store.anomalies(AnomalyFilter(status="rejected"))] == ["a1"]
    assert [a.id for a in store.anomalies(AnomalyFilter(min_score=0.5))] == ["a1"]
    assert store.status_counts() == {"unlabelled": 1, "verified": 0, "rejected": 1}
    found = store.anomaly("a1")
    assert found.status == "rejected" and [e.verified for e in found.history] == [True, False]
    with pytest.raises(NotFound, match="unknown anomaly 'zzz'"):
        store.anomaly("zzz")
    purposes = {job.purpose for job in store.journal}
    assert {"anomalies", "status-counts", "anomaly"} <= purposes


@on_bigquery
def test_schema_upgrade_adds_new_columns_to_existing_tables(store: BigQueryStore) -> None:
    """A dataset made by an older Vigil (no `reverts` on its label events) is widened
    in place on start (ALTER TABLE keeps the rows)."""
    add_anomaly(store, "a1")
    client, ref = store._client, store._table_ref("anomaly_feedback")
    old = client.get_table(ref)
    client.delete_table(ref)
    client.create_table(bigquery.Table(ref, schema=[f for f in old.schema if f.name != "reverts"]))
    store._catalog.refresh()
    assert "reverts" not in {f.name for f in client.get_table(ref).schema}
    assert store.create_schema()[0] == "partial"
    # (the emulator applies the DDL to its storage but not to the schema its API reports)
    store.add_feedback(replace(label("a1", None, "k2"), reverts="e-1"))
    assert [e.reverts for e in store.anomaly("a1").history] == ["e-1"]
