"""The review queue and labelling on every backend: filters, order, counts, saves,
undo, analysts' own anomalies, concurrent labels, exports' event list."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pandas as pd
import pytest

from data.label_export import COLUMNS, FORMATS, label_frame, write_labels
from data.labels import ANALYST, mark_anomaly, save_label, undo_label
from data.store import AnomalyFilter, Store
from errors import InvalidInput, NotFound
from tests.conftest import START, machine_frame
from tests.test_store_contract import add_anomaly, label


def _queue(store: Store) -> None:
    """a1..a4 on M1/M2 (all from minute 1 to 2) with scores; two labelled."""
    for i, (entity, score) in enumerate([("M1", 0.9), ("M2", 0.2), ("M1", None), ("M2", 0.5)]):
        add_anomaly(store, f"a{i + 1}", entity, score)
    store.add_feedback(label("a1", True, "k1", anomaly_type="spike"))
    store.add_feedback(label("a2", False, "k2", anomaly_type="drift"))


def ids(store: Store, **filters: object) -> list[str]:
    return [a.id for a in store.anomalies(AnomalyFilter(**filters))]  # type: ignore[arg-type]


def test_filters_by_type_detector_and_score_bounds(store: Store) -> None:
    _queue(store)
    assert ids(store, anomaly_type="spike") == ["a1"]
    assert ids(store, anomaly_type="none-such") == []
    assert ids(store, detector="test", sort="oldest") == ["a1", "a2", "a3", "a4"]
    assert ids(store, detector="other") == []
    assert ids(store, min_score=0.3, max_score=0.6) == ["a4"]
    assert ids(store, max_score=0.5, sort="lowest") == ["a2", "a4"]
    listed = {a.id: a for a in store.anomalies()}
    assert (listed["a1"].status, listed["a1"].anomaly_type) == ("verified", "spike")
    assert (listed["a3"].status, listed["a3"].anomaly_type) == ("unlabelled", None)


def test_time_range_keeps_overlapping_anomalies(store: Store) -> None:
    _queue(store)
    inside = START + timedelta(minutes=1, seconds=30)
    assert len(ids(store, start=inside, end=inside + timedelta(seconds=1))) == 4
    assert ids(store, start=START + timedelta(minutes=3)) == []
    assert ids(store, end=START) == []


def test_sorts_by_score_with_missing_scores_last(store: Store) -> None:
    _queue(store)
    assert ids(store, sort="highest") == ["a1", "a4", "a2", "a3"]
    assert ids(store, sort="lowest") == ["a2", "a4", "a1", "a3"]
    assert ids(store, sort="highest", limit=2) == ["a1", "a4"]
    with pytest.raises(InvalidInput, match="sort"):
        store.anomalies(AnomalyFilter(sort="random"))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="min_score"):
        store.anomalies(AnomalyFilter(min_score="high"))  # type: ignore[arg-type]


def test_counts_follow_every_filter_but_the_status(store: Store) -> None:
    _queue(store)
    assert store.status_counts() == {"unlabelled": 2, "verified": 1, "rejected": 1}
    assert store.status_counts(AnomalyFilter(entity="M2")) == {
        "unlabelled": 1,
        "verified": 0,
        "rejected": 1,
    }
    assert store.status_counts(AnomalyFilter(entity="M2", status="verified")) == {
        "unlabelled": 1,
        "verified": 0,
        "rejected": 1,
    }
    assert store.status_counts(AnomalyFilter(table="battery_readings")) == dict.fromkeys(
        ("unlabelled", "verified", "rejected"), 0
    )


def test_partial_save_keeps_the_rest_of_the_label(store: Store) -> None:
    add_anomaly(store, "a1")
    save_label(store, "a1", author="ana", idempotency_key="s1", verified=True, anomaly_type="spike")
    save_label(store, "a1", author="bo", idempotency_key="s2", comment="confirmed on site")
    save_label(store, "a1", author="bo", idempotency_key="s3", anomaly_type="overload")
    found = store.anomaly("a1")
    assert [(e.verified, e.anomaly_type, e.comment) for e in found.history] == [
        (True, "spike", None),
        (True, "spike", "confirmed on site"),
        (True, "overload", "confirmed on site"),
    ]
    assert (found.status, found.anomaly_type) == ("verified", "overload")
    assert store.anomaly_types() == ["spike", "overload"]  # spike is on two events


def test_a_retried_save_stores_one_event(store: Store) -> None:
    add_anomaly(store, "a1")
    first = save_label(store, "a1", author="ana", idempotency_key="same", verified=True)
    again = save_label(store, "a1", author="ana", idempotency_key="same", verified=True)
    assert again.event_id == first.event_id
    assert len(store.anomaly("a1").history) == 1


def test_undo_reverts_the_last_change_and_an_undo_of_it_redoes(store: Store) -> None:
    add_anomaly(store, "a1")
    with pytest.raises(InvalidInput, match="no label to undo"):
        undo_label(store, "a1", author="ana", idempotency_key="u0")
    save_label(store, "a1", author="ana", idempotency_key="s1", verified=True, anomaly_type="x")
    second = save_label(store, "a1", author="ana", idempotency_key="s2", verified=False)
    undo = undo_label(store, "a1", author="ana", idempotency_key="u1")
    assert (undo.verified, undo.anomaly_type, undo.reverts) == (True, "x", second.event_id)
    assert store.anomaly("a1").status == "verified"
    redo = undo_label(store, "a1", author="ana", idempotency_key="u2")
    assert (redo.verified, redo.reverts) == (False, undo.event_id)
    assert store.anomaly("a1").status == "rejected"
    undo_label(store, "a1", author="ana", idempotency_key="u2")  # a retry: no new event
    assert len(store.anomaly("a1").history) == 4


def test_first_label_undone_leaves_the_anomaly_unlabelled(store: Store) -> None:
    add_anomaly(store, "a1")
    save_label(store, "a1", author="ana", idempotency_key="s1", verified=True)
    undo_label(store, "a1", author="ana", idempotency_key="u1")
    found = store.anomaly("a1")
    assert found.status == "unlabelled" and len(found.history) == 2


def test_two_analysts_at_once_both_kept_latest_wins(store: Store) -> None:
    add_anomaly(store, "a1")
    errors: list[BaseException] = []

    def analyst(name: str, verdict: bool) -> None:
        try:
            save_label(store, "a1", author=name, idempotency_key=f"k-{name}", verified=verdict)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=analyst, args=a) for a in (("ana", True), ("bo", False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    found = store.anomaly("a1")
    assert sorted(e.author for e in found.history) == ["ana", "bo"]
    assert found.status == {True: "verified", False: "rejected"}[found.history[-1].verified]


#: A range of M1's current marked by analyst ana.
MARK = {
    "table": "machine_readings",
    "entity": "M1",
    "columns": ["current"],
    "start": START + timedelta(seconds=60),
    "end": START + timedelta(seconds=90),
    "author": "ana",
    "idempotency_key": "mark-1",
}


def test_analyst_marks_a_missed_anomaly_once(store: Store) -> None:
    store.write("machine_readings", machine_frame("M1", 600))
    args = {**MARK, "anomaly_type": "dropout"}
    marked = mark_anomaly(store, **args)
    again = mark_anomaly(store, **args)
    assert again.id == marked.id
    assert (marked.detector, marked.status, marked.anomaly_type) == (ANALYST, "verified", "dropout")
    assert len(store.anomaly(marked.id).history) == 1
    assert ids(store, detector=ANALYST) == [marked.id]


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"table": "nope"}, NotFound, "unknown table 'nope'"),
        ({"columns": ["nope"]}, NotFound, "unknown column 'nope'"),
        ({"columns": ["state"]}, InvalidInput, "not a metric column"),
        ({"entity": "M9"}, NotFound, "unknown machine_id 'M9'"),
        ({"entity": None}, InvalidInput, "choose the machine_id"),
        ({"end": START}, InvalidInput, "end of the anomaly"),
        ({"anomaly_type": "x" * 201}, InvalidInput, "at most 200"),
        ({"idempotency_key": ""}, InvalidInput, "idempotency_key"),
    ],
)
def test_a_bad_mark_writes_nothing(
    store: Store, change: dict, error: type[Exception], message: str
) -> None:
    store.write("machine_readings", machine_frame("M1", 600))
    with pytest.raises(error, match=message):
        mark_anomaly(store, **{**MARK, **change})
    assert store.anomalies() == []
    assert store.feedback_events() == []


def test_feedback_events_list_every_event_once_oldest_first(store: Store) -> None:
    add_anomaly(store, "a1")
    add_anomaly(store, "a2")
    save_label(store, "a1", author="ana", idempotency_key="e1", verified=True)
    save_label(store, "a2", author="bo", idempotency_key="e2", verified=False)
    save_label(store, "a1", author="ana", idempotency_key="e1", verified=True)  # a retry
    events = store.feedback_events()
    assert [(e.anomaly_id, e.author) for e in events] == [("a1", "ana"), ("a2", "bo")]
    assert store.anomaly_types() == []


def test_label_export_latest_and_history(store: Store) -> None:
    add_anomaly(store, "a1", "M1", 0.9)
    add_anomaly(store, "a2", "M2", 0.2)
    add_anomaly(store, "a3", "M1", 0.5)  # never labelled: not exported
    save_label(store, "a1", author="ana", idempotency_key="x1", verified=True, anomaly_type="s")
    save_label(store, "a2", author="bo", idempotency_key="x2", verified=False, comment="noise")
    save_label(store, "a1", author="bo", idempotency_key="x3", verified=False)
    latest = label_frame(store)
    assert list(latest["anomaly_id"]) == ["a2", "a1"]  # in the order they were last labelled
    assert list(latest["verified"]) == [False, False]
    first = latest.set_index("anomaly_id").loc["a1"]
    assert (first.table_name, first.entity_id, first.score, first.author) == (
        "machine_readings",
        "M1",
        0.9,
        "bo",
    )
    assert first.anomaly_type == "s"  # a save of the verdict alone kept the type
    history = label_frame(store, history=True)
    assert list(history["anomaly_id"]) == ["a1", "a2", "a1"]
    assert list(history.columns) == list(COLUMNS)
    for fmt in FORMATS:
        buffer = io.BytesIO()
        write_labels(history, fmt, buffer)
        buffer.seek(0)
        back = pd.read_csv(buffer) if fmt == "csv" else pd.read_parquet(buffer)
        assert list(back["author"]) == ["ana", "bo", "bo"], fmt
    with pytest.raises(InvalidInput, match="format must be one of csv, parquet"):
        write_labels(history, "xlsx", io.BytesIO())
