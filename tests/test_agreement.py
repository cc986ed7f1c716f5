"""analytics/agreement.py on hand-built labels with known answers."""

from __future__ import annotations

import math

import pandas as pd

from analytics.agreement import agreement, labelled_scores


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "detector": ["iforest", "iforest", "iforest", "iforest", "pca", "pca", "analyst"],
            "anomaly_type": ["spike", "spike", None, "drift", None, None, "dropout"],
            "status": [
                "verified",
                "verified",
                "rejected",
                "unlabelled",
                "unlabelled",
                "unlabelled",
                "verified",
            ],
            "score": [0.9, 0.8, 0.3, 0.7, 0.5, None, None],
        }
    )


def test_precision_per_detector_counts_labelled_anomalies_only() -> None:
    found = agreement(frame(), "detector").set_index("detector")
    assert list(found.index) == ["iforest", "pca", "analyst"]  # most anomalies first
    iforest = found.loc["iforest"]
    assert (iforest.anomalies, iforest.labelled, iforest.verified, iforest.rejected) == (4, 3, 2, 1)
    assert iforest.precision == 2 / 3
    assert math.isnan(found.loc["pca", "precision"])  # nobody looked: no precision
    assert found.loc["analyst", "precision"] == 1.0


def test_per_type_groups_missing_types_together() -> None:
    found = agreement(frame(), "anomaly_type").set_index("anomaly_type")
    assert found.loc["(none)", "anomalies"] == 3
    assert found.loc["spike", "precision"] == 1.0
    assert found.loc["(none)", "rejected"] == 1


def test_empty_labels_give_an_empty_table() -> None:
    empty = pd.DataFrame(columns=["detector", "status", "score"])
    assert agreement(empty, "detector").empty
    assert labelled_scores(empty) == {}


def test_scores_of_verified_and_rejected_per_detector() -> None:
    assert labelled_scores(frame()) == {
        "iforest": {"verified": [0.9, 0.8], "rejected": [0.3]},
    }
