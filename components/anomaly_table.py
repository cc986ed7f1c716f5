"""The review queue as a table: one clickable row per anomaly, its label's state."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from data.store import Anomaly

STATUS_COLORS = {"unlabelled": "warning", "verified": "danger", "rejected": "secondary"}
ROW = "anomalies-row"


def status_badge(status: str, **kwargs: Any) -> dbc.Badge:
    return dbc.Badge(status, color=STATUS_COLORS.get(status, "light"), **kwargs)


def cell(anomaly: Anomaly, column: str) -> Any:
    value = getattr(anomaly, column, None)
    if column == "status":
        return status_badge(value)
    if column in ("start", "end", "created"):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if column == "columns":
        return ", ".join(value)
    if column == "score" and value is not None:
        return f"{value:.3f}"
    return "" if value is None else str(value)


def anomaly_table(anomalies: list[Anomaly], columns: list[str], pending: set[str]) -> dbc.Table:
    """Rows are `{"type": ROW, "id": ...}` with n_clicks; a pending label is flagged."""
    shown = [c for c in columns if c in Anomaly.__dataclass_fields__]
    head = html.Thead(html.Tr([html.Th(c) for c in shown]))
    rows = []
    for a in anomalies:
        cells = [html.Td(cell(a, c)) for c in shown]
        if a.id in pending:
            cells[-1] = html.Td(
                [cell(a, shown[-1]), dbc.Badge("unsaved", color="warning", className="ms-1")]
            )
        rows.append(
            html.Tr(cells, id={"type": ROW, "id": a.id}, n_clicks=0, className="anomalies-row")
        )
    return dbc.Table([head, html.Tbody(rows)], hover=True, size="sm", responsive=True)
