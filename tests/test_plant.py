"""data/plant.py: the domain's rules on top of the records API, and the machine views.

These rules are backend-neutral (the records API under them runs the contract
on every backend), so they run on SQLite.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from analytics.machine_state import PRODUCTION, Thresholds
from data import plant
from data.store import Store
from errors import InvalidInput, NotFound
from tests.conftest import START

on_sqlite = pytest.mark.parametrize("store", ["sqlite"], indirect=True)
PRESS = {"type": "press", "standard_current": 40.0, "standard_voltage": 400.0}


def setup_plant(store: Store) -> None:
    plant.save(store, "element_types", PRESS, new=True)
    plant.save(
        store,
        "machines",
        {"machine_id": "M1", "name": "Press 1", "element_type": "press"},
        new=True,
    )
    plant.save(store, "machines", {"machine_id": "M2", "name": "Press 2"}, new=True)


@on_sqlite
def test_domain_rules_refuse_nonsense(store: Store) -> None:
    setup_plant(store)
    cases = [
        ("element_types", {**PRESS, "type": "x", "standard_current": 0.0}, "above 0"),
        ("element_types", {**PRESS, "type": "x", "standard_voltage": -400.0}, "above 0"),
        ("machines", {"machine_id": "M3", "name": " "}, "needs a name"),
        ("machines", {"machine_id": "M3", "name": "x", "element_type": "robot"}, "'robot'"),
        ("machines", {"machine_id": "M3", "name": "x", "capacity_in_amp": -1.0}, "negative"),
        (
            "operator_shifts",
            {"shift_id": "s", "name": "Early", "start_time": "6:00", "end_time": "14:00"},
            "HH:MM",
        ),
        (
            "operator_shifts",
            {"shift_id": "s", "name": "Early", "start_time": "06:00", "end_time": "06:00"},
            "same time",
        ),
        (
            "operator_shifts",
            {
                "shift_id": "s",
                "name": "Early",
                "start_time": "06:00",
                "end_time": "14:00",
                "machine_id": "M9",
            },
            "unknown machine 'M9'",
        ),
        ("anomalies", {"id": "x"}, "not edited here"),
    ]
    for table, row, message in cases:
        with pytest.raises(InvalidInput, match=message):
            plant.save(store, table, row, new=True)
    assert len(store.rows("element_types")) == 1 and len(store.rows("machines")) == 2
    assert store.rows("operator_shifts") == []


@on_sqlite
def test_changes_are_checked_against_the_whole_row(store: Store) -> None:
    setup_plant(store)
    changed = plant.save(store, "machines", {"machine_id": "M2", "element_type": "press"}, False)
    assert changed["element_type"] == "press" and changed["name"] == "Press 2"
    with pytest.raises(InvalidInput, match="unknown element type 'lathe'"):
        plant.save(store, "machines", {"machine_id": "M2", "element_type": "lathe"}, new=False)
    with pytest.raises(NotFound, match="no machine 'M9' to change"):
        plant.save(store, "machines", {"machine_id": "M9", "name": "x"}, new=False)
    assert plant.machine(store, "M2")["element_type"] == "press"


@on_sqlite
def test_rows_still_named_elsewhere_are_not_deleted(store: Store) -> None:
    setup_plant(store)
    plant.save(
        store,
        "operator_shifts",
        {
            "shift_id": "n",
            "name": "Night",
            "machine_id": "M1",
            "start_time": "22:00",
            "end_time": "06:00",
        },
        new=True,
    )
    with pytest.raises(InvalidInput, match=r"element type .press. is used by machine.* M1"):
        plant.delete(store, "element_types", "press")
    with pytest.raises(InvalidInput, match=r"machine .M1. is named by shift.* n"):
        plant.delete(store, "machines", "M1")
    plant.delete(store, "operator_shifts", "n")
    plant.delete(store, "machines", "M1")
    with pytest.raises(NotFound, match="unknown machine 'M1'"):
        plant.machine(store, "M1")


@on_sqlite
def test_statuses_judge_the_latest_reading(store: Store) -> None:
    setup_plant(store)
    plant.save(
        store,
        "machines",
        {"machine_id": "M3", "name": "Press 3", "element_type": "press"},
        new=True,
    )
    readings = pd.DataFrame(
        {
            "machine_id": ["M1", "M1", "M2", "M3"],
            "time": [START, START + timedelta(seconds=1), START, START - timedelta(hours=1)],
            "current": [5.0, 30.0, 30.0, 30.0],
            "voltage": [400.0, 400.0, 400.0, 400.0],
            "state": None,
        }
    )
    store.write("machine_readings", readings)
    found = plant.statuses(store, Thresholds(), now=START + timedelta(seconds=10))
    states = {s.machine["machine_id"]: (s.state, s.current, s.stale) for s in found}
    # M2 has no element type: its state cannot be derived; M3's reading is an hour old
    assert states == {
        "M1": (PRODUCTION, 30.0, False),
        "M2": ("unknown", 30.0, False),
        "M3": (PRODUCTION, 30.0, True),
    }
    assert plant.unregistered(store, ["M1", "M2"]) == ["M3"]


@on_sqlite
def test_readings_for_states_are_every_reading(store: Store) -> None:
    setup_plant(store)
    times = pd.date_range(START, periods=120, freq="s")
    store.write(
        "machine_readings",
        pd.DataFrame({"machine_id": "M1", "time": times, "current": 30.0, "voltage": 400.0}),
    )
    frame = plant.readings_for_states(store, "M1", START, START + timedelta(minutes=5))
    assert len(frame) == 120 and list(frame.columns) == ["time", "current", "voltage"]


@on_sqlite
def test_remarks_and_shifts(store: Store) -> None:
    setup_plant(store)
    first = plant.add_remark(store, "M1", "  bearing noise ", "ana", START)
    plant.add_remark(store, "M1", "fixed", "ana", START + timedelta(hours=1))
    assert first["text"] == "bearing noise"
    assert [r["text"] for r in plant.remarks(store, "M1")] == ["fixed", "bearing noise"]
    for text, message in (("", "write the remark"), ("x" * 2001, "at most 2000")):
        with pytest.raises(InvalidInput, match=message):
            plant.add_remark(store, "M1", text, "ana")
    with pytest.raises(NotFound):
        plant.add_remark(store, "M9", "hello", "ana")
    for shift_id, machine in (("a", None), ("b", "M1"), ("c", "M2")):
        plant.save(
            store,
            "operator_shifts",
            {
                "shift_id": shift_id,
                "name": shift_id,
                "operator": "K" if machine else None,
                "machine_id": machine,
                "start_time": "06:00",
                "end_time": "14:00",
            },
            new=True,
        )
    assert [s.name for s in plant.shifts_for(store, "M1")] == ["a", "b (K)"]
