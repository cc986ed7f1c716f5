"""The records API (rows, insert_row, update_row, delete_row) on every backend.

Every refusal says what was wrong and leaves the table exactly as it was.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from data.store import Store
from errors import InvalidInput, NotFound

PRESS = {
    "type": "press",
    "range": "0-63 A",
    "standard_current": 45.0,
    "standard_voltage": 400,
    "element_description": "Servo press",
}


def types(store: Store) -> list[dict]:
    return store.rows("element_types", order_by=["type"])


def test_a_row_goes_in_changes_and_goes_out(store: Store) -> None:
    stored = store.insert_row("element_types", PRESS)
    assert stored == {**PRESS, "standard_voltage": 400.0}
    assert isinstance(stored["standard_voltage"], float)
    store.insert_row(
        "element_types", {"type": "lathe", "standard_current": 28, "standard_voltage": 400}
    )
    assert [r["type"] for r in types(store)] == ["lathe", "press"]
    assert types(store)[0] == {
        "type": "lathe",
        "range": None,
        "standard_current": 28.0,
        "standard_voltage": 400.0,
        "element_description": None,
    }

    changed = store.update_row(
        "element_types", {"type": "press"}, {"standard_current": 50.5, "range": None}
    )
    assert changed == {**PRESS, "standard_voltage": 400.0, "standard_current": 50.5, "range": None}
    assert store.rows("element_types", where={"type": "press"}) == [changed]

    store.delete_row("element_types", {"type": "press"})
    assert [r["type"] for r in types(store)] == ["lathe"]


def test_filters_order_and_limit(store: Store) -> None:
    for shift_id, machine in (("A", "M1"), ("B", None), ("C", "M1"), ("D", None)):
        store.insert_row(
            "operator_shifts",
            {
                "shift_id": shift_id,
                "name": f"shift {shift_id}",
                "machine_id": machine,
                "start_time": "06:00",
                "end_time": "14:00",
            },
        )
    ids = [r["shift_id"] for r in store.rows("operator_shifts", order_by=["-shift_id"])]
    assert ids == ["D", "C", "B", "A"]
    everywhere = store.rows("operator_shifts", where={"machine_id": None})
    assert [r["shift_id"] for r in everywhere] == ["B", "D"]
    by_machine = store.rows("operator_shifts", where={"machine_id": "M1"}, limit=1)
    assert [r["shift_id"] for r in by_machine] == ["A"]
    assert store.rows("operator_shifts", where={"machine_id": "M9"}) == []


def test_times_and_dates_come_back_as_stored(store: Store) -> None:
    at = datetime(2026, 1, 5, 7, 30, 15, 250_000, tzinfo=timezone(timedelta(hours=2)))
    remark = store.insert_row(
        "machine_remarks",
        {
            "remark_id": "r1",
            "machine_id": "M1",
            "time": at,
            "author": "ana",
            "text": "bearing noise",
            "created": "2026-01-05T06:00:00Z",
        },
    )
    (found,) = store.rows("machine_remarks")
    assert found == remark
    assert found["time"] == at and found["time"].tzinfo == UTC
    assert found["created"] == datetime(2026, 1, 5, 6, tzinfo=UTC)
    store.insert_row(
        "machines", {"machine_id": "M1", "name": "Press 1", "date_of_purchase": "2019-09-03"}
    )
    (machine,) = store.rows("machines")
    assert machine["date_of_purchase"] == date(2019, 9, 3)
    assert machine["capacity_in_amp"] is None
    # a naive time is UTC, as everywhere in Vigil
    store.update_row("machine_remarks", {"remark_id": "r1"}, {"time": datetime(2026, 1, 5, 8)})
    assert store.rows("machine_remarks")[0]["time"] == datetime(2026, 1, 5, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("values", "error", "message"),
    [
        ({**PRESS, "colour": "red"}, NotFound, "unknown column 'colour' in table 'element_types'"),
        (
            {**PRESS, "standard_current": "45"},
            InvalidInput,
            "column 'standard_current' of table 'element_types' takes a number, got '45'",
        ),
        ({**PRESS, "standard_current": True}, InvalidInput, "takes a number, got True"),
        ({**PRESS, "standard_current": float("nan")}, InvalidInput, "takes a number, got nan"),
        (
            {**PRESS, "standard_current": None},
            InvalidInput,
            "'standard_current' .* cannot be empty",
        ),
        ({**PRESS, "range": "x" * 65}, InvalidInput, "holds at most 64 characters, got 65"),
        ({**PRESS, "range": 63}, InvalidInput, "'range' of table 'element_types' takes text"),
        (
            {**PRESS, "element_description": "x" * 100_001},
            InvalidInput,
            "'element_description' .* holds at most 100,000 characters, got 100,001",
        ),
        (
            {k: v for k, v in PRESS.items() if k != "type"},
            InvalidInput,
            "primary key column 'type' of table 'element_types' is missing",
        ),
        ({**PRESS, "type": "  "}, InvalidInput, "'type' of table 'element_types' cannot be blank"),
        (
            {k: v for k, v in PRESS.items() if k != "standard_voltage"},
            InvalidInput,
            "column 'standard_voltage' of table 'element_types' is required",
        ),
        ({'type"; DROP TABLE machines; --': "x"}, NotFound, "unknown column"),
        ([("type", "press")], InvalidInput, "a row must be an object"),
    ],
)
def test_a_bad_row_is_refused_whole(
    store: Store, values: object, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        store.insert_row("element_types", values)  # type: ignore[arg-type]
    assert types(store) == []
    assert "machines" in store.tables()


def test_a_taken_key_is_refused_and_the_first_row_stays(store: Store) -> None:
    store.insert_row("element_types", PRESS)
    with pytest.raises(InvalidInput, match="a row with type 'press' already exists"):
        store.insert_row("element_types", {**PRESS, "standard_current": 1.0})
    assert [r["standard_current"] for r in types(store)] == [45.0]


def test_bad_updates_change_nothing(store: Store) -> None:
    store.insert_row("element_types", PRESS)
    before = types(store)
    for key, values, error, message in [
        ({"type": "nope"}, {"standard_current": 1.0}, NotFound, "no row with type 'nope'"),
        ({"type": "press"}, {"type": "lathe"}, InvalidInput, "part of the primary key"),
        ({"type": "press"}, {"standard_current": "x"}, InvalidInput, "takes a number"),
        ({"type": "press"}, {"standard_voltage": None}, InvalidInput, "cannot be empty"),
        ({"type": "press"}, {"nope": 1}, NotFound, "unknown column 'nope'"),
        ({"type": "press"}, {}, InvalidInput, "must change at least one column"),
        ({}, {"standard_current": 1.0}, InvalidInput, "named by its primary key: type"),
        ({"range": "0-63 A"}, {"standard_current": 1.0}, InvalidInput, "named by its primary"),
        (
            {"type": "press"},
            {"element_description": "ok", "standard_current": "bad"},
            InvalidInput,
            "takes a number",
        ),
    ]:
        with pytest.raises(error, match=message):
            store.update_row("element_types", key, values)
        assert types(store) == before, (key, values)


def test_deleting_needs_the_key_of_an_existing_row(store: Store) -> None:
    store.insert_row("element_types", PRESS)
    with pytest.raises(NotFound, match="no row with type 'lathe' in table 'element_types'"):
        store.delete_row("element_types", {"type": "lathe"})
    with pytest.raises(InvalidInput, match="named by its primary key"):
        store.delete_row("element_types", {"standard_current": 45.0})
    assert len(types(store)) == 1


def test_only_known_tables_with_a_key_take_rows(store: Store) -> None:
    with pytest.raises(NotFound, match="unknown table 'nope'"):
        store.rows("nope")
    with pytest.raises(NotFound, match="unknown table 'anomaly_feedback'"):
        store.insert_row("anomaly_feedback", {"event_id": "x"})
    with pytest.raises(NotFound, match="unknown table 'heartbeat_days'"):
        store.rows("heartbeat_days")
    with pytest.raises(InvalidInput, match="table 'machine_readings' has no primary key"):
        store.insert_row("machine_readings", {"machine_id": "M1"})
    with pytest.raises(InvalidInput, match="has no primary key"):
        store.rows("machine_readings")


def test_bad_reads_are_refused(store: Store) -> None:
    with pytest.raises(NotFound, match="unknown column 'nope'"):
        store.rows("machines", where={"nope": 1})
    with pytest.raises(NotFound, match="unknown column 'nope'"):
        store.rows("machines", order_by=["-nope"])
    with pytest.raises(InvalidInput, match="order_by must be a list"):
        store.rows("machines", order_by="name")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="takes a number"):
        store.rows("machines", where={"capacity_in_amp": "big"})
    for limit in (0, 10_001, 2.5, True):
        with pytest.raises(InvalidInput, match="limit must be an integer from 1 to 10000"):
            store.rows("machines", limit=limit)  # type: ignore[arg-type]
