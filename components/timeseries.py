"""The time-series chart every page uses: lines from a SeriesRead, shaded regions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import plotly.graph_objects as go

from analytics.scaling import scale
from data.store import SeriesRead


def series_figure(
    read: SeriesRead,
    *,
    scaled: bool = False,
    scaler: str = "standard",
    regions: Sequence[tuple[datetime, datetime]] = (),
    height: int = 480,
) -> go.Figure:
    """One line per column over the read's range; `uirevision` keeps the user's zoom."""
    fig = go.Figure()
    for s in read.series:
        y = scale(s.values.to_numpy(), scaler) if scaled else s.values.to_numpy()
        fig.add_trace(go.Scatter(x=s.time.tz_localize(None), y=y, name=s.column, mode="lines"))
    for start, end in regions:
        fig.add_vrect(
            x0=start.replace(tzinfo=None),
            x1=end.replace(tzinfo=None),
            fillcolor="#e74c3c",
            opacity=0.18,
            line_width=0,
            layer="below",
        )
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 50, "r": 20, "t": 30, "b": 40},
        legend={"orientation": "h", "y": 1.08},
        uirevision=read.table,
        xaxis={
            "type": "date",
            "range": [read.start.replace(tzinfo=None), read.end.replace(tzinfo=None)],
            "title": "time (UTC)",
        },
        yaxis={"title": "scaled value" if scaled else None},
    )
    return fig
