"""Per-detector precision from the analysts' labels (analytics/label_precision.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from analytics.label_precision import DetectorPrecision, precision_by_detector


@dataclass
class Proposed:
    detector: str
    score: float | None
    status: str


def test_counts_precision_and_score_samples_per_detector() -> None:
    found = precision_by_detector(
        [
            Proposed("window-ensemble", 5.0, "verified"),
            Proposed("rolling-z", 4.0, "unlabelled"),
            Proposed("window-ensemble", 2.5, "rejected"),
            Proposed("window-ensemble", 7.5, "verified"),
            Proposed("window-ensemble", None, "verified"),
            Proposed("window-ensemble", math.nan, "rejected"),
            Proposed("window-ensemble", 3.0, "unlabelled"),
        ]
    )
    assert found == [
        DetectorPrecision("rolling-z", 0, 0, 1, (), ()),
        DetectorPrecision("window-ensemble", 3, 2, 1, (5.0, 7.5), (2.5,)),
    ]
    assert found[0].precision is None and found[0].labelled == 0
    assert found[1].labelled == 5 and found[1].precision == pytest.approx(3 / 5)
    assert precision_by_detector([]) == []


def test_an_unknown_status_is_a_mistake_of_the_caller() -> None:
    with pytest.raises(ValueError, match="unknown status 'maybe'"):
        precision_by_detector([Proposed("x", 1.0, "maybe")])
