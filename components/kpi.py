"""A KPI card: a number, what it counts, and where to look closer."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html
from dash.development.base_component import Component


def kpi_card(
    title: str,
    value: str,
    detail: Component | str = "",
    href: str | None = None,
    id: str = "",
) -> dbc.Card:
    body = [
        html.H6(title, className="card-subtitle text-muted mb-2"),
        html.H2(value, className="card-title mb-1", id=f"{id}-value" if id else None),
        html.Div(detail, className="small"),
    ]
    if href:
        body.append(dbc.CardLink("Open", href=href))
    return dbc.Card(dbc.CardBody(body), className="h-100 shadow-sm", id=id or None)
