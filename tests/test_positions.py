"""Positions (seed 001) on every backend: samples, geoms and 25 s coordinate windows."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from data import positions
from data.store import Store
from errors import InvalidInput, NotFound
from tests.conftest import START

DAY = START.date()


def fill(store: Store) -> None:
    store.write(
        "environments", pd.DataFrame({"environment_id": ["E1", "E2"], "name": ["Hall", "Yard"]})
    )
    store.write(
        "samples",
        pd.DataFrame(
            {
                "sample_id": ["S-1", "S-2"],
                "environment_id": ["E1", "E1"],
                "date": [DAY, DAY + timedelta(days=1)],
                "source": ["cuwb", "cuwb"],
            }
        ),
    )
    store.write(
        "geoms",
        pd.DataFrame(
            {
                "geom_id": ["G1", "G2", "G3"],
                "sample_id": ["S-1", "S-1", "S-2"],
                "device_id": ["tag-1", "tag-2", "tag-1"],
                "shape": ["circle"] * 3,
            }
        ),
    )
    times = pd.date_range(START, periods=60, freq="500ms")
    store.write(
        "coordinates",
        pd.concat(
            [
                pd.DataFrame({"geom_id": g, "time": times, "x": range(60), "y": 1.5, "z": None})
                for g in ("G1", "G2")
            ]
        ),
    )


def test_sample_and_geoms_of_an_environment_and_day(store: Store) -> None:
    fill(store)
    found = positions.sample_with_geoms(store, "E1", DAY)
    assert found["sample"] == {
        "sample_id": "S-1",
        "environment_id": "E1",
        "date": DAY.isoformat(),
        "source": "cuwb",
    }
    assert [g["geom_id"] for g in found["geoms"]] == ["G1", "G2"]
    assert found["geoms"][0] == {
        "geom_id": "G1",
        "sample_id": "S-1",
        "device_id": "tag-1",
        "shape": "circle",
    }
    assert positions.sample_dates(store, "E1") == [DAY, DAY + timedelta(days=1)]
    assert [e["environment_id"] for e in positions.environments(store)] == ["E1", "E2"]


def test_no_sample_is_not_found(store: Store) -> None:
    fill(store)
    with pytest.raises(NotFound, match="no sample for environment 'E2'"):
        positions.sample_with_geoms(store, "E2", DAY)
    with pytest.raises(NotFound):
        positions.sample(store, "E1", date(2020, 1, 1))


def test_coordinates_are_a_25_second_window_keyed_by_geom_and_epoch(store: Store) -> None:
    fill(store)
    start = START + timedelta(seconds=2)
    found = positions.coordinates(store, "S-1", "tag-1", start.to_pydatetime())
    assert list(found) == ["G1"]
    window = found["G1"]
    assert len(window) == 50  # 25 s at 2 Hz, start included, end excluded
    first = int(start.timestamp())
    assert list(window)[:2] == [str(first), f"{first + 0.5!r}"]
    assert window[str(first)] == [4.0, 1.5, None]
    assert str(first + 25) not in window


def test_a_device_without_geoms_is_not_found(store: Store) -> None:
    fill(store)
    with pytest.raises(NotFound, match="device 'tag-9'"):
        positions.coordinates(store, "S-1", "tag-9", START.to_pydatetime())


def test_position_lookups_check_names_and_values(store: Store) -> None:
    fill(store)
    with pytest.raises(NotFound, match="unknown column 'nope'"):
        store.rows("samples", {"nope": 1})
    with pytest.raises(NotFound, match="unknown table"):
        store.rows("no_such_table")
    with pytest.raises(InvalidInput):
        store.rows("samples", {"date": "not a date"})
    assert store.rows("geoms", {"sample_id": "'; DROP TABLE geoms; --"}) == []
    assert len(store.rows("geoms")) == 3


def test_the_span_and_floor_of_a_sample_cover_all_its_geoms(store: Store) -> None:
    fill(store)
    first, last = positions.sample_span(store, "S-1")
    assert (first, last) == (START, START + timedelta(seconds=29.5))
    assert positions.floor_bounds(store, "S-1", (first, last)) == (0.0, 59.0, 1.5, 1.5)
    assert positions.sample_span(store, "S-2") is None  # G3 has no coordinates
