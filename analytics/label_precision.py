"""What the analysts' labels say about each detector: how often its proposals were right.

Precision as analysts observe it is verified / labelled: unlabelled proposals
count for neither side. The scores of verified and rejected proposals show
whether a higher threshold would have kept the good ones and lost the bad.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

#: The statuses of data.store (analytics imports nothing of data/).
STATUSES = ("unlabelled", "verified", "rejected")


class Proposal(Protocol):
    """What is needed of an anomaly (data.store.Anomaly has it)."""

    detector: str
    score: float | None
    status: str


@dataclass(frozen=True)
class DetectorPrecision:
    detector: str
    verified: int
    rejected: int
    unlabelled: int
    verified_scores: tuple[float, ...]  # in the order given; proposals without a score left out
    rejected_scores: tuple[float, ...]

    @property
    def labelled(self) -> int:
        return self.verified + self.rejected

    @property
    def precision(self) -> float | None:
        """verified / labelled; None while nothing of the detector is labelled."""
        return self.verified / self.labelled if self.labelled else None


def precision_by_detector(anomalies: Iterable[Proposal]) -> list[DetectorPrecision]:
    """One summary per detector, by detector name."""
    counts: Counter[tuple[str, str]] = Counter()
    scores: defaultdict[tuple[str, str], list[float]] = defaultdict(list)
    for anomaly in anomalies:
        if anomaly.status not in STATUSES:
            raise ValueError(f"unknown status '{anomaly.status}'")
        counts[anomaly.detector, anomaly.status] += 1
        if anomaly.score is not None and math.isfinite(anomaly.score):
            scores[anomaly.detector, anomaly.status].append(float(anomaly.score))
    return [
        DetectorPrecision(
            detector=name,
            verified=counts[name, "verified"],
            rejected=counts[name, "rejected"],
            unlabelled=counts[name, "unlabelled"],
            verified_scores=tuple(scores[name, "verified"]),
            rejected_scores=tuple(scores[name, "rejected"]),
        )
        for name in sorted({detector for detector, _ in counts})
    ]
