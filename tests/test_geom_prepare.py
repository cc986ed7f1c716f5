"""prepare-geoms on every backend: raw readings become samples, geoms and coordinates that
the positions queries (getGeoms / getCoordinates) serve; running it again writes nothing twice."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from data import positions
from data.geom_prepare import geom_id, prepare
from data.store import Store
from errors import InvalidInput, NotFound
from tests.conftest import START

NOON = START + pd.Timedelta(hours=12)


def readings(device: str, first: pd.Timestamp, seconds: int, hz: int = 2) -> pd.DataFrame:
    times = pd.date_range(first, periods=seconds * hz, freq=f"{1000 // hz}ms")
    n = len(times)
    return pd.DataFrame(
        {
            "device_id": device,
            "environment_id": "E1",
            "time": times,
            "x": np.arange(n) * 0.1,
            "y": 2.0,
            "z": 1.0,
        }
    )


def fill(store: Store) -> int:
    """tag-1: two tracks (a 60 s silence between); tag-2: one; tag-9 is in another hall."""
    store.write("environments", pd.DataFrame({"environment_id": ["E1"], "name": ["Hall"]}))
    frames = [
        readings("tag-1", NOON, 30),
        readings("tag-1", NOON + pd.Timedelta(seconds=90), 20),
        readings("tag-2", NOON + pd.Timedelta(seconds=5), 40),
        readings("tag-9", NOON, 10).assign(environment_id="E2"),
    ]
    store.write("position_readings", pd.concat(frames, ignore_index=True))
    return sum(len(f) for f in frames[:3])


def coordinate_count(store: Store, sample_id: str) -> int:
    total = 0
    for geom in positions.geoms(store, sample_id):
        span = store.time_range("coordinates", {"geom_id": geom["geom_id"]})
        if span:
            total += sum(
                len(c)
                for c in store.read_rows("coordinates", ["x"], *span, {"geom_id": geom["geom_id"]})
            )
    return total


def test_readings_become_a_sample_with_a_geom_per_track(store: Store) -> None:
    n = fill(store)
    done = prepare(store, "E1", NOON - timedelta(minutes=1), NOON + timedelta(minutes=5))
    assert (done.devices, done.readings, done.geoms, done.coordinates) == (2, n, 3, n)
    found = positions.sample_with_geoms(store, "E1", NOON.date())
    assert found["sample"]["sample_id"] == f"E1-{NOON.date().isoformat()}"
    assert sorted(g["device_id"] for g in found["geoms"]) == ["tag-1", "tag-1", "tag-2"]
    first_track = geom_id("E1", "tag-1", NOON.timestamp())
    assert first_track in {g["geom_id"] for g in found["geoms"]}
    window = positions.coordinates(store, found["sample"]["sample_id"], "tag-1", NOON)
    assert len(window[first_track]) == 50  # 25 s at 2 Hz
    assert window[first_track][str(int(NOON.timestamp()))] == [0.0, 2.0, 1.0]
    assert coordinate_count(store, found["sample"]["sample_id"]) == n


def test_preparing_again_or_overlapping_writes_nothing_twice(store: Store) -> None:
    n = fill(store)
    half = NOON + timedelta(seconds=20)
    first = prepare(store, "E1", NOON, half)
    assert first.geoms == 2  # tag-1 and tag-2, both cut at `half`
    whole = prepare(store, "E1", NOON - timedelta(minutes=1), NOON + timedelta(minutes=5))
    assert whole.skipped == first.coordinates
    assert whole.geoms == 1  # tag-1's second track; the cut tracks were continued
    again = prepare(store, "E1", NOON - timedelta(minutes=1), NOON + timedelta(minutes=5))
    assert (again.geoms, again.coordinates, again.skipped) == (0, 0, n)
    sample_id = positions.sample(store, "E1", NOON.date())["sample_id"]
    assert len(positions.geoms(store, sample_id)) == 3
    assert coordinate_count(store, sample_id) == n


def test_small_chunks_give_the_same_geoms(store: Store) -> None:
    fill(store)
    done = prepare(store, "E1", NOON, NOON + timedelta(minutes=5), chunk_rows=7)
    assert (done.geoms, done.coordinates) == (3, 180)
    sample_id = positions.sample(store, "E1", NOON.date())["sample_id"]
    starts = {g["geom_id"] for g in positions.geoms(store, sample_id)}
    expected = {
        geom_id("E1", "tag-1", NOON.timestamp()),
        geom_id("E1", "tag-1", (NOON + pd.Timedelta(seconds=90)).timestamp()),
        geom_id("E1", "tag-2", (NOON + pd.Timedelta(seconds=5)).timestamp()),
    }
    assert starts == expected


def test_a_track_across_midnight_is_split_into_two_samples(store: Store) -> None:
    store.write("environments", pd.DataFrame({"environment_id": ["E1"], "name": ["Hall"]}))
    midnight = START + pd.Timedelta(days=1)
    store.write("position_readings", readings("tag-1", midnight - pd.Timedelta(seconds=10), 20))
    done = prepare(store, "E1", START, midnight + pd.Timedelta(hours=1))
    assert done.geoms == 2
    assert positions.sample_dates(store, "E1") == [START.date(), midnight.date()]


def test_bad_requests_are_refused_and_write_nothing(store: Store) -> None:
    fill(store)
    with pytest.raises(NotFound, match="unknown environment 'E7'"):
        prepare(store, "E7", NOON, NOON + timedelta(minutes=5))
    with pytest.raises(InvalidInput, match="end of the range"):
        prepare(store, "E1", NOON, NOON)
    with pytest.raises(InvalidInput, match="not a time"):
        prepare(store, "E1", "yesterday", NOON)
    with pytest.raises(InvalidInput, match="gap"):
        prepare(store, "E1", NOON, NOON + timedelta(minutes=5), max_gap=0)
    assert positions.sample_dates(store, "E1") == []
