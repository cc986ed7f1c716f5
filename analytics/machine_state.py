"""Machine states from readings (seed 002): off, idle or production, and time in each.

A reading is judged against the standard current and voltage of the
machine's element type: below `on_voltage_ratio` of the standard voltage, or
drawing less than `idle_current_ratio` of the standard current, the machine
is off; from `production_current_ratio` of the standard current on it is in
production; in between it is idle. Each reading's state holds until the next
reading, but never longer than `gap_seconds`: a longer silence is "no data",
not more of the last state. Runs shorter than `min_state_seconds` are folded
into the run before them, so noise around a threshold does not break the
timeline into slivers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

OFF, IDLE, PRODUCTION, NO_DATA = "off", "idle", "production", "no data"
STATES = (OFF, IDLE, PRODUCTION)
#: Columns of a runs frame: [start, end) in UTC and the state held.
RUN_COLUMNS = ["start", "end", "state"]


@dataclass(frozen=True)
class Thresholds:
    on_voltage_ratio: float = 0.5
    idle_current_ratio: float = 0.02
    production_current_ratio: float = 0.5
    min_state_seconds: float = 5.0
    gap_seconds: float = 60.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Thresholds:
        return cls(
            on_voltage_ratio=config["machine_on_voltage_ratio"],
            idle_current_ratio=config["machine_idle_current_ratio"],
            production_current_ratio=config["machine_production_current_ratio"],
            min_state_seconds=config["machine_min_state_seconds"],
            gap_seconds=config["machine_reading_gap_seconds"],
        )


@dataclass(frozen=True)
class Shift:
    """A daily window of the plant's clock; `end` at or before `start` crosses midnight."""

    name: str
    start: time
    end: time


def classify(
    current: Sequence[float] | np.ndarray,
    voltage: Sequence[float] | np.ndarray,
    standard_current: float,
    standard_voltage: float,
    thresholds: Thresholds,
) -> np.ndarray:
    """The state of each reading; a reading missing either value is NO_DATA."""
    current = np.asarray(current, dtype=float)
    voltage = np.asarray(voltage, dtype=float)
    missing = np.isnan(current) | np.isnan(voltage)
    with np.errstate(invalid="ignore"):
        off = (voltage < thresholds.on_voltage_ratio * standard_voltage) | (
            current < thresholds.idle_current_ratio * standard_current
        )
        busy = current >= thresholds.production_current_ratio * standard_current
    states = np.where(off, OFF, np.where(busy, PRODUCTION, IDLE)).astype(object)
    states[missing] = NO_DATA
    return states


def runs(
    times: pd.DatetimeIndex | Sequence[datetime],
    states: Sequence[str] | np.ndarray,
    thresholds: Thresholds,
    end: datetime | None = None,
) -> pd.DataFrame:
    """Consecutive readings of one state as [start, end) runs, NO_DATA filling long gaps.

    The last reading holds until `end` (at most `gap_seconds` later); without
    `end` the runs stop at the last reading.
    """
    stamps = pd.DatetimeIndex(pd.to_datetime(times, utc=True)).as_unit("ns")
    labels = np.asarray(states, dtype=object)
    if len(stamps) != len(labels):
        raise ValueError("times and states differ in length")
    if len(stamps) == 0:
        return _runs_frame(np.array([], np.int64), np.array([], np.int64), labels)
    order = np.argsort(stamps.asi8, kind="stable")
    at, labels = stamps.asi8[order], labels[order]
    gap = int(thresholds.gap_seconds * 1e9)
    stop = at[-1] if end is None else max(at[-1], _ns(end))
    following = np.append(at[1:], stop)
    held = np.minimum(following, at + gap)
    silent = held < following  # a gap of no data after the reading
    starts = np.concatenate([at, held[silent]])
    ends = np.concatenate([held, following[silent]])
    labels = np.concatenate([labels, np.full(int(silent.sum()), NO_DATA, dtype=object)])
    order = np.argsort(starts, kind="stable")
    starts, ends, labels = starts[order], ends[order], labels[order]
    keep = ends > starts
    starts, ends, labels = _merge(starts[keep], ends[keep], labels[keep])
    if thresholds.min_state_seconds > 0:
        labels = _fold_short(starts, ends, labels, thresholds.min_state_seconds)
        starts, ends, labels = _merge(starts, ends, labels)
    return _runs_frame(starts, ends, labels)


def _ns(value: datetime | pd.Timestamp) -> int:
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return int(stamp.as_unit("ns").value)


def _runs_frame(starts: np.ndarray, ends: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "start": pd.to_datetime(starts.astype(np.int64), utc=True, unit="ns"),
            "end": pd.to_datetime(ends.astype(np.int64), utc=True, unit="ns"),
            "state": labels.astype(object),
        },
        columns=RUN_COLUMNS,
    )


