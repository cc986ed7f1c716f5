"""analytics/machine_state.py on hand-built series whose answers are known."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import numpy as np
import pandas as pd
import pytest

from analytics.machine_state import (
    IDLE,
    NO_DATA,
    OFF,
    PRODUCTION,
    Shift,
    Thresholds,
    classify,
    day_windows,
    parse_clock,
    runs,
    shift_windows,
    time_in_states,
)

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
#: No folding, one-minute gaps: what the readings say, nothing smoothed.
PLAIN = Thresholds(min_state_seconds=0, gap_seconds=60)


def seconds(*offsets: float) -> pd.DatetimeIndex:
    return pd.DatetimeIndex([T0 + timedelta(seconds=s) for s in offsets])


def as_tuples(frame: pd.DataFrame) -> list[tuple[float, float, str]]:
    """Runs as (start, end) seconds after T0 and state."""
    return [
        ((r.start - T0).total_seconds(), (r.end - T0).total_seconds(), r.state)
        for r in frame.itertuples()
    ]


def test_classify_against_the_standard() -> None:
    # standard 40 A / 400 V; off below 200 V or 0.8 A, production from 20 A
    thresholds = Thresholds(
        on_voltage_ratio=0.5, idle_current_ratio=0.02, production_current_ratio=0.5
    )
    current = [0.0, 30.0, 5.0, 0.5, 20.0, 19.99, np.nan, 25.0, 0.8]
    voltage = [0.0, 150.0, 400.0, 400.0, 400.0, 400.0, 400.0, np.nan, 230.0]
    assert list(classify(current, voltage, 40.0, 400.0, thresholds)) == [
        OFF,
        OFF,
        IDLE,
        OFF,
        PRODUCTION,
        IDLE,
        NO_DATA,
        NO_DATA,
        IDLE,
    ]


def test_runs_merge_readings_and_hold_until_the_next() -> None:
    frame = runs(
        seconds(0, 1, 2, 3, 4, 5),
        [IDLE, IDLE, PRODUCTION, PRODUCTION, PRODUCTION, OFF],
        PLAIN,
        end=T0 + timedelta(seconds=10),
    )
    assert as_tuples(frame) == [(0, 2, IDLE), (2, 5, PRODUCTION), (5, 10, OFF)]
    assert list(frame.columns) == ["start", "end", "state"]
    assert str(frame["start"].dt.tz) == "UTC"


def test_a_long_silence_is_no_data_not_the_last_state() -> None:
    frame = runs(seconds(0, 30, 200, 230), [PRODUCTION] * 4, PLAIN)
    assert as_tuples(frame) == [(0, 90, PRODUCTION), (90, 200, NO_DATA), (200, 230, PRODUCTION)]
    # the last reading holds until `end`, at most a gap long
    tail = runs(seconds(0), [IDLE], PLAIN, end=T0 + timedelta(hours=1))
    assert as_tuples(tail) == [(0, 60, IDLE), (60, 3600, NO_DATA)]
    assert as_tuples(runs(seconds(0), [IDLE], PLAIN)) == []  # nothing after the last reading


def test_unsorted_readings_and_empty_input() -> None:
    frame = runs(seconds(2, 0, 1), [OFF, IDLE, IDLE], PLAIN, end=T0 + timedelta(seconds=3))
    assert as_tuples(frame) == [(0, 2, IDLE), (2, 3, OFF)]
    empty = runs([], [], PLAIN)
    assert empty.empty and list(empty.columns) == ["start", "end", "state"]
    with pytest.raises(ValueError, match="differ in length"):
        runs(seconds(0, 1), [IDLE], PLAIN)


def test_slivers_fold_into_the_state_before() -> None:
    folding = Thresholds(min_state_seconds=5, gap_seconds=60)
    states = [PRODUCTION] * 10 + [IDLE] * 2 + [PRODUCTION] * 10 + [IDLE] * 20
    frame = runs(seconds(*range(42)), states, folding, end=T0 + timedelta(seconds=42))
    assert as_tuples(frame) == [(0, 22, PRODUCTION), (22, 42, IDLE)]
    # slivers at the very start take the first steady state after them
    start = runs(
        seconds(*range(13)),
        [IDLE, PRODUCTION] + [OFF] * 11,
        folding,
        end=T0 + timedelta(seconds=13),
    )
    assert as_tuples(start) == [(0, 13, OFF)]
    # a gap is a fact: the sliver after it is not merged across it
    gapped = runs(
        seconds(0, 10, 100, 101, 102),
        [IDLE, IDLE, PRODUCTION, IDLE, IDLE],
        folding,
        end=T0 + timedelta(seconds=110),
    )
    assert as_tuples(gapped) == [(0, 70, IDLE), (70, 100, NO_DATA), (100, 110, IDLE)]


def test_time_in_states_per_window() -> None:
    frame = pd.DataFrame(
        {
            "start": seconds(0, 600, 1800),
            "end": seconds(600, 1800, 3600),
            "state": [OFF, PRODUCTION, IDLE],
        }
    )
    hours = [
        (T0, T0 + timedelta(minutes=20), "a"),
        (T0 + timedelta(minutes=20), T0 + timedelta(hours=2), "b"),
        (T0 - timedelta(hours=1), T0, "before"),
    ]
    table = time_in_states(frame, hours)
    assert table.loc["a"].to_dict() == {OFF: 600.0, IDLE: 0.0, PRODUCTION: 600.0}
    assert table.loc["b"].to_dict() == {OFF: 0.0, IDLE: 1800.0, PRODUCTION: 600.0}
    assert table.loc["before"].sum() == 0
    assert NO_DATA not in table.columns  # shown only when there was a gap
    # windows of one label add up (a shift on many days)
    twice = time_in_states(
        frame,
        [
            (T0, T0 + timedelta(minutes=5), "x"),
            (T0 + timedelta(minutes=30), T0 + timedelta(minutes=40), "x"),
        ],
    )
    assert twice.loc["x"].to_dict() == {OFF: 300.0, IDLE: 600.0, PRODUCTION: 0.0}


def test_days_follow_the_plant_clock() -> None:
    # 22:00 UTC on 1 March to 02:00 UTC on 2 March; Berlin is UTC+1 in March
    start = datetime(2026, 3, 1, 22, tzinfo=UTC)
    frame = pd.DataFrame(
        {"start": [start], "end": [start + timedelta(hours=4)], "state": [PRODUCTION]}
    )
    utc = time_in_states(frame, day_windows(frame, "UTC"))
    assert utc[PRODUCTION].to_dict() == {"2026-03-01": 7200.0, "2026-03-02": 7200.0}
    berlin = time_in_states(frame, day_windows(frame, "Europe/Berlin"))
    assert berlin[PRODUCTION].to_dict() == {"2026-03-01": 3600.0, "2026-03-02": 10800.0}


def test_a_day_with_a_clock_change_has_23_hours() -> None:
    # Berlin moves to summer time on 29 March 2026: that day is 23 hours long
    start = datetime(2026, 3, 28, 23, tzinfo=UTC)  # local midnight of the 29th
    frame = pd.DataFrame({"start": [start], "end": [start + timedelta(hours=23)], "state": [IDLE]})
    (window,) = day_windows(frame, "Europe/Berlin")
    assert window[2] == "2026-03-29" and window[1] - window[0] == timedelta(hours=23)


def test_shifts_including_one_across_midnight() -> None:
    start = datetime(2026, 3, 2, 0, tzinfo=UTC)
    frame = pd.DataFrame(
        {
            "start": [start, start + timedelta(hours=12)],
            "end": [start + timedelta(hours=12), start + timedelta(hours=24)],
            "state": [PRODUCTION, IDLE],
        }
    )
    shifts = [
        Shift("early", time(6), time(14)),
        Shift("late", time(14), time(22)),
        Shift("night", time(22), time(6)),
    ]
    table = time_in_states(frame, shift_windows(frame, shifts, "UTC"))
    assert table.loc["early"].to_dict() == {OFF: 0.0, IDLE: 7200.0, PRODUCTION: 21600.0}
    assert table.loc["late"].to_dict() == {OFF: 0.0, IDLE: 28800.0, PRODUCTION: 0.0}
    # night: 00-06 of this day (the shift of the day before) and 22-24
    assert table.loc["night"].to_dict() == {OFF: 0.0, IDLE: 7200.0, PRODUCTION: 21600.0}
    assert table.to_numpy().sum() == 24 * 3600


def test_clock_texts() -> None:
    assert parse_clock("06:30") == time(6, 30) and parse_clock("23:59") == time(23, 59)
    for bad in ("6:30", "24:00", "12:60", "ab:cd", "12-30", "", None):
        with pytest.raises(ValueError, match="HH:MM"):
            parse_clock(bad)  # type: ignore[arg-type]
