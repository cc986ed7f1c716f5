"""Positions (seed 001): environments, their daily samples, the geoms tracked in a sample,
and 25-second windows of each geom's coordinates.

The queries behind the websocket's `getGeoms` / `getCoordinates` and the
positions page: every function takes a Store, so they run on every backend.
Results are plain JSON-ready values (text ids, ISO dates, epoch seconds).
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from data.records import MAX_ROWS
from data.store import Store
from errors import NotFound

#: One replay window (seed 001: "25 seconds of coordinates").
WINDOW_SECONDS = 25.0
#: Most coordinates one window returns: 25 s of 100 Hz tags is 2,500 per geom.
MAX_COORDINATES = 50_000


def environments(store: Store) -> list[dict[str, Any]]:
    """Every environment (hall, site) that has positions, by id."""
    found = store.rows("environments", order_by=["environment_id"], limit=MAX_ROWS)
    return _records([{"environment_id": r["environment_id"], "name": r["name"]} for r in found])


def sample_dates(store: Store, environment_id: str) -> list[date]:
    """The days an environment has a sample for, oldest first."""
    found = store.rows("samples", {"environment_id": environment_id}, limit=MAX_ROWS)
    return sorted({_as_date(r["date"]) for r in found})


def sample(store: Store, environment_id: str, day: date) -> dict[str, Any]:
    """The sample of an environment on a day; NotFound when there is none."""
    found = store.rows("samples", {"environment_id": environment_id, "date": day}, limit=1)
    if not found:
        raise NotFound(f"no sample for environment '{environment_id}' on {day.isoformat()}")
    return _records(found)[0]


def geoms(store: Store, sample_id: str, device_id: str | None = None) -> list[dict[str, Any]]:
    """The geoms of a sample (of one device when `device_id` is given), by id."""
    where = {"sample_id": sample_id, **({"device_id": device_id} if device_id else {})}
    return _records(store.rows("geoms", where, order_by=["geom_id"], limit=MAX_ROWS))


def sample_with_geoms(store: Store, environment_id: str, day: date) -> dict[str, Any]:
    """Seed 001's `getGeoms` answer: `{"sample": {...}, "geoms": [...]}`."""
    found = sample(store, environment_id, day)
    return {"sample": found, "geoms": geoms(store, found["sample_id"])}


def coordinates(
    store: Store,
    sample_id: str,
    device_id: str,
    start: datetime,
    seconds: float = WINDOW_SECONDS,
) -> dict[str, dict[str, list[float | None]]]:
    """Seed 001's `getCoordinates` answer: the device's geoms in the sample, each with
    its coordinates in [start, start + seconds), keyed by geom id, then by epoch
    seconds (as text: JSON keys), each `[x, y, z]`. NotFound when the device has
    no geom in the sample."""
    tracked = geoms(store, sample_id, device_id)
    if not tracked:
        raise NotFound(f"device '{device_id}' has no geom in sample '{sample_id}'")
    last = start + timedelta(seconds=seconds) - timedelta(microseconds=1)  # [start, end)
    out: dict[str, dict[str, list[float | None]]] = {}
    for geom in tracked:
        window: dict[str, list[float | None]] = {}
        chunks = store.read_rows(
            "coordinates", ["x", "y", "z"], start, last, {"geom_id": geom["geom_id"]}
        )
        for chunk in chunks:
            for t, x, y, z in chunk.itertuples():
                window[epoch_key(t)] = [_json_value(x), _json_value(y), _json_value(z)]
            if len(window) >= MAX_COORDINATES:
                break
        out[geom["geom_id"]] = window
    return out


def sample_span(store: Store, sample_id: str) -> tuple[datetime, datetime] | None:
    """First and last coordinate of any geom of the sample (None: no coordinates yet):
    the range a replay runs over."""
    spans = [
        store.time_range("coordinates", {"geom_id": g["geom_id"]}) for g in geoms(store, sample_id)
    ]
    found = [s for s in spans if s is not None]
    if not found:
        return None
    return min(s[0] for s in found), max(s[1] for s in found)


def floor_bounds(
    store: Store, sample_id: str, span: tuple[datetime, datetime]
) -> tuple[float, float, float, float] | None:
    """(x min, x max, y min, y max) over every coordinate of the sample, so a replay's
    floor plan keeps its scale from window to window. Read through the M4 path: each
    bucket's minimum and maximum are kept, so the extremes are exact at a few points
    per geom."""
    xs: list[float] = []
    ys: list[float] = []
    for geom in geoms(store, sample_id):
        read = store.read("coordinates", ["x", "y"], *span, 16, {"geom_id": geom["geom_id"]})
        x, y = (s.values.dropna() for s in read.series)
        xs += [x.min(), x.max()] if len(x) else []
        ys += [y.min(), y.max()] if len(y) else []
    if not xs or not ys:
        return None
    return float(min(xs)), float(max(xs)), float(min(ys)), float(max(ys))


def epoch_key(time: pd.Timestamp) -> str:
    """Epoch seconds as a JSON key: '1767607200', or '1767607200.25' below a second."""
    seconds = (time.value // 1_000) / 1e6  # Timestamp.value is in ns whatever the unit
    return str(int(seconds)) if seconds.is_integer() else repr(seconds)


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def _records(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: _json_value(v) for k, v in row.items()} for row in rows]


def _json_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, date):  # datetimes too: both have isoformat
        return value.isoformat()
    return value
