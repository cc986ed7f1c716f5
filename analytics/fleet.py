"""Fleet summaries from the latest reading of each entity (Overview's cards)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

MACHINE_STATES = ("production", "idle", "off")


def state_counts(latest: pd.DataFrame, column: str = "state") -> dict[str, int]:
    """Machines per state, every known state present (zero when none)."""
    counts = latest[column].value_counts() if len(latest) else pd.Series(dtype=int)
    found = {state: int(counts.get(state, 0)) for state in MACHINE_STATES}
    found.update({str(k): int(v) for k, v in counts.items() if k not in found})
    return found


def silent(last_seen: pd.Series, now: datetime, minutes: float) -> pd.Series:
    """True for each sensor whose last heartbeat is older than `minutes` (seed 004)."""
    return (pd.Timestamp(now) - pd.to_datetime(last_seen, utc=True)) > timedelta(minutes=minutes)
