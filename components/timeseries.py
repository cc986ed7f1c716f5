"""The time-series chart every page uses: lines from a SeriesRead, shaded regions.

The figure is a plain dict rather than `go.Figure`: Plotly's validation cost
~20 ms per draw and the chart needs none of it. Times travel as epoch
milliseconds in a float array (base64 in Dash's JSON), a third of the bytes
of ISO strings; a `date` axis shows them as dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from analytics.scaling import scale
from data.store import SeriesRead

REGION_COLOR = "rgba(231, 76, 60, 0.18)"
#: What a chart shows when there is nothing to draw (the page explains why).
EMPTY_FIGURE: dict[str, Any] = {"data": [], "layout": {"height": 480, "plot_bgcolor": "white"}}


def epoch_ms(times: pd.DatetimeIndex) -> np.ndarray:
    return times.as_unit("us").asi8 / 1000.0


def _ms(t: datetime) -> float:
    return t.timestamp() * 1000.0


def series_figure(
    read: SeriesRead,
    *,
    scaled: bool = False,
    scaler: str = "standard",
    regions: Sequence[tuple[datetime, datetime]] = (),
    height: int = 480,
    dragmode: str = "zoom",
) -> dict[str, Any]:
    """One line per column over the read's range; `uirevision` keeps the user's zoom."""
    traces = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": s.column,
            "x": epoch_ms(s.time),
            "y": scale(s.values.to_numpy(), scaler) if scaled else s.values.to_numpy(float),
        }
        for s in read.series
    ]
    shapes = [
        {
            "type": "rect",
            "xref": "x",
            "yref": "paper",
            "x0": _ms(start),
            "x1": _ms(end),
            "y0": 0,
            "y1": 1,
            "fillcolor": REGION_COLOR,
            "line": {"width": 0},
            "layer": "below",
        }
        for start, end in regions
    ]
    return {
        "data": traces,
        "layout": {
            "height": height,
            "margin": {"l": 50, "r": 20, "t": 30, "b": 40},
            "legend": {"orientation": "h", "y": 1.08},
            "uirevision": read.table,
            "dragmode": dragmode,
            "plot_bgcolor": "white",
            "shapes": shapes,
            "xaxis": {
                "type": "date",
                "range": [_ms(read.start), _ms(read.end)],
                "title": {"text": "time (UTC)"},
                "gridcolor": "#eee",
            },
            "yaxis": {"title": {"text": "scaled value" if scaled else ""}, "gridcolor": "#eee"},
        },
    }
