"""The timer that refreshes a live page until the websocket feed drives it.

Each live page has one refresh callback taking this interval's `n_intervals`
as an input; a live feed can later trigger the same callback instead.
"""

from __future__ import annotations

from dash import dcc


def refresh_timer(prefix: str, seconds: float) -> dcc.Interval:
    return dcc.Interval(id=f"{prefix}-refresh", interval=int(seconds * 1000), n_intervals=0)
