"""Anomaly detection for multivariate time series: the named detectors Vigil offers.

Each is a `Detector` (analytics/detector.py): fit on a normal period, then
score and predict any frame with the same columns. One configuration per
name, the same for every table: bench/skab.py measures them all on SKAB.
"""

from __future__ import annotations

from analytics.detector import Detector
from analytics.ensemble import WindowEnsemble
from analytics.forest_detectors import IsolationForestDetector, PublishedIsolationForest
from analytics.pca_detectors import PCAT2Q, WindowPCA
from analytics.zscore_detectors import RollingZ, WindowZ
from errors import InvalidInput

__all__ = ["BEST", "DETECTORS", "Detector", "make_detector"]

#: Name -> class; each class's defaults are that detector's one configuration.
DETECTORS: dict[str, type[Detector]] = {
    cls.name: cls
    for cls in (
        WindowEnsemble,
        WindowZ,
        WindowPCA,
        PCAT2Q,
        IsolationForestDetector,
        RollingZ,
        PublishedIsolationForest,
    )
}
#: The detector proposed by default: the best on SKAB (bench/README.md).
BEST = WindowEnsemble.name


def make_detector(name: str) -> Detector:
    """A fresh, unfitted detector; InvalidInput for an unknown name."""
    cls = DETECTORS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise InvalidInput(f"unknown detector '{name}' (choose from {', '.join(DETECTORS)})")
    return cls()
