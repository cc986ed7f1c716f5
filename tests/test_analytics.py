"""Pure functions of analytics/: hand-built inputs, known answers, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from analytics.fleet import silent, state_counts
from analytics.scaling import scale


def test_standard_scaling_centres_and_keeps_nans() -> None:
    out = scale(np.array([1.0, 2.0, np.nan, 3.0]), "standard")
    assert np.isnan(out[2])
    assert out[[0, 1, 3]] == pytest.approx([-1.2247449, 0.0, 1.2247449])


def test_minmax_and_robust_scaling() -> None:
    assert scale(np.array([10.0, 15.0, 20.0]), "minmax") == pytest.approx([0.0, 0.5, 1.0])
    assert scale(np.array([1.0, 2.0, 3.0, 4.0, 100.0]), "robust")[2] == pytest.approx(0.0)


def test_constant_series_scales_to_zero_and_empty_stays_empty() -> None:
    assert scale(np.array([5.0, 5.0, 5.0])) == pytest.approx([0.0, 0.0, 0.0])
    assert np.isnan(scale(np.array([np.nan]))).all()


def test_unknown_scaler_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scaler 'zscore'"):
        scale(np.array([1.0]), "zscore")


def test_state_counts_list_every_state() -> None:
    latest = pd.DataFrame({"state": ["idle", "production", "production"]})
    assert state_counts(latest) == {"production": 2, "idle": 1, "off": 0}
    assert state_counts(pd.DataFrame({"state": []})) == {"production": 0, "idle": 0, "off": 0}


def test_silent_sensors_against_threshold() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    seen = pd.Series([now - timedelta(minutes=m) for m in (1, 10, 11, 300)])
    assert silent(seen, now, 10).tolist() == [False, False, True, True]
