"""Tracks from raw position readings (analytics/tracks.py): hand-built times, known tracks."""

from __future__ import annotations

import numpy as np

from analytics.tracks import DAY_SECONDS, TrackState, assign_tracks, pins_for

NAN = np.nan
T0 = 20_000 * DAY_SECONDS + 3_600.0  # 01:00 UTC on some day


def test_a_gap_longer_than_the_limit_starts_a_new_track() -> None:
    times = T0 + np.array([0, 1, 2, 10, 11, 12.5])
    starts, state = assign_tracks(times, max_gap=5)
    assert starts.tolist() == [T0] * 3 + [T0 + 10] * 3
    assert state == TrackState(start=T0 + 10, last=T0 + 12.5)


def test_a_gap_of_exactly_the_limit_stays_in_the_track() -> None:
    starts, _ = assign_tracks(T0 + np.array([0, 5, 10]), max_gap=5)
    assert starts.tolist() == [T0] * 3


def test_midnight_splits_a_track_without_a_gap() -> None:
    midnight = 20_001 * DAY_SECONDS
    times = midnight + np.array([-1.0, -0.5, 0.0, 0.5])
    starts, _ = assign_tracks(times, max_gap=5)
    assert starts.tolist() == [midnight - 1] * 2 + [midnight] * 2


def test_chunks_split_exactly_where_one_piece_does() -> None:
    rng = np.random.default_rng(3)
    times = T0 + np.cumsum(rng.choice([0.1, 0.1, 0.1, 7.0], size=1_000))
    whole, _ = assign_tracks(times, max_gap=5)
    parts, state = [], TrackState()
    for chunk in np.array_split(times, 7):
        got, state = assign_tracks(chunk, max_gap=5, state=state)
        parts.append(got)
    assert np.array_equal(np.concatenate(parts), whole)
    assert len(np.unique(whole)) > 10


def test_pinned_readings_keep_their_stored_track_and_the_next_ones_continue_it() -> None:
    times = T0 + np.array([0, 1, 2, 3, 4, 20, 21])
    stored = T0 - 100  # a geom that began before this range
    pins = np.array([stored, stored, stored, NAN, NAN, NAN, NAN])
    starts, _ = assign_tracks(times, max_gap=5, pinned=pins)
    assert starts.tolist() == [stored] * 5 + [T0 + 20] * 2


def test_a_stored_track_starting_mid_range_splits_the_new_one() -> None:
    times = T0 + np.array([0, 1, 2, 3, 4])
    pins = np.array([NAN, NAN, T0 + 2, T0 + 2, NAN])
    starts, _ = assign_tracks(times, max_gap=5, pinned=pins)
    assert starts.tolist() == [T0, T0, T0 + 2, T0 + 2, T0 + 2]


def test_an_empty_chunk_changes_nothing() -> None:
    state = TrackState(start=T0, last=T0 + 1)
    starts, after = assign_tracks(np.array([]), max_gap=5, state=state)
    assert len(starts) == 0 and after == state


def test_pins_find_the_span_holding_each_reading() -> None:
    spans = [(T0 + 10, T0 + 10, T0 + 20), (T0, T0, T0 + 5)]
    times = T0 + np.array([-1, 0, 5, 6, 10, 15, 20, 21])
    got = pins_for(times, spans)
    expected = [NAN, T0, T0, NAN, T0 + 10, T0 + 10, T0 + 10, NAN]
    assert np.array_equal(got, np.array(expected), equal_nan=True)
    assert np.isnan(pins_for(times, [])).all()
