"""UTC everywhere inside Vigil: one place that turns any time into aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from errors import InvalidInput


def as_utc(value: datetime | str | pd.Timestamp) -> datetime:
    """Aware UTC datetime; naive input is taken as UTC, as the store keeps it."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise InvalidInput(f"'{value}' is not a time (expected e.g. 2024-05-01 13:45:00)") from None
    if ts is pd.NaT:
        raise InvalidInput("a time is missing")
    ts = ts.tz_localize(UTC) if ts.tzinfo is None else ts.tz_convert(UTC)
    return ts.to_pydatetime()


def utc_now() -> datetime:
    return datetime.now(UTC)
