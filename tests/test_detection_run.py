"""Detection runs (data/detection.py) through the Store contract, on every backend."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Column, DateTime, Float, MetaData, Table

from data.detection import DetectionRequest, anomaly_id, parse_span, run_detection
from data.store import Store
from errors import InvalidInput, NotFound
from tests.conftest import START, machine_frame

TRAIN = (START, START + timedelta(seconds=399))
SPAN = (START + timedelta(seconds=400), START + timedelta(seconds=1399))
#: M1's current jumps by eight of its standard deviations here.
FAULT = (START + timedelta(seconds=800), START + timedelta(seconds=949))


def readings(machine: str, seed: int, fault: bool = False) -> pd.DataFrame:
    frame = machine_frame(machine, 1400, seed=seed)
    if fault:
        inside = frame["time"].between(*FAULT)
        frame.loc[inside, "current"] += 40.0
    return frame


def request(**changes: object) -> DetectionRequest:
    fields = {
        "table": "machine_readings",
        "columns": ("current", "voltage"),
        "train": TRAIN,
        "span": SPAN,
    }
    return DetectionRequest(**{**fields, **changes})


def test_a_fault_becomes_one_anomaly_and_a_second_run_adds_nothing(store: Store) -> None:
    store.write("machine_readings", pd.concat([readings("M1", 1, True), readings("M2", 2)]))
    done: list[float] = []
    result = run_detection(store, request(), done.append, chunk_rows=300)
    assert result.entities == 2 and result.rows == 2 * 1000
    assert result.found == len(result.written) == 1 and result.existing == 0
    assert done == sorted(done) and done[-1] == 1.0 and len(done) > 4
    (found,) = store.anomalies()
    assert found.id == result.written[0] and found.entity_id == "M1"
    assert found.table_name == "machine_readings" and found.columns == ["current", "voltage"]
    assert (found.detector, found.version) == ("window-ensemble", "1")
    assert abs(found.start - FAULT[0]) <= timedelta(seconds=20)
    assert abs(found.end - FAULT[1]) <= timedelta(seconds=20)
    assert (
        '"rows": ' in found.details
        and (found.end - found.start).total_seconds() == (json.loads(found.details)["rows"])
    )  # 1 s rows: one second per row, the last included
    assert found.score > 2.25
    assert found.id == anomaly_id(
        "machine_readings", "M1", "window-ensemble", "1", found.start, found.end
    )

    again = run_detection(store, request(), chunk_rows=1000)
    assert (again.found, again.written, again.existing) == (1, [], 1)
    assert [a.id for a in store.anomalies()] == [found.id]


def test_entities_can_be_named_and_tables_without_entities_run_whole(store: Store) -> None:
    store.write("machine_readings", pd.concat([readings("M1", 1, True), readings("M2", 2)]))
    quiet = run_detection(store, request(entities=("M2",)))
    assert (quiet.entities, quiet.found) == (1, 0)

    store.create_table(
        Table("plain", MetaData(), Column("time", DateTime(timezone=True)), Column("x", Float))
    )
    plain = readings("M1", 3, True)[["time", "current"]].rename(columns={"current": "x"})
    store.write("plain", plain)
    result = run_detection(store, request(table="plain", columns=("x",)))
    assert result.entities == 1 and result.found == 1
    assert store.anomalies()[0].entity_id is None
    with pytest.raises(InvalidInput, match="table 'plain' has no entity column"):
        run_detection(store, request(table="plain", columns=("x",), entities=("M1",)))


def test_even_a_single_row_anomaly_has_a_span(store: Store) -> None:
    frame = readings("M1", 1)
    frame.loc[frame.index[900], "current"] += 200.0  # one spike
    store.write("machine_readings", frame)
    run_detection(store, request(detector="rolling-z", columns=("current",)))
    spans = {a.end - a.start for a in store.anomalies()}
    assert spans and min(spans) == timedelta(seconds=1)
    assert any(a.start == START + timedelta(seconds=900) for a in store.anomalies())


def with_gap(frame: pd.DataFrame) -> pd.DataFrame:
    """A missing value late in the range, after the fault: detected rows come first."""
    frame.loc[frame.index[1300], "voltage"] = np.nan
    return frame


@pytest.mark.parametrize(
    ("rows", "changes", "error", "message"),
    [
        (None, {"table": "nope"}, NotFound, "unknown table 'nope'"),
        (None, {"columns": ("current", "nope")}, NotFound, "unknown column 'nope'"),
        (None, {"columns": ("state",)}, InvalidInput, "'state'.*label column, not a metric"),
        (None, {"columns": ()}, InvalidInput, "at least one column"),
        (None, {"detector": "magic"}, InvalidInput, "unknown detector 'magic'"),
        (
            None,
            {"train": (START - timedelta(days=2), START - timedelta(days=1))},
            InvalidInput,
            r"machine_id 'M1': the training range .* holds no rows of 'machine_readings'",
        ),
        (None, {"entities": ("M9",)}, InvalidInput, "machine_id 'M9': the training range"),
        (None, {"span": (SPAN[1], SPAN[0])}, InvalidInput, "the range must end after it starts"),
        (
            readings("M1", 1, True).assign(voltage=400.0),
            {},
            InvalidInput,
            r"machine_id 'M1': column 'voltage' is constant \(400\) over the training range",
        ),
        (
            with_gap(readings("M1", 1, True)),
            {},
            InvalidInput,
            "machine_id 'M1': column 'voltage' has 1 missing or infinite values in the rows",
        ),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    store: Store,
    rows: pd.DataFrame | None,
    changes: dict[str, object],
    error: type[Exception],
    message: str,
) -> None:
    store.write("machine_readings", readings("M1", 1, True) if rows is None else rows)
    with pytest.raises(error, match=message):
        run_detection(store, request(**changes), chunk_rows=200)
    assert store.anomalies() == []


def test_spans_are_parsed_or_refused_with_an_example() -> None:
    assert parse_span("2026-01-05 00:00..2026-01-05T06:00+01:00", "range") == (
        START,
        START + timedelta(hours=5),
    )
    for text in ("2026-01-05", "..2026-01-05", "2026-01-05.."):
        with pytest.raises(InvalidInput, match=r"the range must be written START\.\.END"):
            parse_span(text, "range")
    with pytest.raises(InvalidInput, match="'soon' is not a time"):
        parse_span("soon..later", "training range")
