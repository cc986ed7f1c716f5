"""analytics/battery_alarms.py: readings against the limits, known answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from analytics.battery_alarms import Limits, alarms, spans

LIMITS = Limits(
    max_temperature=45, min_temperature=0, min_state_of_charge=20, min_state_of_health=80
)


def kinds(reading: dict) -> list[str]:
    return [a.kind for a in alarms(reading, LIMITS)]


def test_a_healthy_reading_raises_nothing() -> None:
    reading = {"temperature": 30.0, "state_of_charge": 55.0, "state_of_health": 92.0}
    assert alarms(reading, LIMITS) == []
    # exactly at a limit is not past it
    assert kinds({"temperature": 45.0, "state_of_charge": 20.0, "state_of_health": 80.0}) == []


def test_each_limit_raises_its_alarm() -> None:
    assert kinds({"temperature": 51.2}) == ["over-temperature"]
    assert kinds({"temperature": -3.0}) == ["under-temperature"]
    assert kinds({"state_of_charge": 12.0}) == ["low charge"]
    assert kinds({"state_of_health": 79.5}) == ["low health"]
    both = alarms({"temperature": 50.0, "state_of_charge": 5.0, "state_of_health": 70.0}, LIMITS)
    assert [a.kind for a in both] == ["over-temperature", "low charge", "low health"]
    assert both[0].message == "over-temperature: temperature 50.0 °C is above 45 °C"
    assert both[1].message == "low charge: state of charge 5.0 % is below 20 %"
    assert (both[2].value, both[2].limit) == (70.0, 80)


def test_missing_values_raise_no_alarm() -> None:
    assert kinds({"temperature": float("nan"), "state_of_charge": None}) == []
    assert kinds({}) == []


def test_spans_of_broken_readings() -> None:
    t0 = datetime(2026, 1, 5, tzinfo=UTC)
    times = [t0 + timedelta(seconds=10 * k) for k in range(8)]
    rule = LIMITS.rules()[0]  # over-temperature
    broken = rule.broken(np.array([40, 46, 47, 44, np.nan, 50, 50, 50]))
    assert list(broken) == [False, True, True, False, False, True, True, True]
    found = spans(times, broken)
    assert [(a.to_pydatetime(), b.to_pydatetime()) for a, b in found] == [
        (times[1], times[2]),
        (times[5], times[7]),
    ]
    assert spans(times, np.zeros(8, bool)) == []
