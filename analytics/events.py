"""Consecutive anomalous rows become one event: what an analyst reviews."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.detector import runs


@dataclass(frozen=True)
class Event:
    start: pd.Timestamp
    end: pd.Timestamp
    rows: int
    score: float  # the highest score of its rows
    peak: pd.Timestamp  # when that score was reached


class EventMerger:
    """Merges flagged rows into events, chunk after chunk: an event may span chunks."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._open: Event | None = None

    def add(self, scores: pd.Series, flags: pd.Series) -> None:
        """The next rows in time order: their scores and flags, indexed by time."""
        if scores.empty:
            return
        values = scores.to_numpy(dtype=float)
        starts, stops = runs(flags.to_numpy(dtype=bool))
        if self._open is not None and not (len(starts) and starts[0] == 0):
            self._close()
        for start, stop in zip(starts, stops, strict=True):
            peak = start + int(np.argmax(values[start:stop]))
            piece = Event(
                scores.index[start],
                scores.index[stop - 1],
                int(stop - start),
                float(values[peak]),
                scores.index[peak],
            )
            self._open = piece if self._open is None else _joined(self._open, piece)
            if stop < len(values):
                self._close()

    def finish(self) -> list[Event]:
        """Every event, the one still open at the end included."""
        self._close()
        return self.events

    def _close(self) -> None:
        if self._open is not None:
            self.events.append(self._open)
            self._open = None


def _joined(first: Event, then: Event) -> Event:
    best = first if first.score >= then.score else then
    return Event(first.start, then.end, first.rows + then.rows, best.score, best.peak)


def merge_events(scores: pd.Series, flags: pd.Series) -> list[Event]:
    """The events of one frame."""
    merger = EventMerger()
    merger.add(scores, flags)
    return merger.finish()
