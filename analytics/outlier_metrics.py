"""How well a detector's flags match labelled anomalies: SKAB's outlier-detection protocol.

Every labelled experiment trains a fresh detector on its first rows and is
predicted on the rest; the predictions of all experiments' test rows go into
one pooled confusion matrix, from which F1, the false alarm rate (FAR) and the
missed alarm rate (MAR) follow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from analytics.detector import Detector

#: SKAB: the first 400 rows of each experiment are its training data.
SKAB_TRAIN_ROWS = 400


@dataclass(frozen=True)
class Confusion:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @classmethod
    def of(cls, labels: ArrayLike, predicted: ArrayLike) -> Confusion:
        truth, guess = np.asarray(labels, dtype=bool), np.asarray(predicted, dtype=bool)
        if truth.shape != guess.shape:
            raise ValueError(f"{len(truth)} labels but {len(guess)} predictions")
        return cls(
            tp=int((truth & guess).sum()),
            fp=int((~truth & guess).sum()),
            fn=int((truth & ~guess).sum()),
            tn=int((~truth & ~guess).sum()),
        )

    def __add__(self, other: Confusion) -> Confusion:
        return Confusion(
            self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn
        )

    @property
    def f1(self) -> float:
        return _ratio(self.tp, self.tp + (self.fp + self.fn) / 2)

    @property
    def far(self) -> float:
        """False alarm rate: the share of normal rows flagged."""
        return _ratio(self.fp, self.fp + self.tn)

    @property
    def mar(self) -> float:
        """Missed alarm rate: the share of anomalous rows not flagged."""
        return _ratio(self.fn, self.fn + self.tp)


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def outlier_protocol(
    make: Callable[[], Detector],
    experiments: Iterable[tuple[pd.DataFrame, pd.Series]],
    train_rows: int = SKAB_TRAIN_ROWS,
) -> Confusion:
    """The pooled confusion matrix of a fresh detector per experiment (values, labels)."""
    total = Confusion()
    for values, labels in experiments:
        detector = make().fit(values.iloc[:train_rows])
        predicted = detector.predict(values.iloc[train_rows:])
        total += Confusion.of(labels.iloc[train_rows:].to_numpy(), predicted.to_numpy())
    return total
