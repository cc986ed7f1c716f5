"""Put series of different units on one axis (seed 000's `scale_data`)."""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}


def scale(values: np.ndarray, method: str = "standard") -> np.ndarray:
    """Values rescaled by a scikit-learn scaler fitted on them; NaNs stay NaN.

    A constant series maps to zeros rather than dividing by zero.
    """
    if method not in SCALERS:
        raise ValueError(f"unknown scaler '{method}' (choose from {', '.join(SCALERS)})")
    values = np.asarray(values, dtype=float)
    out = np.full(values.shape, np.nan)
    finite = np.isfinite(values)
    if finite.any():
        out[finite] = SCALERS[method]().fit_transform(values[finite].reshape(-1, 1)).ravel()
    return out
