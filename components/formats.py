"""How the plant pages write times, durations and measurements."""

from __future__ import annotations

from datetime import datetime

from data.health import duration_text

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def clock(seconds: float) -> str:
    """A duration as h:mm (42:05 for 42 hours and 5 minutes)."""
    minutes = round(seconds / 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def ago(then: datetime | None, now: datetime) -> str:
    if then is None:
        return "never"
    seconds = (now - then).total_seconds()
    return "just now" if seconds < 1 else f"{duration_text(seconds)} ago"


def when(at: datetime | None) -> str:
    return "–" if at is None else at.strftime(TIME_FORMAT + " UTC")


def measured(value: float | None, unit: str, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f} {unit}"
