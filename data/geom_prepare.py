"""prepare-geoms (seed 001): raw position readings of a range -> samples, geoms, coordinates.

Streams: one device at a time, its readings in chunks from `Store.read_rows`,
split into tracks by analytics/tracks.py, each chunk's coordinates written
before the next is read; memory follows the chunk size, not the range.

A sample is an environment's UTC day (created when missing); a geom is one
track of one device, its id derived from the environment, device and the
track's first reading, so the same readings always give the same geoms.
Readings inside the span of a geom the device already has in that sample are
skipped, and the readings after them continue that geom: preparing a range
again, or one overlapping it, writes no geom and no coordinate twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd

from analytics.tracks import TrackState, assign_tracks, pins_for
from data import positions
from data.store import Store
from data.times import as_utc
from errors import InvalidInput, NotFound

READINGS = "position_readings"
#: A track ends where a device is silent longer than this (seconds).
MAX_GAP = 5.0
SOURCE = "prepare-geoms"
MAX_DEVICES = 100_000
#: Progress is reported in seconds of the range covered, per device.
Progress = Callable[[float], None]


@dataclass
class Prepared:
    devices: int = 0
    readings: int = 0
    skipped: int = 0  # already in a stored geom
    geoms: int = 0
    coordinates: int = 0


def geom_id(environment_id: str, device_id: str, track_start: float) -> str:
    """The id of a track: the same readings give the same id, on any run."""
    key = f"{environment_id}\x1f{device_id}\x1f{round(track_start * 1e6)}"
    return "g-" + hashlib.sha1(key.encode()).hexdigest()[:24]


def _epoch(index: pd.DatetimeIndex) -> np.ndarray:
    return index.as_unit("us").asi8 / 1e6


class _Samples:
    """The environment's samples by day, created as tracks need them."""

    def __init__(self, store: Store, environment_id: str) -> None:
        self.store, self.environment_id = store, environment_id
        self.ids: dict[date, str | None] = {}

    def existing(self, day: date) -> str | None:
        if day not in self.ids:
            try:
                self.ids[day] = positions.sample(self.store, self.environment_id, day)["sample_id"]
            except NotFound:
                self.ids[day] = None
        return self.ids[day]

    def get(self, day: date) -> str:
        found = self.existing(day)
        if found is None:
            found = f"{self.environment_id}-{day.isoformat()}"
            row = {"sample_id": found, "environment_id": self.environment_id, "date": day}
            self.store.insert_row("samples", {**row, "source": SOURCE})
            self.ids[day] = found
        return found


def _days(start: datetime, end: datetime) -> list[date]:
    first, last = start.date(), end.date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _stored(
    store: Store, samples: _Samples, device_id: str, days: list[date]
) -> tuple[list[tuple[float, float, float]], dict[float, str], set[str]]:
    """The device's geoms in the range's samples: their spans (start, first, last),
    ids by track start, and every id (geoms without coordinates too)."""
    spans, by_start, ids = [], {}, set()
    for day in days:
        sample_id = samples.existing(day)
        if sample_id is None:
            continue
        for geom in positions.geoms(store, sample_id, device_id):
            ids.add(geom["geom_id"])
            span = store.time_range("coordinates", {"geom_id": geom["geom_id"]})
            if span is not None:
                first, last = span[0].timestamp(), span[1].timestamp()
                spans.append((first, first, last))
                by_start[first] = geom["geom_id"]
    return spans, by_start, ids


def prepare(
    store: Store,
    environment_id: str,
    start: datetime | str,
    end: datetime | str,
    max_gap: float = MAX_GAP,
    chunk_rows: int = Store.ROW_CHUNK,
    progress: Progress | None = None,
) -> Prepared:
    """Geoms and coordinates from the environment's readings in [start, end]."""
    start, end = as_utc(start), as_utc(end)
    if end <= start:
        raise InvalidInput("the end of the range must come after its start")
    if not max_gap > 0:
        raise InvalidInput("the longest gap in a track must be above 0 seconds")
    if not store.rows("environments", {"environment_id": environment_id}, limit=1):
        raise NotFound(f"unknown environment '{environment_id}'")
    samples = _Samples(store, environment_id)
    days = _days(start, end)
    done = Prepared()
    for device_id in store.distinct(READINGS, "device_id", limit=MAX_DEVICES):
        _device(store, samples, environment_id, device_id, start, end, days, max_gap,
                chunk_rows, progress, done)  # fmt: skip
    return done


def _device(
    store: Store,
    samples: _Samples,
    environment_id: str,
    device_id: str,
    start: datetime,
    end: datetime,
    days: list[date],
    max_gap: float,
    chunk_rows: int,
    progress: Progress | None,
    done: Prepared,
) -> None:
    spans, by_start, ids = _stored(store, samples, device_id, days)
    where = {"environment_id": environment_id, "device_id": device_id}
    state, covered, seen = TrackState(), start.timestamp(), False
    for chunk in store.read_rows(READINGS, ["x", "y", "z"], start, end, where, chunk_rows):
        seen = True
        times = _epoch(chunk.index)
        pins = pins_for(times, spans)
        starts, state = assign_tracks(times, max_gap, state, pins)
        fresh = np.isnan(pins)
        done.readings += len(times)
        done.skipped += int((~fresh).sum())
        new_geoms = []
        for track in np.unique(starts[fresh]):
            if track in by_start:
                continue
            gid = geom_id(environment_id, device_id, float(track))
            by_start[track] = gid
            if gid not in ids:
                day = datetime.fromtimestamp(float(track), UTC).date()
                new_geoms.append((gid, samples.get(day)))
                ids.add(gid)
        if new_geoms:
            store.write(
                "geoms",
                pd.DataFrame(
                    {
                        "geom_id": [g for g, _ in new_geoms],
                        "sample_id": [s for _, s in new_geoms],
                        "device_id": device_id,
                        "shape": "point",
                    }
                ),
            )
            done.geoms += len(new_geoms)
        if fresh.any():
            rows = chunk[fresh]
            frame = pd.DataFrame(
                {
                    "geom_id": [by_start[t] for t in starts[fresh]],
                    "time": rows.index,
                    "x": rows["x"].to_numpy(),
                    "y": rows["y"].to_numpy(),
                    "z": rows["z"].to_numpy(),
                }
            )
            done.coordinates += store.write("coordinates", frame)
        if progress:
            progress(times[-1] - covered)
            covered = times[-1]
    if seen:
        done.devices += 1
    if progress:
        progress(end.timestamp() - covered)
