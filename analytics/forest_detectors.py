"""Isolation forests: rows that few random splits isolate are anomalous."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.preprocessing import StandardScaler

from analytics.detector import Detector, calibrated_limit


class IsolationForestDetector(Detector):
    """scikit-learn's IsolationForest on standardised columns, one row at a time.

    The limit is the training rows' 99th percentile of the anomaly score
    (-score_samples), so a score of 1 is "as odd as the oddest 1 % of the
    normal period". With `contamination`, the forest's own cut decides, as
    its `predict` does.
    """

    name = "isolation-forest"

    def __init__(
        self,
        scale: bool = True,
        contamination: float | None = None,
        threshold: float = 1.0,
        median_rows: int = 1,
        trees: int = 100,
        seed: int = 0,
    ) -> None:
        super().__init__(threshold, median_rows=median_rows)
        self.scaler_ = StandardScaler() if scale else None
        self.contamination = contamination
        self.forest_ = IsolationForest(
            n_estimators=trees,
            contamination="auto" if contamination is None else contamination,
            random_state=seed,
        )
        self.limit_ = 1.0

    @property
    def score_context(self) -> int:
        return 0

    def _prepared(self, values: np.ndarray) -> np.ndarray:
        return values if self.scaler_ is None else self.scaler_.transform(values)

    def _fit(self, values: np.ndarray) -> None:
        if self.scaler_ is not None:
            self.scaler_.fit(values)
        x = self._prepared(values)
        self.forest_.fit(x)
        # predict() flags rows whose score_samples fall below offset_.
        self.limit_ = (
            -float(self.forest_.offset_)
            if self.contamination is not None
            else calibrated_limit(-self.forest_.score_samples(x))
        )

    def _score(self, values: np.ndarray) -> np.ndarray:
        return -self.forest_.score_samples(self._prepared(values)) / self.limit_


class PublishedIsolationForest(IsolationForestDetector):
    """SKAB's published Isolation-forest row: IsolationForest(random_state=0,
    contamination=0.0005) on unscaled columns, predictions smoothed by a
    rolling median over 3 rows. Kept to check that the benchmark's protocol
    is run as published."""

    name = "isolation-forest-skab"

    def __init__(self) -> None:
        super().__init__(scale=False, contamination=0.0005, median_rows=3)
