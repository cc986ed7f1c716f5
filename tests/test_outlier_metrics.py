"""SKAB's pooled confusion matrix and its F1, FAR and MAR (analytics/outlier_metrics.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.detector import Detector
from analytics.outlier_metrics import Confusion, outlier_protocol


def test_figures_from_a_hand_counted_matrix() -> None:
    c = Confusion.of([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], [1, 1, 1, 0, 1, 0, 0, 0, 0, 0])
    assert c == Confusion(tp=3, fp=1, fn=1, tn=5)
    assert c.f1 == pytest.approx(3 / (3 + 1))
    assert c.far == pytest.approx(1 / 6) and c.mar == pytest.approx(1 / 4)
    assert Confusion().f1 == 0.0 and Confusion().far == 0.0
    with pytest.raises(ValueError, match="2 labels but 3 predictions"):
        Confusion.of([1, 0], [1, 0, 0])


class Above(Detector):
    """Flags values above the training maximum: simple enough to count by hand."""

    name = "above"

    def __init__(self) -> None:
        super().__init__(threshold=1.0)
        self.min_train_rows = 2

    @property
    def score_context(self) -> int:
        return 0

    def _fit(self, values: np.ndarray) -> None:
        self.top = values.max()

    def _score(self, values: np.ndarray) -> np.ndarray:
        return values.max(axis=1) / self.top


def test_the_protocol_trains_on_the_first_rows_and_pools_the_rest() -> None:
    # trains on [1, 2, 3] (top 3); the tests are [4, 1, 2] and [0.5, 9]
    first = pd.DataFrame({"x": [1.0, 2, 3, 4, 1, 2]}), pd.Series([0, 0, 0, 1, 1, 0], dtype=bool)
    second = pd.DataFrame({"x": [3.0, 1, 2, 0.5, 9]}), pd.Series([0, 0, 0, 1, 0], dtype=bool)
    total = outlier_protocol(Above, [first, second], train_rows=3)
    assert total == Confusion(tp=1, fp=1, fn=2, tn=1)
