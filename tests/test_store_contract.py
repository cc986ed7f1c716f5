"""The Store contract: the same behaviour on every backend (see conftest.BACKENDS)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from data.store import AnomalyFilter, FeedbackEvent, Store
from errors import InvalidInput, NotFound
from tests.conftest import START, machine_frame


def add_anomaly(store: Store, anomaly_id: str, entity: str = "M1", score: float = 0.5) -> None:
    store.write(
        "anomalies",
        pd.DataFrame(
            [
                {
                    "id": anomaly_id,
                    "table_name": "machine_readings",
                    "entity_id": entity,
                    "start": START + timedelta(minutes=1),
                    "end": START + timedelta(minutes=2),
                    "columns": "current,voltage",
                    "score": score,
                    "detector": "test",
                    "version": "1",
                    "details": None,
                    "created": START,
                }
            ]
        ),
    )


def label(anomaly_id: str, verified: bool | None, key: str, **kw: object) -> FeedbackEvent:
    return FeedbackEvent(
        anomaly_id=anomaly_id,
        verified=verified,
        anomaly_type=kw.get("anomaly_type"),
        comment=kw.get("comment"),
        author=str(kw.get("author", "ana")),
        idempotency_key=key,
    )


def test_catalog_lists_tables_and_roles(store: Store) -> None:
    assert {"machine_readings", "battery_readings", "anomalies"} <= set(store.tables())
    assert "anomaly_feedback" not in store.tables()
    roles = {c.name: c.role for c in store.columns("machine_readings")}
    assert roles == {
        "machine_id": "id",
        "time": "time",
        "current": "metric",
        "voltage": "metric",
        "state": "label",
    }
    assert store.time_column("machine_readings") == "time"
    assert store.entity_column("machine_readings") == "machine_id"


def test_unknown_table_and_column_are_refused(store: Store) -> None:
    with pytest.raises(NotFound, match="unknown table 'nope'"):
        store.columns("nope")
    with pytest.raises(NotFound, match="unknown table"):
        store.read('machine_readings"; DROP TABLE anomalies; --', ["current"], START, START, 100)
    with pytest.raises(NotFound, match="unknown column 'nope'"):
        store.read("machine_readings", ["nope"], START, START + timedelta(hours=1), 100)
    with pytest.raises(InvalidInput, match=r"'state'.*label column"):
        store.read("machine_readings", ["state"], START, START + timedelta(hours=1), 100)
    with pytest.raises(NotFound, match="unknown column"):
        store.read(
            "machine_readings", ["current"], START, START + timedelta(hours=1), 100, {"x": "1"}
        )
    assert "anomalies" in store.tables()  # the crafted name ran no SQL


def test_raw_rows_when_range_fits(store: Store) -> None:
    frame = machine_frame("M1", 600)
    store.write("machine_readings", frame)
    store.write("machine_readings", machine_frame("M2", 600, seed=1))
    read = store.read(
        "machine_readings",
        ["current"],
        START,
        START + timedelta(minutes=10),
        1000,
        {"machine_id": "M1"},
    )
    assert not read.downsampled
    assert read.rows_in_range == 600
    (series,) = read.series
    assert list(series.time) == list(frame["time"])
    assert series.values.to_numpy() == pytest.approx(frame["current"].to_numpy())


def test_downsampled_read_keeps_extremes_and_bounds_points(store: Store) -> None:
    frame = machine_frame("M1", 20_000)
    store.write("machine_readings", frame)
    end = START + timedelta(seconds=19_999)
    read = store.read(
        "machine_readings", ["current", "voltage"], START, end, 400, {"machine_id": "M1"}
    )
    assert read.downsampled and read.rows_in_range == 20_000
    for series in read.series:
        assert len(series) <= 2 * 400  # buckets aligned to a rollup level: up to twice as fine
        assert series.time.is_monotonic_increasing
        assert series.values.max() == pytest.approx(frame[series.column].max())
        assert series.values.min() == pytest.approx(frame[series.column].min())
        assert series.time[0] == START and series.time[-1] == end


def test_time_range_distinct_and_latest(store: Store) -> None:
    assert store.time_range("machine_readings") is None
    store.write("machine_readings", machine_frame("M1", 60))
    store.write("machine_readings", machine_frame("M2", 30))
    first, last = store.time_range("machine_readings")
    assert (first, last) == (START, START + timedelta(seconds=59))
    assert store.time_range("machine_readings", {"machine_id": "M2"})[1] == START + timedelta(
        seconds=29
    )
    assert store.distinct("machine_readings", "machine_id") == ["M1", "M2"]
    latest = store.latest("machine_readings", "machine_id", ["current"])
    assert list(latest["machine_id"]) == ["M1", "M2"]
    assert list(latest["time"]) == [START + timedelta(seconds=59), START + timedelta(seconds=29)]


def test_bad_ranges_are_refused(store: Store) -> None:
    with pytest.raises(InvalidInput, match="end of the range"):
        store.read("machine_readings", ["current"], START, START, 100)
    with pytest.raises(InvalidInput, match="not a time"):
        store.read("machine_readings", ["current"], "yesterday-ish", START, 100)


def test_write_is_all_or_nothing(store: Store) -> None:
    """A bad row in the second batch undoes the first batch too."""
    rows = machine_frame("M1", 15_000).astype({"machine_id": object})
    rows.loc[12_345, "machine_id"] = None  # violates NOT NULL
    with pytest.raises(InvalidInput, match="machine_readings"):
        store.write("machine_readings", rows)
    assert store.time_range("machine_readings") is None
    with pytest.raises(NotFound, match="unknown column 'nope'"):
        store.write("machine_readings", rows.assign(nope=1))
    with pytest.raises(InvalidInput, match="not a time"):
        store.write("machine_readings", rows.assign(time="soon"))
    assert store.time_range("machine_readings") is None


def test_anomalies_filters_and_status(store: Store) -> None:
    add_anomaly(store, "a1", "M1", 0.9)
    add_anomaly(store, "a2", "M2", 0.2)
    assert {a.id for a in store.anomalies()} == {"a1", "a2"}
    assert [a.id for a in store.anomalies(AnomalyFilter(entity="M2"))] == ["a2"]
    assert [a.id for a in store.anomalies(AnomalyFilter(min_score=0.5))] == ["a1"]
    assert store.anomalies(AnomalyFilter(table="battery_readings")) == []
    store.add_feedback(label("a1", True, "k1"))
    assert [a.id for a in store.anomalies(AnomalyFilter(status="verified"))] == ["a1"]
    assert [a.id for a in store.anomalies(AnomalyFilter(status="unlabelled"))] == ["a2"]
    assert store.status_counts() == {"unlabelled": 1, "verified": 1, "rejected": 0}
    with pytest.raises(InvalidInput, match="status"):
        store.anomalies(AnomalyFilter(status="maybe"))  # type: ignore[arg-type]


def test_feedback_latest_wins_and_history_keeps_all(store: Store) -> None:
    add_anomaly(store, "a1")
    store.add_feedback(label("a1", True, "k1", author="ana", anomaly_type="spike"))
    store.add_feedback(label("a1", False, "k2", author="bo", comment="sensor glitch"))
    found = store.anomaly("a1")
    assert found.status == "rejected"
    assert [(e.author, e.verified) for e in found.history] == [("ana", True), ("bo", False)]
    assert found.history[0].anomaly_type == "spike"
    assert found.columns == ["current", "voltage"]


def test_feedback_is_idempotent(store: Store) -> None:
    add_anomaly(store, "a1")
    first = store.add_feedback(label("a1", True, "same-key"))
    again = store.add_feedback(label("a1", False, "same-key"))
    assert again.event_id == first.event_id and again.verified is True
    assert len(store.anomaly("a1").history) == 1


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (label("missing", True, "k"), "unknown anomaly 'missing'"),
        (label("a1", True, "k", anomaly_type=""), "anomaly_type"),
        (label("a1", True, "k", anomaly_type="x" * 201), "at most 200"),
        (label("a1", True, "k", comment="x" * 5001), "at most 5000"),
        (label("a1", "yes", "k"), "verified"),  # type: ignore[arg-type]
        (label("a1", True, ""), "idempotency_key"),
        (label("a1", True, "k", author=""), "author"),
    ],
)
def test_bad_feedback_writes_nothing(store: Store, event: FeedbackEvent, message: str) -> None:
    add_anomaly(store, "a1")
    with pytest.raises((InvalidInput, NotFound), match=message):
        store.add_feedback(event)
    assert store.anomaly("a1").history == []


def test_unknown_anomaly(store: Store) -> None:
    with pytest.raises(NotFound, match="unknown anomaly 'zzz'"):
        store.anomaly("zzz")


def test_is_empty_until_filled(store: Store) -> None:
    assert store.is_empty()
    store.write("machine_readings", machine_frame("M1", 5))
    assert not store.is_empty()
    store.delete_all("machine_readings")
    assert store.is_empty()
