"""A small simulated plant, so Vigil can be demonstrated and tested without a customer's data.

Everything is drawn from numpy generators seeded by `(seed, stream)`, so the same
`(days, seed, end)` always gives the same frames, and the anomalies are injected into the
readings themselves: their ground truth is known, and analysts see them in the charts.

Conventions: readings lie on a grid that ends exactly at `end` (the first sample is one step
after `end - days`); battery current is positive while charging.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.schema import ENTITY_COLUMNS, metadata

DAY = 86_400
MACHINE_STEP = 1
BATTERY_STEP = 10
POSITIONS_SECONDS = 3_600
MIN_DAYS = 1 / 24

OFF, IDLE, PRODUCTION = 0, 1, 2
STATES = ("off", "idle", "production")
#: Log-normal dwell per state outside the night: median (s), sigma, minimum (s).
DWELLS = {OFF: (900, 0.6, 60), IDLE: (300, 0.7, 30), PRODUCTION: (3000, 0.5, 300)}

#: Sensors whose heartbeats stop hours before `end`, 11..40 minutes before it, and that are
#: installed during the range.
N_SENSORS, N_DEAD, N_SILENT, N_LATE = 50, 5, 4, 3

ELEMENT_TYPES = pd.DataFrame(
    {
        "type": ["press", "lathe", "welder"],
        "range": ["0-63 A", "0-40 A", "0-50 A"],
        "standard_current": [45.0, 28.0, 32.0],
        "standard_voltage": [400.0, 400.0, 230.0],
        "element_description": [
            "Servo press, three-phase 400 V",
            "CNC turning centre, three-phase 400 V",
            "MIG/MAG welding power source, 230 V supply",
        ],
    }
)

MACHINES = pd.DataFrame(
    {
        "machine_id": ["M1", "M2", "M3", "M4", "M5", "M6"],
        "name": [
            "Servo press 1",
            "Servo press 2",
            "CNC lathe 1",
            "CNC lathe 2",
            "Welding cell 1",
            "Welding cell 2",
        ],
        "model": ["ServoLine 250", "NS1-2000D", "CLX 450", "ST-20Y", "Power Wave S500", "TPS 500i"],
        "maker": ["Schuler", "Aida", "DMG Mori", "Haas", "Lincoln Electric", "Fronius"],
        "capacity_in_amp": [63.0, 63.0, 40.0, 40.0, 50.0, 50.0],
        "element_type": ["press", "press", "lathe", "lathe", "welder", "welder"],
        "date_of_purchase": [
            dt.date(2016, 4, 12),
            dt.date(2019, 9, 3),
            dt.date(2018, 2, 20),
            dt.date(2021, 6, 15),
            dt.date(2017, 11, 8),
            dt.date(2022, 3, 1),
        ],
    }
)

#: Lights-out machining: this lathe also runs at night.
NIGHT_SHIFT = frozenset({"M3"})

OPERATOR_SHIFTS = pd.DataFrame(
    {
        "shift_id": ["early", "late", "night"],
        "name": ["Early", "Late", "Night"],
        "operator": ["A. Novak", "R. Iyer", "K. Mensah"],
        "machine_id": [None, None, "M3"],
        "start_time": ["06:00", "14:00", "22:00"],
        "end_time": ["14:00", "22:00", "06:00"],
    }
)

#: What operators wrote when they noticed an injected fault (by kind).
REMARKS = {
    "spike": "Current spike when the tool engaged; inspected, no damage found.",
    "sag": "Lights flickered on the line, supply dipped for a moment.",
    "stuck": "Current display frozen; the meter cable was reseated.",
    "drift": "Spindle load creeping up, tool change scheduled.",
}

BATTERIES = pd.DataFrame(
    {
        "battery_id": ["B1", "B2", "B3", "B4"],
        "name": ["BESS rack A1", "BESS rack A2", "BESS rack B1", "BESS rack B2"],
        "capacity_kwh": [215.0, 215.0, 250.0, 250.0],
    }
)

SENSOR_KINDS = ("vibration", "temperature", "humidity", "pressure", "current")

GEOMS = pd.DataFrame(
    {"geom_id": ["G1", "G2", "G3"], "device_id": ["tag-01", "tag-02", "tag-03"], "shape": "circle"}
)
FLOOR = (40.0, 25.0)

#: (injected kind or None for a decoy, entity, columns, nominal duration in seconds).
EVENTS = (
    ("spike", "M1", "current", 15),
    ("spike", "M4", "current", 8),
    ("spike", "M5", "current", 25),
    ("sag", "M2", "voltage,current", 40),
    ("sag", "M6", "voltage,current", 20),
    ("stuck", "M3", "current", 30 * 60),
    ("drift", "M4", "current", 75 * 60),
    ("overheat", "B3", "temperature", 45 * 60),
    (None, "M2", "current", 20 * 60),
    (None, "M5", "voltage", 5 * 60),
    (None, "M6", "current", 2 * 60),
    (None, "B1", "current", 30 * 60),
)


@dataclass
class _Series:
    """One entity's readings while anomalies are injected into them."""

    table: str
    values: dict[str, np.ndarray]
    step: int
    scale: float = 1.0  # standard current: sizes current anomalies
    busy: np.ndarray | None = None  # where injected faults look natural (in production)


