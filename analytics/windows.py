"""Feature windows: what a detector sees around each row instead of the row alone.

Sensor noise hides slow faults row by row; the mean and spread over a short
window show them. Windows are centred, so an event is not reported late, and
shrink at the edges of a frame (a frame's first rows have no history).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def rolling_features(values: np.ndarray, rows: int) -> np.ndarray:
    """Per column the mean and the standard deviation over `rows` rows centred on each row."""
    frame = pd.DataFrame(values)
    window = frame.rolling(rows, min_periods=1, center=True)
    spread = window.std().fillna(0.0)  # one row has no spread
    return np.hstack([window.mean().to_numpy(), spread.to_numpy()])


def lagged(values: np.ndarray, rows: int) -> np.ndarray:
    """Each row with its neighbours: the `rows` rows centred on it, flattened.

    A frame's edges repeat its first and last rows, so every row has a window.
    """
    before, after = rows // 2, rows - 1 - rows // 2
    padded = np.pad(values, ((before, after), (0, 0)), mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, rows, axis=0)
    return windows.reshape(len(values), -1)
