"""The contract every anomaly detector keeps, and the checks its input passes.

A detector learns what normal looks like from a training frame (rows in time
order, one numeric column per series), scores every row of another frame, and
flags the rows whose score passes its threshold. Flags are then smoothed the
way event detection needs them: gaps shorter than `min_rows` inside an event
are filled and events shorter than `min_rows` dropped, so an analyst gets one
proposal per incident instead of a flicker of single rows.

A row's score may depend on up to `context` rows on each side (feature
windows); `analytics.scan` uses it to score a long range in chunks with the
same result as scoring it at once.
"""

from __future__ import annotations

import abc
from typing import Self

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from errors import InvalidInput

#: Quantile of the training scores a calibrated detector's limit sits at.
LIMIT_QUANTILE = 0.99
#: BLAS threads while fitting and scoring. The matrices are small (a few hundred
#: columns at most), so more threads only contend: on a busy 2-core machine SKAB's
#: window-pca took 23 s with two threads and 0.25 s with one.
BLAS_THREADS = 1


class Detector(abc.ABC):
    """fit on a normal period, then score / predict any frame with the same columns."""

    #: The registry name, written with every anomaly the detector proposes.
    name: str = ""
    #: Changes whenever the detector's behaviour does, so new proposals get new ids.
    version: str = "1"
    #: Fewest training rows that make a meaningful fit.
    min_train_rows: int = 30

    def __init__(self, threshold: float, min_rows: int = 1, median_rows: int = 1) -> None:
        self.threshold = threshold
        self.min_rows = min_rows
        self.median_rows = median_rows
        self.columns_: list[str] | None = None

    # -- what each detector defines ------------------------------------------------
    @abc.abstractmethod
    def _fit(self, values: np.ndarray) -> None:
        """Learn from training values (rows x columns, finite, none constant)."""

    @abc.abstractmethod
    def _score(self, values: np.ndarray) -> np.ndarray:
        """One score per row; higher is more anomalous."""

    @property
    @abc.abstractmethod
    def score_context(self) -> int:
        """Rows on each side a row's score depends on."""

    # -- the public contract -------------------------------------------------------
    @property
    def context(self) -> int:
        """Rows on each side a row's flag depends on: its score's and the smoothing's."""
        return self.score_context + self.median_rows + 2 * self.min_rows

    def fit(self, train: pd.DataFrame) -> Self:
        check_training(train, self.min_train_rows)
        with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
            self._fit(train.to_numpy(dtype=float))
        self.columns_ = [str(c) for c in train.columns]
        return self

    def score(self, frame: pd.DataFrame) -> pd.Series:
        if self.columns_ is None:
            raise InvalidInput(f"detector '{self.name}' must be fitted before it scores")
        if [str(c) for c in frame.columns] != self.columns_:
            raise InvalidInput(
                f"detector '{self.name}' was fitted on columns {', '.join(self.columns_)}, "
                f"not {', '.join(map(str, frame.columns))}"
            )
        check_values(frame, "rows to score")
        if frame.empty:
            return pd.Series(np.zeros(0), index=frame.index, name="score")
        with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
            scores = self._score(frame.to_numpy(dtype=float))
        return pd.Series(scores, index=frame.index, name="score")

    def flags(self, scores: pd.Series) -> pd.Series:
        """The anomalous rows among already computed scores, smoothed."""
        raw = scores.to_numpy() > self.threshold
        smoothed = smooth(trailing_median(raw, self.median_rows), self.min_rows)
        return pd.Series(smoothed, index=scores.index, name="anomaly")

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        """True for each anomalous row of `frame`."""
        return self.flags(self.score(frame))


# -- input checks -------------------------------------------------------------------
def check_values(frame: pd.DataFrame, what: str) -> None:
    """InvalidInput for a non-numeric column or a missing value, naming where."""
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            raise InvalidInput(f"column '{column}' is not numeric; detectors need numbers")
        missing = ~np.isfinite(values.to_numpy(dtype=float))
        if missing.any():
            raise InvalidInput(
                f"column '{column}' has {int(missing.sum())} missing or infinite values in "
                f"the {what} (the first at {values.index[int(missing.argmax())]}); "
                "fill or drop them before detecting"
            )


def check_training(train: pd.DataFrame, min_rows: int) -> None:
    """Everything a fit refuses: too few rows, no columns, gaps, constant columns."""
    if train.shape[1] == 0:
        raise InvalidInput("choose at least one column to detect anomalies in")
    if len(train) < min_rows:
        raise InvalidInput(
            f"the training range holds {len(train)} rows; at least {min_rows} are needed "
            "to learn what normal looks like"
        )
    check_values(train, "training rows")
    for column in train.columns:
        values = train[column].to_numpy(dtype=float)
        if np.ptp(values) == 0:
            raise InvalidInput(
                f"column '{column}' is constant ({values[0]:g}) over the training range: "
                "there is no normal variation to learn; leave it out or choose another range"
            )


def calibrated_limit(scores: np.ndarray, quantile: float = LIMIT_QUANTILE) -> float:
    """The training scores' quantile, kept above zero so that scores can be divided by it."""
    limit = float(np.quantile(scores, quantile))
    return limit if limit > 0 else float(np.finfo(float).tiny)


# -- flag smoothing ---------------------------------------------------------------------
def runs(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(starts, stops) of the runs of True: flags[starts[i]:stops[i]] are all True."""
    edges = np.diff(np.concatenate(([0], flags.astype(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def smooth(flags: np.ndarray, min_rows: int) -> np.ndarray:
    """Fill gaps shorter than `min_rows` between events, then drop events shorter than it.

    A morphological closing then opening by a segment of `min_rows` rows, done
    on run lengths.
    """
    out = np.asarray(flags, dtype=bool).copy()
    if min_rows <= 1 or not out.any():
        return out
    starts, stops = runs(out)
    for stop, start in zip(stops[:-1], starts[1:], strict=True):
        if start - stop < min_rows:
            out[stop:start] = True
    starts, stops = runs(out)
    for start, stop in zip(starts, stops, strict=True):
        if stop - start < min_rows:
            out[start:stop] = False
    return out


def trailing_median(flags: np.ndarray, rows: int) -> np.ndarray:
    """Median of each flag and the `rows - 1` before it; rows without that many stay False.

    SKAB's published baselines smooth their 0/1 predictions this way.
    """
    flags = np.asarray(flags, dtype=bool)
    if rows <= 1:
        return flags
    counts = np.convolve(flags.astype(int), np.ones(rows, dtype=int))[: len(flags)]
    out = counts * 2 > rows
    out[: rows - 1] = False
    return out
