"""The simulated plant and the NAB demo: what the dashboard's demo mode relies on."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from sqlalchemy import Date, DateTime

from data.demo import simulator
from data.demo.nab import NAB_TABLE, read_nab
from data.schema import ENTITY_COLUMNS, metadata

END = pd.Timestamp("2025-03-04 10:20:30", tz="UTC")
START = END - pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def plant() -> dict[str, pd.DataFrame]:
    return simulator.simulate(days=1, seed=7, end=END)


def test_same_arguments_give_identical_frames(plant):
    again = simulator.simulate(days=1, seed=7, end=END)
    assert plant.keys() == again.keys()
    for name, frame in plant.items():
        pd.testing.assert_frame_equal(frame, again[name], obj=name)


def test_another_seed_gives_other_readings(plant):
    other = simulator.simulate(days=1, seed=8, end=END)
    assert not plant["machine_readings"]["current"].equals(other["machine_readings"]["current"])


def test_columns_are_exactly_the_schema_tables(plant):
    for name, frame in plant.items():
        assert list(frame.columns) == metadata.tables[name].columns.keys(), name


def test_time_columns_are_utc_microseconds(plant):
    for name, frame in plant.items():
        for column in metadata.tables[name].columns:
            if isinstance(column.type, DateTime):
                assert frame[column.name].dtype == "datetime64[us, UTC]", (name, column.name)
            elif isinstance(column.type, Date):
                assert all(type(d) is dt.date for d in frame[column.name]), (name, column.name)
    assert plant["samples"]["date"].tolist() == [END.date()]


def test_row_counts_for_one_day(plant):
    counts = {name: len(frame) for name, frame in plant.items()}
    assert counts == {
        "element_types": 3,
        "machines": 6,
        "operator_shifts": 3,
        "machine_remarks": 7,
        "machine_readings": 6 * 86_400,
        "batteries": 4,
        "battery_readings": 4 * 8_640,
        "sensors": 50,
        "heartbeats": counts["heartbeats"],
        "environments": 1,
        "samples": 1,
        "geoms": 3,
        "coordinates": 3 * 3_600,
        # 4 tags at 2 Hz for 2 hours, less the minute or two each is silent 4 times
        "position_readings": 54_600,
        "anomalies": 12,
    }
    assert 60_000 < counts["heartbeats"] < 72_000


def test_readings_lie_in_the_range_and_grids_end_at_end(plant):
    for table in ENTITY_COLUMNS:
        times = plant[table]["time"]
        assert times.min() > START and times.max() <= END, table
    for table in ("machine_readings", "battery_readings", "coordinates"):
        assert plant[table]["time"].max() == END, table
    coordinates = plant["coordinates"]["time"]
    assert coordinates.min() == END - pd.Timedelta(seconds=3_599)


def test_anomalies_lie_in_the_range_on_existing_entities(plant):
    anomalies = plant["anomalies"]
    assert anomalies["id"].is_unique
    assert (anomalies["start"] > START).all() and (anomalies["end"] <= END).all()
    assert (anomalies["start"] <= anomalies["end"]).all()
    entities = {
        table: set(plant[table][column].unique()) for table, column in ENTITY_COLUMNS.items()
    }
    for row in anomalies.itertuples():
        assert row.entity_id in entities[row.table_name]
        assert set(row.columns.split(",")) <= set(plant[row.table_name].columns)
    assert anomalies["score"].between(0, 1).all()
    assert (anomalies["created"] == END).all()


def test_injected_anomalies_and_decoys(plant):
    kinds = [json.loads(d)["injected"] for d in plant["anomalies"]["details"]]
    injected = [k for k in kinds if k is not None]
    assert len(injected) == 8 and kinds.count(None) == 4
    assert set(injected) == {"spike", "sag", "stuck", "drift", "overheat"}
    scores = plant["anomalies"]["score"]
    is_decoy = pd.Series([k is None for k in kinds])
    assert scores[~is_decoy].mean() > scores[is_decoy].mean()


def _window(plant, kind: str) -> tuple[pd.Series, pd.DataFrame]:
    anomalies = plant["anomalies"]
    row = anomalies[anomalies["details"] == json.dumps({"injected": kind})].iloc[0]
    readings = plant[row["table_name"]]
    entity = readings[readings[ENTITY_COLUMNS[row["table_name"]]] == row["entity_id"]]
    return row, entity[entity["time"].between(row["start"], row["end"])]


def test_injections_are_visible_in_the_readings(plant):
    _, stuck = _window(plant, "stuck")
    assert stuck["current"].nunique() == 1 and len(stuck) > 60
    _, overheat = _window(plant, "overheat")
    assert overheat["temperature"].max() > 45
    row, spike = _window(plant, "spike")
    standard = plant["element_types"].set_index("type")["standard_current"]
    element = plant["machines"].set_index("machine_id").loc[row["entity_id"], "element_type"]
    assert spike["current"].max() > 1.5 * standard[element]


def _outside_anomalies(plant) -> pd.DataFrame:
    readings = plant["machine_readings"]
    flagged = pd.Series(False, index=readings.index)
    for row in plant["anomalies"].query("table_name == 'machine_readings'").itertuples():
        flagged |= (readings["machine_id"] == row.entity_id) & readings["time"].between(
            row.start, row.end
        )
    return readings[~flagged]


def test_current_and_voltage_follow_the_state(plant):
    readings = _outside_anomalies(plant)
    assert set(plant["machine_readings"]["state"]) == {"off", "idle", "production"}
    types = plant["machines"].merge(plant["element_types"], left_on="element_type", right_on="type")
    readings = readings.merge(types[["machine_id", "standard_current", "standard_voltage"]])
    share = readings["current"] / readings["standard_current"]
    bands = {"off": (0, 0.05), "idle": (0.05, 0.3), "production": (0.5, 1.3)}
    for state, (low, high) in bands.items():
        in_state = readings["state"] == state
        assert share[in_state].between(low, high).all(), state
    swing = (readings["voltage"] - readings["standard_voltage"]).abs()
    off = readings["state"] == "off"
    assert (readings.loc[off, "voltage"] == 0).all() and (swing[~off] < 10).all()


def test_states_dwell_for_minutes_to_hours(plant):
    readings = plant["machine_readings"]
    changes = readings.groupby("machine_id")["state"].apply(lambda s: (s != s.shift()).sum())
    assert changes.between(5, 150).all()


def test_batteries_stay_in_plausible_bands(plant):
    readings = plant["battery_readings"]
    normal = readings[readings["battery_id"] != "B3"]
    assert readings["voltage"].between(700, 820).all()
    assert readings["current"].between(-150, 150).all()
    assert readings["state_of_charge"].between(0, 100).all()
    assert readings["state_of_health"].between(80, 100).all()
    assert normal["temperature"].between(20, 40).all()


def test_silent_and_dead_sensors_at_end(plant):
    last = plant["heartbeats"].groupby("sensor_id")["time"].max()
    quiet = END - last
    assert len(last) == simulator.N_SENSORS
    assert (quiet > pd.Timedelta(minutes=10)).sum() == simulator.N_DEAD + simulator.N_SILENT
    assert (quiet > pd.Timedelta(hours=1)).sum() == simulator.N_DEAD


def test_some_sensors_are_installed_during_the_range(plant):
    installed = plant["sensors"]["installed"]
    assert installed.between(START, END).sum() == simulator.N_LATE
    first = plant["heartbeats"].groupby("sensor_id")["time"].min()
    late = plant["sensors"].set_index("sensor_id")["installed"]
    assert (first >= late.reindex(first.index)).all()


def test_heartbeat_payloads_are_empty_or_json(plant):
    payloads = plant["heartbeats"]["payload"].dropna()
    assert 0 < len(payloads) < len(plant["heartbeats"])
    assert all("battery" in json.loads(p) for p in payloads)


def test_positions_stay_on_the_floor(plant):
    coordinates = plant["coordinates"]
    assert coordinates["x"].between(0, 40).all() and coordinates["y"].between(0, 25).all()
    assert set(plant["geoms"]["sample_id"]) == set(plant["samples"]["sample_id"])
    assert plant["samples"]["sample_id"].tolist() == [f"E1-{END.date().isoformat()}"]


def test_too_short_a_range_is_refused():
    with pytest.raises(ValueError):
        simulator.simulate(days=0.01, end=END)


def test_nab_readings_and_windows():
    readings, windows = read_nab()
    assert len(readings) == 22_695
    assert readings["time"].dtype == "datetime64[us, UTC]"
    assert readings["value"].dtype == float
    assert list(windows.columns) == metadata.tables["anomalies"].columns.keys()
    assert windows["id"].tolist() == ["nab-1", "nab-2", "nab-3", "nab-4"]
    assert (windows["table_name"] == NAB_TABLE).all()
    assert (windows["start"] >= readings["time"].min()).all()
    assert (windows["end"] <= readings["time"].max()).all()
    assert (windows["start"] < windows["end"]).all()


def test_remarks_sit_on_machine_faults(plant):
    remarks, anomalies = plant["machine_remarks"], plant["anomalies"].set_index("id")
    for remark in remarks.itertuples():
        event = anomalies.loc[remark.remark_id.removeprefix("demo-")]
        assert (event.entity_id, event.start) == (remark.machine_id, remark.time)
    assert set(remarks["author"]) <= set(plant["operator_shifts"]["operator"])


def test_a_large_fleet_comes_in_chunks():
    sensors, chunks = simulator.fleet(200, days=1, every=300, seed=3, end=END, chunk=64)
    assert len(sensors) == 200 and sensors["sensor_id"].iloc[-1] == "S200"
    frames = list(chunks)
    assert [f["sensor_id"].nunique() for f in frames] == [64, 64, 64, 8]
    beats = pd.concat(frames)
    assert beats["time"].between(START, END).all()
    per_sensor = beats.groupby("sensor_id")["time"].agg(["count", "max"])
    alive = per_sensor[per_sensor["max"] > END - pd.Timedelta(minutes=10)]
    assert 270 < alive["count"].median() <= 289  # a day of 5-minute beats, 1 % lost
    assert len(per_sensor[per_sensor["max"] < END - pd.Timedelta(minutes=10)]) == 20 + 16
    gaps = beats.sort_values(["sensor_id", "time"]).groupby("sensor_id")["time"].diff().dropna()
    assert abs(gaps.median() - pd.Timedelta(seconds=300)) < pd.Timedelta(seconds=3)


def test_the_shortest_demo_leaves_no_raw_positions():
    """One hour is all tracked already: no hours before it to leave raw readings of."""
    frames = simulator.simulate(days=simulator.MIN_DAYS, seed=3, end=END)
    assert frames["position_readings"].empty
    assert (
        list(frames["position_readings"].columns)
        == metadata.tables["position_readings"].columns.keys()
    )
