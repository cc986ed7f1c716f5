"""Flagged rows into events (analytics/events.py), in one frame or chunk by chunk."""

from __future__ import annotations

import pandas as pd

from analytics.events import Event, EventMerger, merge_events

TIMES = pd.date_range("2026-01-05", periods=12, freq="s", tz="UTC")
SCORES = pd.Series([0, 3, 5, 4, 0, 0, 2, 0, 7, 8, 6, 9], index=TIMES, dtype=float)
FLAGS = pd.Series([0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1, 1], index=TIMES, dtype=bool)
EXPECTED = [
    Event(TIMES[1], TIMES[3], rows=3, score=5.0, peak=TIMES[2]),
    Event(TIMES[6], TIMES[6], rows=1, score=2.0, peak=TIMES[6]),
    Event(TIMES[8], TIMES[11], rows=4, score=9.0, peak=TIMES[11]),
]


def test_consecutive_flagged_rows_are_one_event_with_its_peak() -> None:
    assert merge_events(SCORES, FLAGS) == EXPECTED
    assert merge_events(SCORES, FLAGS & False) == []


def test_events_spanning_chunks_are_merged() -> None:
    for cuts in ([2, 9], [1, 4, 8, 10], list(range(1, 12)), [3, 3, 6]):
        merger = EventMerger()
        for a, b in zip([0, *cuts], [*cuts, 12], strict=True):
            merger.add(SCORES.iloc[a:b], FLAGS.iloc[a:b])
        assert merger.finish() == EXPECTED, cuts
