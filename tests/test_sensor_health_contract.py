"""Sensor health (seed 004) on every backend: hand-built heartbeats, answers known by hand.

Five sensors around a midnight, asked at 2026-01-06 00:10 UTC with 10 minutes
of silence allowed:
  A  23:50 23:55 | 00:00 00:05 00:08   alive; intervals 300 300 (across midnight) 300 180
  B  22:00 22:30 23:00                  stopped 70 min ago; intervals 1800 1800
  C  23:58                              stopped 12 min ago; one beat, no interval
  D  (registered, never heard)          silent, not stopped: no lifespan
  E  | 00:01:00 00:02:30                alive; interval 90
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from data.health import GAP_EDGES, bin_of
from data.store import Store
from errors import InvalidInput, NotFound

NOW = datetime(2026, 1, 6, 0, 10, tzinfo=UTC)
BEATS = {
    "A": [
        "2026-01-05 23:50",
        "2026-01-05 23:55",
        "2026-01-06 00:00",
        "2026-01-06 00:05",
        "2026-01-06 00:08",
    ],
    "B": ["2026-01-05 22:00", "2026-01-05 22:30", "2026-01-05 23:00"],
    "C": ["2026-01-05 23:58"],
    "E": ["2026-01-06 00:01:00", "2026-01-06 00:02:30"],
}


def beats(sensors: dict[str, list[str]]) -> pd.DataFrame:
    rows = [(s, pd.Timestamp(t, tz="UTC")) for s, times in sensors.items() for t in times]
    return pd.DataFrame(rows, columns=["sensor_id", "time"]).assign(payload=None)


def fill(store: Store, register: bool = True) -> None:
    if register:
        register_sensors(store)
    # out of order and in pieces: Jan 6 before Jan 5, A's two days in separate writes
    late = {s: [t for t in ts if t >= "2026-01-06"] for s, ts in BEATS.items()}
    early = {s: [t for t in ts if t < "2026-01-06"] for s, ts in BEATS.items()}
    store.write("heartbeats", beats({s: ts for s, ts in late.items() if ts}))
    store.write("heartbeats", beats({s: ts for s, ts in early.items() if ts}))


def register_sensors(store: Store) -> None:
    installed = pd.Timestamp("2025-06-01", tz="UTC")
    store.write(
        "sensors",
        pd.DataFrame({"sensor_id": list("ABCDE"), "tags": "line-1", "installed": installed}),
    )


def counts(health) -> dict[float, int]:
    return {b.lo: b.count for b in health.histogram if b.count}


def at(text: str) -> datetime:
    return pd.Timestamp(text, tz="UTC").to_pydatetime()


def test_fleet_answers(store: Store) -> None:
    fill(store)
    health = store.sensor_health(NOW, 10)
    assert (health.sensors, health.silent, health.stopped) == (5, 3, 2)
    assert health.share_silent == pytest.approx(0.6)
    assert health.mean_lifespan == pytest.approx((3600 + 0) / 2)
    assert health.mean_interval == pytest.approx((1080 + 3600 + 90) / (4 + 2 + 1))
    assert [(s.sensor_id, s.last) for s in health.silent_sensors] == [
        ("C", at("2026-01-05 23:58")),
        ("B", at("2026-01-05 23:00")),
        ("D", None),
    ]
    assert all(s.silent for s in health.silent_sensors)
    slowest = [(s.sensor_id, s.mean_interval, s.beats) for s in health.slowest]
    assert slowest == [("B", 1800.0, 3), ("A", 270.0, 5), ("E", 90.0, 2)]
    assert health.slowest[1].first == at("2026-01-05 23:50") and not health.slowest[1].silent
    assert counts(health) == {90: 1, 180: 1, 300: 3, 1800: 2}
    assert sum(b.count for b in health.histogram) == 7
    # the histogram runs without holes from the first bin used to the last
    assert [b.hi for b in health.histogram[:-1]] == [b.lo for b in health.histogram[1:]]


def test_one_sensor_and_the_limits(store: Store) -> None:
    fill(store)
    one = store.sensor_health(NOW, 10, sensor="A")
    assert (one.sensors, one.silent, one.mean_interval) == (1, 0, 270.0)
    assert one.mean_lifespan is None and one.silent_sensors == []
    assert counts(one) == {180: 1, 300: 3}
    never = store.sensor_health(NOW, 10, sensor="D")
    assert (never.sensors, never.silent, never.stopped, never.histogram) == (1, 1, 0, [])
    assert [s.sensor_id for s in store.sensor_health(NOW, 10, limit=1).silent_sensors] == ["C"]
    # a longer allowance: C (12 min) is no longer silent
    relaxed = store.sensor_health(NOW, 15)
    assert [s.sensor_id for s in relaxed.silent_sensors] == ["B", "D"]
    with pytest.raises(NotFound, match="unknown sensor 'Z'"):
        store.sensor_health(NOW, 10, sensor="Z")
    for minutes, limit, message in (
        (0, 10, "above 0"),
        (-5, 10, "above 0"),
        ("10", 10, "a number"),
        (10, 0, "limit"),
        (10, 5000, "limit"),
    ):
        with pytest.raises(InvalidInput, match=message):
            store.sensor_health(NOW, minutes, limit=limit)


def test_the_summary_follows_rewrites_and_rebuilds(store: Store) -> None:
    fill(store)
    expected = store.sensor_health(NOW, 10)
    # a beat inside A's day, between two others: two intervals become three
    store.write("heartbeats", beats({"A": ["2026-01-06 00:06"]}))
    changed = store.sensor_health(NOW, 10, sensor="A")
    assert changed.slowest[0].beats == 6 and changed.mean_interval == pytest.approx(1080 / 5)
    assert counts(changed) == {60: 1, 120: 1, 300: 3}
    store.delete_all("heartbeats")
    empty = store.sensor_health(NOW, 10)
    assert (empty.sensors, empty.silent, empty.mean_interval, empty.histogram) == (5, 5, None, [])
    fill(store, register=False)
    store.delete_all("sensors")  # sensors are known by their heartbeats too
    assert store.rebuild_rollups("heartbeats") == 11
    rebuilt = store.sensor_health(NOW, 10)
    assert (rebuilt.sensors, rebuilt.silent) == (4, 2)
    assert rebuilt.histogram == expected.histogram
    assert rebuilt.mean_interval == pytest.approx(expected.mean_interval)


def test_an_empty_store_has_no_sensors(store: Store) -> None:
    health = store.sensor_health(NOW, 10)
    assert (health.sensors, health.share_silent, health.mean_interval) == (0, None, None)
    assert health.histogram == []


def test_bins_match_the_edges() -> None:
    assert bin_of(0) == 0 and bin_of(4.99) == 0 and bin_of(5) == 1
    assert bin_of(300) == GAP_EDGES.index(450)
    assert bin_of(86_400) == len(GAP_EDGES) == bin_of(10**9)
    assert bin_of(timedelta(minutes=1).total_seconds()) == GAP_EDGES.index(90)
