"""Ensembles: detectors that see different things vote by the geometric mean of their scores."""

from __future__ import annotations

import numpy as np

from analytics.detector import Detector
from analytics.pca_detectors import WindowPCA
from analytics.zscore_detectors import WindowZ


class GeometricEnsemble(Detector):
    """The geometric mean of the members' scores, each in multiples of its own limit.

    A row passes when the members' excesses over their limits, multiplied,
    pass the threshold: one member somewhat above its limit is not enough
    while the other sees nothing unusual, which cuts the false alarms each
    member raises for its own reasons (drift of a level for one, a change of
    texture for the other); a member far above its limit still is. A member
    below its limit counts as at it: being calm is no evidence against what
    the other sees.
    """

    def __init__(self, members: list[Detector], threshold: float, min_rows: int = 1) -> None:
        super().__init__(threshold, min_rows)
        self.members = members
        self.min_train_rows = max(m.min_train_rows for m in members)

    @property
    def score_context(self) -> int:
        return max(m.score_context for m in self.members)

    def _fit(self, values: np.ndarray) -> None:
        for member in self.members:
            member._fit(values)

    def _score(self, values: np.ndarray) -> np.ndarray:
        logs = [np.log(np.maximum(m._score(values), 1.0)) for m in self.members]
        return np.exp(np.mean(logs, axis=0))


class WindowEnsemble(GeometricEnsemble):
    """window-z (levels and spread against the normal period) with window-pca (the
    short-term dynamics): Vigil's best detector on SKAB (bench/skab.py)."""

    name = "window-ensemble"

    def __init__(self, threshold: float = 2.25, min_rows: int = 31) -> None:
        super().__init__([WindowZ(), WindowPCA()], threshold, min_rows)
