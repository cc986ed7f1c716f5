"""Scoring a long range in chunks with the same result as scoring it at once.

A row's flag depends on up to `detector.context` rows on each side, so each
chunk is scored together with that many rows of the one before it, and its
last `context` rows wait for the next chunk before they are final.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pandas as pd

from analytics.detector import Detector


def scan(
    detector: Detector, chunks: Iterable[pd.DataFrame]
) -> Iterator[tuple[pd.Series, pd.Series]]:
    """(scores, flags) for every row of the chunks, in order, each row exactly once."""
    context = detector.context
    before: pd.DataFrame | None = None  # final rows kept as the next chunk's history
    waiting: pd.DataFrame | None = None  # rows whose flags need rows still to come
    for chunk in chunks:
        if chunk.empty:
            continue
        frame = pd.concat([f for f in (before, waiting, chunk) if f is not None])
        lo = 0 if before is None else len(before)
        hi = max(lo, len(frame) - context)
        if hi > lo:
            yield _scored(detector, frame, lo, hi)
        before, waiting = frame.iloc[max(0, hi - context) : hi], frame.iloc[hi:]
    if waiting is not None and not waiting.empty:
        frame = pd.concat([f for f in (before, waiting) if f is not None])
        yield _scored(detector, frame, len(frame) - len(waiting), len(frame))


def _scored(
    detector: Detector, frame: pd.DataFrame, lo: int, hi: int
) -> tuple[pd.Series, pd.Series]:
    scores = detector.score(frame)
    return scores.iloc[lo:hi], detector.flags(scores).iloc[lo:hi]
