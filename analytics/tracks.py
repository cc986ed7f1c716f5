"""Raw position readings of one device -> tracks, the geoms of seed 001.

A track is a run of a device's readings with no gap longer than `max_gap`
seconds and within one UTC day (a sample is an environment's day). Readings
come in time-ordered chunks; `TrackState` carries the open track from one
chunk to the next, so a day streams through in bounded memory and splits
exactly where it would in one piece.

A reading may be *pinned* to a track already stored (it lies inside the span
of an existing geom of the device): it belongs to that track and is not
written again, and the readings right after it continue that track. That is
what makes preparing the same range twice write nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAY_SECONDS = 86_400.0


@dataclass(frozen=True)
class TrackState:
    """The track open after the readings so far: its start and its last reading
    (epoch seconds), or nothing yet."""

    start: float | None = None
    last: float | None = None


def assign_tracks(
    times: np.ndarray,
    max_gap: float,
    state: TrackState = TrackState(),
    pinned: np.ndarray | None = None,
) -> tuple[np.ndarray, TrackState]:
    """The start (epoch seconds) of the track of each reading in `times` (epoch seconds,
    ascending), and the state after them.

    `pinned[i]` is the start of the stored track reading i lies in, NaN for none.
    A new track starts at a reading more than `max_gap` after the one before, on
    another UTC day, or where a run of pinned readings begins or changes track;
    an unpinned run right after a pinned one (no gap, same day) continues it.
    """
    times = np.asarray(times, dtype=float)
    n = len(times)
    if n == 0:
        return np.empty(0), state
    pins = np.full(n, np.nan) if pinned is None else np.asarray(pinned, dtype=float)
    before = np.empty(n)
    before[0] = np.nan if state.last is None else state.last
    before[1:] = times[:-1]
    days = np.floor(times / DAY_SECONDS)
    with np.errstate(invalid="ignore"):
        broken = ~(times - before <= max_gap) | (np.floor(before / DAY_SECONDS) != days)
    pin_before = np.empty(n)
    pin_before[0] = np.nan
    pin_before[1:] = pins[:-1]
    is_pinned = ~np.isnan(pins)
    # A pinned run begins, or moves to another stored track: its own start.
    repinned = is_pinned & ~(pins == pin_before)
    # Where each run of readings sharing one track begins.
    starts_run = broken | repinned
    starts_run[0] = True
    run_first = np.flatnonzero(starts_run)
    out = np.empty(n)
    open_start = state.start
    for k, first in enumerate(run_first):
        stop = run_first[k + 1] if k + 1 < len(run_first) else n
        if is_pinned[first]:
            track = pins[first]
        elif broken[first] or open_start is None:
            track = times[first]
        else:
            track = open_start  # continues the open track (across a chunk or a pinned run)
        out[first:stop] = track
        open_start = track
    return out, TrackState(start=float(out[-1]), last=float(times[-1]))


def pins_for(times: np.ndarray, spans: list[tuple[float, float, float]]) -> np.ndarray:
    """For each reading (epoch seconds), the track start of the stored span
    `(start, first, last)` holding it, NaN outside every span. Spans of one device
    do not overlap (each reading belongs to one track)."""
    times = np.asarray(times, dtype=float)
    out = np.full(len(times), np.nan)
    if not spans:
        return out
    ordered = sorted(spans, key=lambda s: s[1])
    firsts = np.array([s[1] for s in ordered])
    lasts = np.array([s[2] for s in ordered])
    tracks = np.array([s[0] for s in ordered])
    at = np.searchsorted(firsts, times, side="right") - 1
    inside = (at >= 0) & (times <= lasts[np.clip(at, 0, None)])
    out[inside] = tracks[at[inside]]
    return out
