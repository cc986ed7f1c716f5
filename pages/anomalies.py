"""Anomalies: the review list with filters; choosing one shows it in context.

Filters and the chosen anomaly live in the URL, so a link reproduces the view.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from components.alerts import error_alert
from components.timeseries import series_figure
from components.urlstate import query_string, url_sync
from context import runtime
from data.store import STATUSES, Anomaly, AnomalyFilter, Store
from errors import VigilError

dash.register_page(__name__, path="/anomalies", name="Anomalies", order=2)

QUERY = url_sync("anomalies")
STATUS_COLORS = {"unlabelled": "warning", "verified": "danger", "rejected": "secondary"}
MIN_CONTEXT = timedelta(minutes=5)


def _cell(anomaly: Anomaly, column: str) -> Any:
    value = getattr(anomaly, column, None)
    if column == "status":
        return dbc.Badge(value, color=STATUS_COLORS[value])
    if column in ("start", "end", "created"):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if column == "columns":
        return ", ".join(value)
    if column == "score" and value is not None:
        return f"{value:.3f}"
    return "" if value is None else str(value)


def anomaly_table(
    anomalies: list[Anomaly], columns: list[str], filters: dict[str, Any]
) -> dbc.Table:
    """Rows link to the same filters plus the anomaly's id."""
    shown = [c for c in columns if hasattr(Anomaly, c) or c in Anomaly.__dataclass_fields__]
    head = html.Thead(html.Tr([html.Th(c) for c in shown]))
    rows = []
    for a in anomalies:
        href = "/anomalies?" + query_string({**filters, "id": a.id})
        cells = [html.Td(_cell(a, c)) for c in shown]
        cells[0] = html.Td(dcc.Link(_cell(a, shown[0]) or a.id, href=href))
        rows.append(html.Tr(cells, className="anomalies-row"))
    return dbc.Table([head, html.Tbody(rows)], hover=True, size="sm", responsive=True)


def context_figure(
    store: Store, anomaly: Anomaly, max_points: int, scaled: bool, scaler: str
) -> Any:
    """The anomaly's columns around it, its region shaded."""
    metrics = [c.name for c in store.columns(anomaly.table_name) if c.role == "metric"]
    columns = [c for c in anomaly.columns if c in metrics] or metrics
    pad = max(anomaly.end - anomaly.start, MIN_CONTEXT)
    entity_column = store.entity_column(anomaly.table_name)
    filters = {entity_column: anomaly.entity_id} if entity_column and anomaly.entity_id else None
    read = store.read(
        anomaly.table_name, columns, anomaly.start - pad, anomaly.end + pad, max_points, filters
    )
    return series_figure(
        read, scaled=scaled, scaler=scaler, regions=[(anomaly.start, anomaly.end)], height=380
    )


def detail(anomaly_id: str) -> html.Div:
    rt = runtime()
    try:
        anomaly = rt.store.anomaly(anomaly_id)
        figure = context_figure(
            rt.store, anomaly, rt.config.max_points, rt.config.scale_data, rt.config.scaler
        )
    except VigilError as exc:
        return error_alert(exc, id="anomalies-detail-error")
    where = f"{anomaly.table_name}" + (f" / {anomaly.entity_id}" if anomaly.entity_id else "")
    facts = [
        ("Where", where),
        ("From", anomaly.start.strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("To", anomaly.end.strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("Columns", ", ".join(anomaly.columns)),
        ("Detector", f"{anomaly.detector} {anomaly.version or ''}".strip()),
        ("Score", "–" if anomaly.score is None else f"{anomaly.score:.3f}"),
        ("Status", anomaly.status),
    ]
    return dbc.Card(
        dbc.CardBody(
            [
                html.H5(f"Anomaly {anomaly.id}", id="anomalies-detail-title"),
                html.Dl(
                    [item for k, v in facts for item in (html.Dt(k), html.Dd(v))],
                    className="row row-cols-2 small mb-0",
                ),
                dcc.Graph(
                    figure=figure, id="anomalies-context-graph", config={"displaylogo": False}
                ),
            ]
        ),
        className="mb-3",
    )


def layout(
    table: str | None = None,
    status: str | None = None,
    entity: str | None = None,
    id: str | None = None,
    **_: Any,
) -> html.Div:
    rt = runtime()
    try:
        tables = sorted({a.table_name for a in rt.store.anomalies(AnomalyFilter(limit=10_000))})
    except VigilError as exc:
        return html.Div([html.H3("Anomalies"), error_alert(exc, id="anomalies-error")])
    filters = dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label("Table", html_for="anomalies-table"),
                    dcc.Dropdown(tables, table, id="anomalies-table", placeholder="all tables"),
                ],
                md=4,
            ),
            dbc.Col(
                [
                    dbc.Label("Status", html_for="anomalies-status"),
                    dcc.Dropdown(list(STATUSES), status, id="anomalies-status", placeholder="any"),
                ],
                md=3,
            ),
            dbc.Col(
                [
                    dbc.Label("Entity", html_for="anomalies-entity"),
                    dbc.Input(id="anomalies-entity", value=entity or "", debounce=True),
                ],
                md=2,
            ),
        ],
        className="g-2 mb-2",
    )
    return html.Div(
        [
            html.H3("Anomalies"),
            html.Div(detail(id)) if id else None,
            filters,
            html.Div(id="anomalies-counts", className="mb-2"),
            html.Div(id="anomalies-list"),
            dcc.Store(id=QUERY),
        ]
    )


@callback(
    Output("anomalies-list", "children"),
    Output("anomalies-counts", "children"),
    Output(QUERY, "data"),
    Input("anomalies-table", "value"),
    Input("anomalies-status", "value"),
    Input("anomalies-entity", "value"),
    Input("_pages_location", "search"),
)
def show_list(
    table: str | None, status: str | None, entity: str | None, search: str | None
) -> tuple:
    """The filtered list and the count per status."""
    rt = runtime()
    state = {"table": table, "status": status, "entity": entity or None}
    selected = dict(p.split("=", 1) for p in (search or "").lstrip("?").split("&") if "=" in p)
    query = query_string({**state, "id": selected.get("id")})
    try:
        found = rt.store.anomalies(AnomalyFilter(table=table, status=status, entity=entity or None))
        counts = rt.store.status_counts(AnomalyFilter(table=table))
    except VigilError as exc:
        return error_alert(exc, id="anomalies-error"), None, query
    badges = [
        dbc.Badge(
            f"{name}: {n}",
            color=STATUS_COLORS[name],
            className="me-1",
            id=f"anomalies-count-{name}",
        )
        for name, n in counts.items()
    ]
    if not found:
        return dbc.Alert("No anomaly matches these filters.", color="light"), badges, query
    return anomaly_table(found, rt.config.cols_from_anomaly_tab, state), badges, query
