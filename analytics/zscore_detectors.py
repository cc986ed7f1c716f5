"""Detectors that measure each column's distance from normal in robust standard units."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.detector import Detector, calibrated_limit
from analytics.windows import rolling_features

#: IQR / 1.349 estimates the standard deviation of normal data, robust to outliers.
IQR_TO_SIGMA = 1.349


class RollingZ(Detector):
    """Robust rolling z-score: each value against the median and spread of the rows before it.

    Needs no normal period to compare with, so it suits live data: it finds
    spikes and sudden steps, and forgets a new level after `rows` rows. The
    training range only sets the smallest spread a window may claim, so a
    flat stretch of a quantised sensor does not turn its next step into
    thousands of sigmas. Score: the largest |z| over the columns.
    """

    name = "rolling-z"

    def __init__(self, rows: int = 60, threshold: float = 3.5, min_rows: int = 1) -> None:
        super().__init__(threshold, min_rows)
        self.rows = rows
        self.floor_: np.ndarray | None = None

    @property
    def score_context(self) -> int:
        return self.rows + 1

    def _fit(self, values: np.ndarray) -> None:
        spread = robust_sigma(values)
        self.floor_ = np.where(spread > 0, spread, values.std(axis=0))

    def _score(self, values: np.ndarray) -> np.ndarray:
        past = pd.DataFrame(values).shift(1).rolling(self.rows, min_periods=1)
        median = past.median().to_numpy()
        spread = (past.quantile(0.75) - past.quantile(0.25)).to_numpy() / IQR_TO_SIGMA
        z = np.abs(values - median) / np.maximum(spread, self.floor_)
        return np.nan_to_num(z, nan=0.0).max(axis=1)  # the first row has no past


class WindowZ(Detector):
    """Feature windows against a normal period: each column's mean and spread over
    `rows` centred rows, in standard units of the training period.

    The first `fit_share` of the training rows fix centre and scale; the limit
    comes from the rest, which lie later in time, so the slow drift a plant
    shows between the normal period and the rows scored raises the limit
    instead of raising false alarms. Score: the largest |z| over the features,
    in multiples of that limit.
    """

    name = "window-z"

    def __init__(
        self,
        rows: int = 20,
        fit_share: float = 0.75,
        threshold: float = 2.5,
        min_rows: int = 31,
    ) -> None:
        super().__init__(threshold, min_rows)
        self.rows = rows
        self.fit_share = fit_share
        self.min_train_rows = 4 * rows
        self.center_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None
        self.limit_ = 1.0

    @property
    def score_context(self) -> int:
        return self.rows

    def _fit(self, values: np.ndarray) -> None:
        features = rolling_features(values, self.rows)
        cut = int(len(features) * self.fit_share)
        fitted, held_out = features[:cut], features[cut:]
        self.center_ = np.median(fitted, axis=0)
        scale = fitted.std(axis=0, ddof=1)
        # A feature that never moved in the fit rows: any later move is news.
        self.scale_ = np.where(
            scale > 0, scale, np.finfo(float).eps * np.maximum(1, np.abs(self.center_))
        )
        self.limit_ = calibrated_limit(self._distance(held_out))

    def _distance(self, features: np.ndarray) -> np.ndarray:
        return (np.abs(features - self.center_) / self.scale_).max(axis=1)

    def _score(self, values: np.ndarray) -> np.ndarray:
        return self._distance(rolling_features(values, self.rows)) / self.limit_


def robust_sigma(values: np.ndarray) -> np.ndarray:
    """Per column IQR / 1.349: the standard deviation if the data were normal."""
    q1, q3 = np.quantile(values, [0.25, 0.75], axis=0)
    return (q3 - q1) / IQR_TO_SIGMA
