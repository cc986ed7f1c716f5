"""PCA fitted on a normal period: Hotelling's T² inside the model, Q (the squared
prediction error) outside it.

A normal row lies close to the principal subspace of the normal period (small
Q) and not far out along it (small T²). T² flags known directions pushed too
far, Q a relation between columns that no longer holds. Fitted on lagged
windows, the same model also learns the short-term dynamics of each series.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from analytics.detector import Detector, calibrated_limit
from analytics.windows import lagged


class PCAT2Q(Detector):
    """T² and Q of a PCA keeping `variance` of the normal period's variance.

    Limits are the textbook ones at confidence `alpha`: T² from the F
    distribution, Q from Box's chi-squared approximation; the score is the
    larger of T²/limit and Q/limit, so 1 is the control limit.
    """

    name = "pca-t2q"

    def __init__(
        self,
        variance: float = 0.85,
        alpha: float = 0.99,
        window: int = 1,
        threshold: float = 1.0,
        min_rows: int = 1,
    ) -> None:
        super().__init__(threshold, min_rows)
        self.variance = variance
        self.alpha = alpha
        self.window = window
        self.scaler_ = StandardScaler()
        self.components_: np.ndarray | None = None
        self.eigenvalues_: np.ndarray | None = None
        self.mean_: np.ndarray | None = None
        self.t2_limit_: float | None = None
        self.q_limit_: float | None = None

    @property
    def score_context(self) -> int:
        return self.window

    def _windows(self, values: np.ndarray) -> np.ndarray:
        scaled = self.scaler_.transform(values)
        return lagged(scaled, self.window) if self.window > 1 else scaled

    def _fit(self, values: np.ndarray) -> None:
        self.scaler_.fit(values)
        x = self._windows(values)
        full = PCA(svd_solver="full").fit(x)
        explained = np.cumsum(full.explained_variance_ratio_)
        keep = min(int(np.searchsorted(explained, self.variance) + 1), len(explained))
        self.mean_ = full.mean_
        self.components_ = full.components_[:keep]
        self.eigenvalues_ = full.explained_variance_
        self._set_limits(x, keep)

    def _set_limits(self, x: np.ndarray, keep: int) -> None:
        n = len(x)
        self.t2_limit_ = (
            keep * (n - 1) * (n + 1) / (n * (n - keep)) * stats.f.ppf(self.alpha, keep, n - keep)
            if n > keep
            else None
        )
        self.q_limit_ = _q_limit(self.eigenvalues_[keep:], self.alpha)

    def statistics(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(T², Q) of each row."""
        return self._statistics_of(self._windows(values))

    def _statistics_of(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        centred = x - self.mean_
        scores = centred @ self.components_.T
        t2 = (scores**2 / self.eigenvalues_[: len(self.components_)]).sum(axis=1)
        return t2, ((centred - scores @ self.components_) ** 2).sum(axis=1)

    def _score(self, values: np.ndarray) -> np.ndarray:
        t2, q = self.statistics(values)
        parts = [s / limit for s, limit in ((t2, self.t2_limit_), (q, self.q_limit_)) if limit]
        return np.max(parts, axis=0)


class WindowPCA(PCAT2Q):
    """Q of a PCA on lagged windows of `window` rows (dynamic PCA), in multiples of
    the training rows' 99th percentile: it notices when a series stops moving
    the way it moved in the normal period, whatever its level.
    """

    name = "window-pca"

    def __init__(self, window: int = 10, threshold: float = 2.5, min_rows: int = 31) -> None:
        super().__init__(variance=0.85, window=window, threshold=threshold, min_rows=min_rows)

    def _set_limits(self, x: np.ndarray, keep: int) -> None:
        t2, q = self._statistics_of(x)
        if keep < x.shape[1]:
            self.t2_limit_, self.q_limit_ = None, calibrated_limit(q)
        else:  # the model keeps every direction: no residual, T² alone says something
            self.t2_limit_, self.q_limit_ = calibrated_limit(t2), None


def _q_limit(residual_eigenvalues: np.ndarray, alpha: float) -> float | None:
    """Box's (1954) control limit of Q, g * chi2(h) with g = theta2 / theta1 and
    h = theta1^2 / theta2 from the left-over eigenvalues; None when none is left.

    Unlike Jackson and Mudholkar's it stays valid when those eigenvalues are far apart.
    """
    theta1, theta2 = float(residual_eigenvalues.sum()), float((residual_eigenvalues**2).sum())
    if theta1 <= 0:
        return None
    return theta2 / theta1 * float(stats.chi2.ppf(alpha, theta1**2 / theta2))