def _merge(
    starts: np.ndarray, ends: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Neighbouring runs of one state that touch become one."""
    if len(starts) == 0:
        return starts, ends, labels
    new = np.ones(len(starts), dtype=bool)
    new[1:] = (labels[1:] != labels[:-1]) | (starts[1:] != ends[:-1])
    heads = np.flatnonzero(new)
    return starts[heads], np.maximum.reduceat(ends, heads), labels[heads]


def _fold_short(
    starts: np.ndarray, ends: np.ndarray, labels: np.ndarray, seconds: float
) -> np.ndarray:
    """A run shorter than `seconds` takes the state of the run it follows; one with no
    run just before it (the first, or after a gap) takes the state of the run after it.
    NO_DATA runs are facts and keep their state."""
    labels = labels.copy()
    short = ((ends - starts) < seconds * 1e9) & (labels != NO_DATA)
    adopted = np.zeros(len(labels), dtype=bool)
    for i in np.flatnonzero(short):
        steady_before = i > 0 and (not short[i - 1] or adopted[i - 1])
        if steady_before and labels[i - 1] != NO_DATA and ends[i - 1] == starts[i]:
            labels[i], adopted[i] = labels[i - 1], True
    for i in np.flatnonzero(short & ~adopted)[::-1]:
        if i + 1 < len(labels) and labels[i + 1] != NO_DATA and starts[i + 1] == ends[i]:
            labels[i] = labels[i + 1]
    return labels


def time_in_states(
    runs_frame: pd.DataFrame, windows: Sequence[tuple[datetime, datetime, str]]
) -> pd.DataFrame:
    """Seconds in each state inside each window: one row per window label, one column
    per state (NO_DATA included when it occurs). Windows of one label add up."""
    columns = [*STATES, NO_DATA]
    if not windows:
        return pd.DataFrame(columns=columns, dtype=float)
    starts = pd.DatetimeIndex(runs_frame["start"]).as_unit("ns").asi8
    ends = pd.DatetimeIndex(runs_frame["end"]).as_unit("ns").asi8
    states = runs_frame["state"].to_numpy()
    labels = list(dict.fromkeys(label for _, _, label in windows))
    row_of = {label: i for i, label in enumerate(labels)}
    column_of = np.array([columns.index(state) for state in states], dtype=int)
    seconds = np.zeros((len(labels), len(columns)))
    for w_start, w_end, label in windows:
        lo, hi = _ns(w_start), _ns(w_end)
        first = np.searchsorted(ends, lo, side="right")
        last = np.searchsorted(starts, hi, side="left")
        if first < last:
            overlap = np.minimum(ends[first:last], hi) - np.maximum(starts[first:last], lo)
            np.add.at(seconds[row_of[label]], column_of[first:last], overlap / 1e9)
    table = pd.DataFrame(seconds, index=pd.Index(labels), columns=columns)
    used = [c for c in columns if c in STATES or table[c].any()]
    return table[used]


def day_windows(runs_frame: pd.DataFrame, tz: str) -> list[tuple[datetime, datetime, str]]:
    """The plant's calendar days the runs touch, midnight to midnight in `tz`."""
    if runs_frame.empty:
        return []
    zone = ZoneInfo(tz)
    first = runs_frame["start"].min().tz_convert(zone).date()
    last = (runs_frame["end"].max() - pd.Timedelta(microseconds=1)).tz_convert(zone).date()
    days = pd.date_range(first, last, freq="D")
    return [
        (
            _local(d.date(), time(0), zone),
            _local(d.date() + timedelta(days=1), time(0), zone),
            d.date().isoformat(),
        )
        for d in days
    ]


def shift_windows(
    runs_frame: pd.DataFrame, shifts: Sequence[Shift], tz: str
) -> list[tuple[datetime, datetime, str]]:
    """Every occurrence of every shift over the days the runs touch (and the evening
    before, for shifts that cross midnight into the first day)."""
    if runs_frame.empty or not shifts:
        return []
    zone = ZoneInfo(tz)
    first = runs_frame["start"].min().tz_convert(zone).date() - timedelta(days=1)
    last = runs_frame["end"].max().tz_convert(zone).date()
    windows = []
    day = first
    while day <= last:
        for shift in shifts:
            ends_next_day = shift.end <= shift.start
            end_day = day + timedelta(days=1) if ends_next_day else day
            windows.append(
                (_local(day, shift.start, zone), _local(end_day, shift.end, zone), shift.name)
            )
        day += timedelta(days=1)
    return windows


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time of the plant as UTC; clocks jumping forward skip to after the jump."""
    stamp = pd.Timestamp(datetime.combine(day, at)).tz_localize(
        zone, ambiguous=True, nonexistent="shift_forward"
    )
    return stamp.tz_convert("UTC").to_pydatetime()


def parse_clock(text: str) -> time:
    """'06:00' as a time of day; ValueError for anything else."""
    if not isinstance(text, str) or len(text) != 5 or text[2] != ":":
        raise ValueError(f"'{text}' is not a time of day as HH:MM")
    hours, minutes = text[:2], text[3:]
    if not (hours.isdigit() and minutes.isdigit()) or int(hours) > 23 or int(minutes) > 59:
        raise ValueError(f"'{text}' is not a time of day as HH:MM")
    return time(int(hours), int(minutes))
