"""How far analysts agree with what was flagged: per detector, per anomaly type.

Precision here is what the analysts observed: verified / (verified + rejected)
among the labelled anomalies of a group; unlabelled ones do not count either
way, so a group nobody has looked at has no precision (NaN), not zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COUNTS = ("verified", "rejected", "unlabelled")


def agreement(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """One row per value of `by`: anomalies, labelled, verified, rejected, unlabelled,
    precision; most anomalies first. `frame` has a `status` column and `by`."""
    columns = [by, "anomalies", "labelled", *COUNTS, "precision"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    keyed = frame.assign(**{by: frame[by].fillna("(none)")})
    counts = pd.crosstab(keyed[by], keyed["status"]).reindex(columns=list(COUNTS), fill_value=0)
    counts["labelled"] = counts["verified"] + counts["rejected"]
    counts["anomalies"] = counts["labelled"] + counts["unlabelled"]
    with np.errstate(invalid="ignore", divide="ignore"):
        counts["precision"] = np.where(
            counts["labelled"] > 0, counts["verified"] / counts["labelled"], np.nan
        )
    found = counts.reset_index().rename(columns={"index": by})
    found = found.sort_values(["anomalies", by], ascending=[False, True], kind="stable")
    return found[columns].reset_index(drop=True)


def labelled_scores(frame: pd.DataFrame, by: str = "detector") -> dict[str, dict[str, list[float]]]:
    """Per value of `by`, the scores of its verified and of its rejected anomalies
    (anomalies without a score left out): how well a score separates the two."""
    scored = frame[frame["status"].isin(["verified", "rejected"]) & frame["score"].notna()]
    found: dict[str, dict[str, list[float]]] = {}
    for (key, status), group in scored.groupby([by, "status"], sort=True):
        found.setdefault(str(key), {"verified": [], "rejected": []})[str(status)] = [
            float(s) for s in group["score"]
        ]
    return found