@dataclass(frozen=True)
class _Clock:
    """The simulated range, in whole seconds, so every grid ends exactly at `end`."""

    end: pd.Timestamp
    seconds: int

    @property
    def start(self) -> pd.Timestamp:
        return self.end - pd.Timedelta(seconds=self.seconds)

    def grid(self, step: int, seconds: int | None = None) -> np.ndarray:
        """Microseconds since the epoch of the last `seconds` (default all) on a `step` grid."""
        count = (self.seconds if seconds is None else seconds) // step
        end_us = self.end.value // 1_000
        return end_us - np.arange(count - 1, -1, -1, dtype=np.int64) * step * 1_000_000

    def second_of_day(self, offset: int) -> int:
        return int((self.start.value // 1_000_000_000 + offset) % DAY)


def simulate(
    days: float = 1.0, seed: int = 7, end: pd.Timestamp | None = None
) -> dict[str, pd.DataFrame]:
    """Frames for every simulated table, keyed by table name, with the schema's columns."""
    if days < MIN_DAYS:
        raise ValueError(f"days must be at least {MIN_DAYS:.4f} (one hour), got {days}")
    clock = _Clock(_resolve_end(end), round(days * DAY))

    def rng(stream: int) -> np.random.Generator:
        return np.random.default_rng([seed, stream])

    machine_series = {
        m.machine_id: _machine_series(rng(100 + k), clock, m.machine_id, m.element_type)
        for k, m in enumerate(MACHINES.itertuples())
    }
    battery_series = {
        b.battery_id: _battery_series(rng(200 + k), clock, b.capacity_kwh)
        for k, b in enumerate(BATTERIES.itertuples())
    }
    anomalies = _inject_events(rng(500), clock, seed, {**machine_series, **battery_series})
    sensors, heartbeats = _sensors(rng(300), clock)
    return {
        "element_types": _frame("element_types", ELEMENT_TYPES),
        "machines": _frame("machines", MACHINES),
        "operator_shifts": _frame("operator_shifts", OPERATOR_SHIFTS),
        "machine_remarks": _remarks(anomalies, clock),
        "machine_readings": _readings_frame(clock, machine_series),
        "batteries": _frame("batteries", BATTERIES),
        "battery_readings": _readings_frame(clock, battery_series),
        "sensors": sensors,
        "heartbeats": heartbeats,
        **_positions(rng(400), clock),
        "anomalies": anomalies,
    }


def _resolve_end(end: pd.Timestamp | None) -> pd.Timestamp:
    """Whole seconds in UTC, so the one-second grid of readings lands on round times."""
    end = pd.Timestamp.now(tz="UTC") if end is None else pd.Timestamp(end)
    end = end.tz_localize("UTC") if end.tzinfo is None else end.tz_convert("UTC")
    return end.floor("s").as_unit("us")


def _frame(table: str, data: pd.DataFrame | dict) -> pd.DataFrame:
    """Exactly the schema's columns, in its order, so frames load without renaming."""
    return pd.DataFrame({c.name: data[c.name] for c in metadata.tables[table].columns})


def _utc(us: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(np.asarray(us, dtype=np.int64).astype("datetime64[us]"), tz="UTC")


def _noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Gaussian noise cut at 4 sigma, so readings stay inside their state's plausible band."""
    return np.clip(rng.standard_normal(n), -4.0, 4.0)


def _lowpass(x: np.ndarray, tau: float) -> np.ndarray:
    """Causal exponential smoothing by convolution: thermal lag and smooth motion, vectorised."""
    kernel = np.exp(-np.arange(int(5 * tau) + 1) / tau)
    kernel /= kernel.sum()
    padded = np.concatenate([np.full(len(kernel) - 1, x[0]), x])
    return np.convolve(padded, kernel, mode="valid")


# Machines ------------------------------------------------------------------------------


def _is_night(second_of_day: int) -> bool:
    return second_of_day < 6 * 3600 or second_of_day >= 22 * 3600


def _dwell(rng: np.random.Generator, state: int, second_of_day: int, night: bool) -> int:
    """Seconds in a state: machines are switched off for the night and back on for the shift."""
    if state == OFF and night:
        until_six = (6 * 3600 - second_of_day) % DAY
        return until_six + int(rng.exponential(900))
    median, sigma, floor = DWELLS[state]
    return max(floor, int(rng.lognormal(np.log(median), sigma)))


def _next_state(rng: np.random.Generator, state: int, night: bool) -> int:
    if state != IDLE:
        return IDLE
    return PRODUCTION if rng.random() < (0.15 if night else 0.85) else OFF


def _state_segments(
    rng: np.random.Generator, clock: _Clock, night_shift: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Start offsets (s) and states of a semi-Markov process whose odds follow the shifts."""

    def night(offset: int) -> bool:
        return not night_shift and _is_night(clock.second_of_day(offset))

    state = OFF if night(0) else int(rng.choice([IDLE, PRODUCTION], p=[0.3, 0.7]))
    starts, states, offset = [], [], 0
    while offset < clock.seconds:
        starts.append(offset)
        states.append(state)
        sod = clock.second_of_day(offset)
        offset += _dwell(rng, state, sod, night(offset))
        state = _next_state(rng, state, night(offset))
    return np.array(starts), np.array(states)


def _machine_series(
    rng: np.random.Generator, clock: _Clock, machine_id: str, element_type: str
) -> _Series:
    """Current follows the state (0, 10-20 % or 70-110 % of standard); voltage is on or off."""
    standard = ELEMENT_TYPES.set_index("type").loc[element_type]
    n = clock.seconds // MACHINE_STEP
    starts, states = _state_segments(rng, clock, machine_id in NIGHT_SHIFT)
    segment = np.searchsorted(starts, np.arange(1, n + 1) * MACHINE_STEP, side="right") - 1
    state = states[segment]
    levels = np.select(
        [states == IDLE, states == PRODUCTION],
        [rng.uniform(0.10, 0.18, len(states)), rng.uniform(0.78, 0.98, len(states))],
        0.0,
    )
    t = np.arange(n) * MACHINE_STEP
    wander = 0.04 * np.sin(2 * np.pi * t / rng.uniform(600, 1800) + rng.uniform(0, 2 * np.pi))
    sigma = np.array([0.002, 0.008, 0.025])[state]
    fraction = levels[segment] + sigma * _noise(rng, n) + np.where(state == PRODUCTION, wander, 0)
    mains = 2.0 * np.sin(2 * np.pi * t / DAY + rng.uniform(0, 2 * np.pi))
    voltage = standard.standard_voltage + mains + 1.5 * _noise(rng, n)
    on = state != OFF
    return _Series(
        table="machine_readings",
        values={
            "current": standard.standard_current * np.abs(fraction),
            "voltage": np.where(on, voltage, 0.0),
            "state": state,
        },
        step=MACHINE_STEP,
        scale=float(standard.standard_current),
        busy=state == PRODUCTION,
    )


# Batteries -----------------------------------------------------------------------------


def _battery_series(rng: np.random.Generator, clock: _Clock, capacity_kwh: float) -> _Series:
    """Charge/discharge cycles: current is the state of charge's derivative, then integrated."""
    n = clock.seconds // BATTERY_STEP
    t = np.arange(n) * BATTERY_STEP
    periods = rng.uniform([5 * 3600, 1.5 * 3600], [9 * 3600, 3 * 3600])
    amplitudes = rng.uniform([25, 5], [32, 8])
    phases = rng.uniform(0, 2 * np.pi, 2)
    omega = 2 * np.pi / periods
    d_soc = (amplitudes * omega * np.cos(np.outer(t, omega) + phases)).sum(axis=1)  # %/s
    nominal_voltage = 760.0
    to_amp = capacity_kwh * 3.6e6 / 100 / nominal_voltage
    current = d_soc * to_amp
    current *= min(1.0, 140.0 / np.abs(current).max())
    current += 1.5 * _noise(rng, n)
    soc0 = 50 + (amplitudes * np.sin(phases)).sum()
    soc = np.clip(soc0 + np.cumsum(current) * BATTERY_STEP / to_amp, 0, 100)
    voltage = 700 + 1.1 * soc + 0.08 * current + 0.5 * _noise(rng, n)
    ambient = 23 + 1.5 * np.sin(2 * np.pi * t / DAY + rng.uniform(0, 2 * np.pi))
    temperature = ambient + 0.09 * _lowpass(np.abs(current), 120) + 0.15 * _noise(rng, n)
    health = rng.uniform(88, 97) - 0.02 * t / DAY
    return _Series(
        table="battery_readings",
        values={
            "voltage": voltage,
            "current": current,
            "temperature": temperature,
            "state_of_charge": soc,
            "state_of_health": health,
        },
        step=BATTERY_STEP,
    )


def _readings_frame(clock: _Clock, series: dict[str, _Series]) -> pd.DataFrame:
    """One entity after another, each over the whole grid, rounded like a real meter."""
    first = next(iter(series.values()))
    table, step = first.table, first.step
    entity_column = ENTITY_COLUMNS[table]
    times = clock.grid(step)
    data: dict[str, object] = {
        entity_column: np.repeat(np.array(list(series), dtype=object), len(times)),
        "time": _utc(np.tile(times, len(series))),
    }
    for column in first.values:
        values = np.concatenate([s.values[column] for s in series.values()])
        if column == "state":
            data[column] = np.array(STATES, dtype=object)[values]
        else:
            data[column] = np.round(values, 1 if column == "voltage" else 2)
    return _frame(table, data)


# Anomalies -----------------------------------------------------------------------------


def _spike(series: _Series, window: slice, rng: np.random.Generator) -> None:
    n = window.stop - window.start
    peak = series.scale * rng.uniform(1.2, 2.0)
    series.values["current"][window] += peak * np.exp(-np.arange(n) / max(1.0, n / 3))


def _sag(series: _Series, window: slice, rng: np.random.Generator) -> None:
    """Constant-power loads draw more current while the supply voltage dips."""
    series.values["voltage"][window] *= rng.uniform(0.70, 0.85)
    series.values["current"][window] *= 1.1


def _stuck(series: _Series, window: slice, rng: np.random.Generator) -> None:
    series.values["current"][window] = series.values["current"][window.start]


def _drift(series: _Series, window: slice, rng: np.random.Generator) -> None:
    n = window.stop - window.start
    series.values["current"][window] += series.scale * rng.uniform(0.25, 0.4) * np.linspace(0, 1, n)


def _overheat(series: _Series, window: slice, rng: np.random.Generator) -> None:
    """A failed cooling fan: the rack heats to 50-58 degC whatever it was at, then recovers."""
    temperature = series.values["temperature"]
    n = window.stop - window.start
    peak = rng.uniform(50, 58) - temperature[window.start]
    temperature[window] += peak * np.sin(np.pi * np.linspace(0, 1, n))


INJECTORS: dict[str, Callable[[_Series, slice, np.random.Generator], None]] = {
    "spike": _spike,
    "sag": _sag,
    "stuck": _stuck,
    "drift": _drift,
    "overheat": _overheat,
}


def _place(
    rng: np.random.Generator, series: _Series, taken: np.ndarray, n: int, faulty: bool
) -> slice:
    """A free window away from the range's edges; faults land in production where possible."""
    size = len(taken)
    starts = np.arange(int(0.05 * size), int(0.95 * size) - n)
    used = np.concatenate([[0], np.cumsum(taken)])
    starts = starts[used[starts + n] == used[starts]]
    if faulty and series.busy is not None:
        resting = np.concatenate([[0], np.cumsum(~series.busy)])
        for natural in (resting[starts + n] == resting[starts], series.busy[starts]):
            if natural.any():
                starts = starts[natural]
                break
    first = int(rng.choice(starts))
    return slice(first, first + n)


def _inject_events(
    rng: np.random.Generator, clock: _Clock, seed: int, series: dict[str, _Series]
) -> pd.DataFrame:
    """Windows on one entity never overlap nor touch, so each label has one ground truth."""
    taken = {entity: np.zeros(len(s.values["current"]), dtype=bool) for entity, s in series.items()}
    rows = []
    for kind, entity, columns, seconds in EVENTS:
        target = series[entity]
        n = max(1, int(min(seconds, 0.06 * clock.seconds) / target.step))
        window = _place(rng, target, taken[entity], n, kind is not None)
        gap = int(min(300, 0.02 * clock.seconds) / target.step)
        taken[entity][max(0, window.start - gap) : window.stop + gap] = True
        if kind is not None:
            INJECTORS[kind](target, window, rng)
        times = clock.grid(target.step)
        rows.append(
            {
                "table_name": target.table,
                "entity_id": entity,
                "start": times[window.start],
                "end": times[window.stop - 1],
                "columns": columns,
                "score": round(rng.uniform(0.5, 0.97) if kind else rng.uniform(0.3, 0.65), 3),
                "details": json.dumps({"injected": kind}),
            }
        )
    return _anomaly_frame(rows, clock, seed)


def _anomaly_frame(rows: list[dict], clock: _Clock, seed: int) -> pd.DataFrame:
    """Ids follow time, so `sim-<seed>-1` is the earliest event."""
    frame = pd.DataFrame(rows).sort_values("start", ignore_index=True)
    frame["id"] = [f"sim-{seed}-{k}" for k in range(1, len(frame) + 1)]
    frame["start"], frame["end"] = _utc(frame["start"]), _utc(frame["end"])
    frame["detector"], frame["version"] = "simulator", "1"
    frame["created"] = _utc(np.full(len(frame), clock.end.value // 1_000))
    return _frame("anomalies", frame)


def _remarks(anomalies: pd.DataFrame, clock: _Clock) -> pd.DataFrame:
    """An operator's remark at each injected machine fault the operators would notice."""
    rows = []
    for event in anomalies.itertuples():
        kind = json.loads(event.details)["injected"]
        if event.table_name != "machine_readings" or kind not in REMARKS:
            continue
        rows.append(
            {
                "remark_id": f"demo-{event.id}",
                "machine_id": event.entity_id,
                "time": event.start,
                "author": OPERATOR_SHIFTS["operator"].iloc[len(rows) % len(OPERATOR_SHIFTS)],
                "text": REMARKS[kind],
                "created": event.start + pd.Timedelta(minutes=5),
            }
        )
    frame = pd.DataFrame(
        rows, columns=["remark_id", "machine_id", "time", "author", "text", "created"]
    )
    frame["time"] = pd.to_datetime(frame["time"], utc=True).dt.as_unit("us")
    frame["created"] = pd.to_datetime(frame["created"], utc=True).dt.as_unit("us")
    return _frame("machine_remarks", frame)


# Sensors -------------------------------------------------------------------------------


def _sensor_table(rng: np.random.Generator, clock: _Clock, count: int = N_SENSORS) -> pd.DataFrame:
    """Sensors with their installation time and their last possible heartbeat (`end` if alive).

    Of every 50 sensors 5 die hours before `end`, 4 fall silent 11 to 40 minutes
    before it and 3 are installed during the range.
    """
    start_us, end_us = clock.start.value // 1_000, clock.end.value // 1_000
    seconds = clock.seconds
    n_dead, n_silent = count * N_DEAD // N_SENSORS, count * N_SILENT // N_SENSORS
    n_late = count * N_LATE // N_SENSORS
    roles = rng.permutation(count)
    dead, silent = roles[:n_dead], roles[n_dead : n_dead + n_silent]
    late = roles[n_dead + n_silent : n_dead + n_silent + n_late]
    installed = start_us - (rng.uniform(30, 400, count) * DAY).astype(np.int64) * 1_000_000
    installed[late] = (
        start_us + (rng.uniform(0.3, 0.7, n_late) * seconds).astype(np.int64) * 1_000_000
    )
    stop = np.full(count, end_us)
    stop[dead] = end_us - (rng.uniform(2, 6, n_dead) * 3600e6).astype(np.int64)
    stop[silent] = end_us - (rng.uniform(11, 40, n_silent) * 60e6).astype(np.int64)
    width = max(2, len(str(count)))
    ids = [f"S{k:0{width}d}" for k in range(1, count + 1)]
    tags = [f"line-{k % 4 + 1}/{SENSOR_KINDS[k % len(SENSOR_KINDS)]}" for k in range(count)]
    return pd.DataFrame({"sensor_id": ids, "tags": tags, "installed_us": installed, "stop": stop})


def _beats(rng: np.random.Generator, begin_us: int, stop_us: int, every: float = 60) -> np.ndarray:
    """About one beat per `every` seconds with jitter; one in a hundred is lost on the way."""
    count = max(0, int((stop_us - begin_us) / (0.75 * every * 1e6)) + 2)
    gaps = np.clip(rng.normal(every, every / 15, count), 0.75 * every, 1.25 * every)
    offsets = rng.uniform(0, every) + np.concatenate([[0.0], np.cumsum(gaps[:-1])])
    times = begin_us + np.round(offsets * 1e3).astype(np.int64) * 1_000
    times = times[times <= stop_us]
    return times[rng.random(len(times)) > 0.01]


def fleet(
    count: int,
    days: float,
    every: float,
    seed: int = 7,
    end: pd.Timestamp | None = None,
    chunk: int = 100,
) -> tuple[pd.DataFrame, Iterator[pd.DataFrame]]:
    """A large fleet for benchmarks: the sensors, and their heartbeats `chunk` sensors at
    a time (sensor_id, time), so 86 million rows never sit in memory at once."""
    clock = _Clock(_resolve_end(end), round(days * DAY))
    rng = np.random.default_rng([seed, 301])
    table = _sensor_table(rng, clock, count)
    start_us = clock.start.value // 1_000

    def chunks() -> Iterator[pd.DataFrame]:
        for first in range(0, count, chunk):
            ids, times = [], []
            for sensor in table.iloc[first : first + chunk].itertuples():
                beats = _beats(rng, max(start_us, sensor.installed_us), sensor.stop, every)
                ids.append(np.full(len(beats), sensor.sensor_id, dtype=object))
                times.append(beats)
            yield pd.DataFrame(
                {"sensor_id": np.concatenate(ids), "time": _utc(np.concatenate(times))}
            )

    sensors = table.assign(installed=_utc(table["installed_us"]))
    return _frame("sensors", sensors), chunks()


def _sensors(rng: np.random.Generator, clock: _Clock) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sensors and their heartbeats; a few carry the sensor's battery level as JSON."""
    table = _sensor_table(rng, clock)
    start_us = clock.start.value // 1_000
    ids, times, levels = [], [], []
    for sensor in table.itertuples():
        beats = _beats(rng, max(start_us, sensor.installed_us), sensor.stop)
        battery = rng.uniform(40, 100) - rng.uniform(0.5, 3) * (beats - beats[:1]) / (DAY * 1e6)
        ids.append(np.full(len(beats), sensor.sensor_id, dtype=object))
        times.append(beats)
        levels.append(np.maximum(battery, 1).round().astype(int))
    battery = np.concatenate(levels)
    payload = np.full(len(battery), None, dtype=object)
    carries = rng.random(len(battery)) < 0.2
    payload[carries] = [f'{{"battery": {level}}}' for level in battery[carries]]
    sensors = table.assign(installed=_utc(table["installed_us"]))
    heartbeats = {"sensor_id": np.concatenate(ids), "time": _utc(np.concatenate(times))}
    return _frame("sensors", sensors), _frame("heartbeats", {**heartbeats, "payload": payload})


# Positions -----------------------------------------------------------------------------


def _walk(rng: np.random.Generator, n: int, low: float, high: float, speed: float) -> np.ndarray:
    """A smooth random walk folded back at the walls, like a tag carried around the hall."""
    velocity = _lowpass(rng.standard_normal(n), 20)
    position = rng.uniform(low, high) + np.cumsum(velocity / velocity.std() * speed)
    folded = np.mod(position - low, 2 * (high - low))
    return low + np.where(folded > high - low, 2 * (high - low) - folded, folded)


#: Raw readings the demo leaves for `prepare-geoms`: tags, rate (Hz), hours before the last.
RAW_TAGS, RAW_HZ, RAW_SECONDS = 4, 2, 7_200


def position_readings(
    rng: np.random.Generator,
    environment_id: str,
    devices: int,
    hz: int,
    start: pd.Timestamp,
    seconds: int,
    chunk_rows: int = 500_000,
) -> Iterator[pd.DataFrame]:
    """Raw tag positions as a tracking system reports them: `devices` tags at `hz` over
    `seconds` from `start`, each silent for a minute or two about every half hour (so
    its readings fall into several tracks). In frames of at most `chunk_rows`, one
    device after another, so a full day streams into a store in bounded memory."""
    n = seconds * hz
    if n <= 0:
        return
    start_us = pd.Timestamp(start).value // 1_000
    times = start_us + np.arange(n, dtype=np.int64) * (1_000_000 // hz)
    for k in range(devices):
        keep = np.ones(n, dtype=bool)
        for at in rng.uniform(0, n, size=max(1, seconds // 1_800)).astype(int):
            keep[at : at + int(rng.uniform(60, 120) * hz)] = False
        x = _walk(rng, n, 0.5, FLOOR[0] - 0.5, 0.4 / hz)[keep]
        y = _walk(rng, n, 0.5, FLOOR[1] - 0.5, 0.4 / hz)[keep]
        z = (1.0 + 0.05 * _noise(rng, n))[keep]
        t = times[keep]
        for i in range(0, len(t), chunk_rows):
            part = slice(i, i + chunk_rows)
            yield pd.DataFrame(
                {
                    "device_id": f"tag-{k + 1:02d}",
                    "environment_id": environment_id,
                    "time": _utc(t[part]),
                    "x": np.round(x[part], 3),
                    "y": np.round(y[part], 3),
                    "z": np.round(z[part], 3),
                }
            )


def _positions(rng: np.random.Generator, clock: _Clock) -> dict[str, pd.DataFrame]:
    """One hall, today's CUWB sample, three tags tracked for the last hour, and the raw
    readings of the two hours before it, left for `prepare-geoms`."""
    day = clock.end.date()
    sample_id = f"E1-{day.isoformat()}"
    times = clock.grid(1, min(POSITIONS_SECONDS, clock.seconds))
    n = len(times)
    coordinates = {
        "geom_id": np.repeat(GEOMS["geom_id"].to_numpy(dtype=object), n),
        "time": _utc(np.tile(times, len(GEOMS))),
        "x": np.concatenate([_walk(rng, n, 0.5, FLOOR[0] - 0.5, 0.4) for _ in range(len(GEOMS))]),
        "y": np.concatenate([_walk(rng, n, 0.5, FLOOR[1] - 0.5, 0.4) for _ in range(len(GEOMS))]),
        "z": 1.0 + 0.05 * _noise(rng, n * len(GEOMS)),
    }
    return {
        "environments": _frame(
            "environments", {"environment_id": ["E1"], "name": ["Assembly hall"]}
        ),
        "samples": _frame(
            "samples",
            {"sample_id": [sample_id], "environment_id": ["E1"], "date": [day], "source": ["cuwb"]},
        ),
        "geoms": _frame("geoms", GEOMS.assign(sample_id=sample_id)),
        "coordinates": _frame(
            "coordinates",
            {k: np.round(v, 3) if k in ("x", "y", "z") else v for k, v in coordinates.items()},
        ),
        "position_readings": _raw_positions(rng, clock),
    }


def _raw_positions(rng: np.random.Generator, clock: _Clock) -> pd.DataFrame:
    seconds = max(0, min(RAW_SECONDS, clock.seconds - POSITIONS_SECONDS))
    start = clock.end - pd.Timedelta(seconds=POSITIONS_SECONDS + seconds)
    frames = list(position_readings(rng, "E1", RAW_TAGS, RAW_HZ, start, seconds))
    empty = pd.DataFrame({c.name: [] for c in metadata.tables["position_readings"].columns})
    return _frame("position_readings", pd.concat(frames, ignore_index=True) if frames else empty)
