"""Explore: any table's metric columns over any time range, zoomed at screen resolution.

Every zoom asks the store again for the new range (M4 in the database), so no
worker keeps a user's series in memory and any worker can answer any zoom.
Table, columns, entity, range and scaling live in the URL.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from components.alerts import error_alert
from components.mark_anomaly import (
    drag_choice,
    drag_mode,
    mark_context,
    mark_id,
    mark_panel,
    mark_store,
    register_drag_choice,
)
from components.timeseries import EMPTY_FIGURE, series_figure
from components.urlstate import query_string, split_list, url_sync
from context import runtime
from data.times import as_utc
from data.views import choose, plottable_tables
from errors import InvalidInput, NotFound, VigilError

dash.register_page(__name__, path="/explore", name="Explore", order=1)

QUERY = url_sync("explore")
register_drag_choice("explore", "explore-graph")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def layout(
    table: str | None = None,
    columns: str | None = None,
    entity: str | None = None,
    start: str | None = None,
    end: str | None = None,
    scale: str | None = None,
    **_: Any,
) -> html.Div:
    rt = runtime()
    try:
        choice = choose(
            rt.store, table, split_list(columns), entity, start, end, rt.config.init_cols_for_plot
        )
        tables = plottable_tables(rt.store)
    except VigilError as exc:
        return html.Div([html.H3("Explore"), error_alert(exc, id="explore-error")])
    scaled = rt.config.scale_data if scale is None else scale == "on"
    fmt = (lambda t: t.strftime(TIME_FORMAT)) if choice.start else (lambda t: "")
    controls = dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label("Table", html_for="explore-table"),
                    dcc.Dropdown(tables, choice.table, id="explore-table", clearable=False),
                ],
                md=3,
            ),
            dbc.Col(
                [
                    dbc.Label("Columns", html_for="explore-columns"),
                    dcc.Dropdown(choice.metrics, choice.columns, id="explore-columns", multi=True),
                ],
                md=3,
            ),
            dbc.Col(
                [
                    dbc.Label(choice.entity_column or "Entity", html_for="explore-entity"),
                    dcc.Dropdown(
                        choice.entities,
                        choice.entity,
                        id="explore-entity",
                        clearable=False,
                        disabled=not choice.entity_column,
                    ),
                ],
                md=2,
            ),
            dbc.Col(
                [
                    dbc.Label("From (UTC)", html_for="explore-start"),
                    dbc.Input(id="explore-start", value=fmt(choice.start), debounce=True),
                ],
                md=2,
            ),
            dbc.Col(
                [
                    dbc.Label("To (UTC)", html_for="explore-end"),
                    dbc.Input(id="explore-end", value=fmt(choice.end), debounce=True),
                ],
                md=2,
            ),
        ],
        className="g-2 mb-2",
    )
    return html.Div(
        [
            html.Div(
                [
                    html.H3("Explore", className="me-auto"),
                    dbc.Switch(id="explore-scale", label="Scale", value=scaled),
                ],
                className="d-flex align-items-center",
            ),
            controls,
            drag_choice("explore"),
            html.Div(id="explore-message"),
            dcc.Loading(
                dcc.Graph(id="explore-graph", config={"displaylogo": False}),
            ),
            html.Div(id="explore-info", className="text-muted small"),
            mark_panel("explore"),
            dcc.Store(id=QUERY),
            mark_store("explore"),
        ]
    )


@callback(
    Output("explore-columns", "options"),
    Output("explore-columns", "value"),
    Output("explore-entity", "options"),
    Output("explore-entity", "value"),
    Output("explore-entity", "disabled"),
    Output("explore-start", "value"),
    Output("explore-end", "value"),
    Input("explore-table", "value"),
    Input("explore-entity", "value"),
    State("explore-columns", "value"),
    prevent_initial_call=True,
)
def on_table_or_entity(table: str, entity: str | None, columns: list[str] | None) -> tuple:
    """A new table or entity: its columns, its entities, and its whole time range."""
    rt = runtime()
    table_changed = ctx.triggered_id == "explore-table"
    try:
        choice = choose(
            rt.store,
            table,
            None if table_changed else columns,
            None if table_changed else entity,
            None,
            None,
            rt.config.init_cols_for_plot,
        )
    except VigilError:
        return (no_update,) * 7  # the graph callback reports the problem
    fmt = (lambda t: t.strftime(TIME_FORMAT)) if choice.start else (lambda t: "")
    return (
        choice.metrics,
        choice.columns,
        choice.entities,
        choice.entity,
        not choice.entity_column,
        fmt(choice.start),
        fmt(choice.end),
    )


def zoom_range(relayout: dict[str, Any] | None) -> tuple[str, str] | str | None:
    """The x range a Plotly relayout event asks for, 'reset' for autorange, else None."""
    if not relayout:
        return None
    if relayout.get("xaxis.autorange"):
        return "reset"
    if "xaxis.range[0]" in relayout and "xaxis.range[1]" in relayout:
        return relayout["xaxis.range[0]"], relayout["xaxis.range[1]"]
    if isinstance(relayout.get("xaxis.range"), list):
        first, last = relayout["xaxis.range"][:2]
        return first, last
    return None


@callback(
    Output("explore-start", "value", allow_duplicate=True),
    Output("explore-end", "value", allow_duplicate=True),
    Input("explore-graph", "relayoutData"),
    State("explore-table", "value"),
    State("explore-entity", "value"),
    prevent_initial_call=True,
)
def on_zoom(relayout: dict[str, Any] | None, table: str, entity: str | None) -> tuple:
    """A zoom becomes the new range, so the store is asked again at screen resolution."""
    wanted = zoom_range(relayout)
    if wanted is None:
        return no_update, no_update
    if wanted == "reset":
        rt = runtime()
        try:
            choice = choose(rt.store, table, None, entity, None, None, [])
        except VigilError:
            return no_update, no_update
        if choice.start is None:
            return no_update, no_update
        return choice.start.strftime(TIME_FORMAT), choice.end.strftime(TIME_FORMAT)
    first, last = (as_utc(t).strftime(TIME_FORMAT + ".%f").rstrip("0").rstrip(".") for t in wanted)
    return first, last


@callback(
    Output(mark_id("context", "explore"), "data"),
    Output(mark_id("panel", "explore"), "className"),
    Input("explore-graph", "selectedData"),
    State("explore-table", "value"),
    State("explore-entity", "value"),
    State("explore-columns", "value"),
)
def on_select_range(
    selected: dict[str, Any] | None, table: str, entity: str | None, columns: list[str] | None
) -> tuple:
    """A box selection offers to mark the range as an anomaly the detector missed."""
    return mark_context(selected, table, entity, columns or [])


@callback(
    Output("explore-graph", "figure"),
    Output("explore-message", "children"),
    Output("explore-info", "children"),
    Output(QUERY, "data"),
    Input("explore-table", "value"),
    Input("explore-columns", "value"),
    Input("explore-entity", "value"),
    Input("explore-start", "value"),
    Input("explore-end", "value"),
    Input("explore-scale", "value"),
    State(mark_id("drag", "explore"), "value"),
)
def draw(
    table: str,
    columns: list[str] | None,
    entity: str | None,
    start: str | None,
    end: str | None,
    scaled: bool,
    drag: str | None = None,
) -> tuple:
    """Read the chosen range from the store and draw it."""
    rt = runtime()
    query = query_string(
        {
            "table": table,
            "columns": columns,
            "entity": entity,
            "start": start,
            "end": end,
            "scale": "on" if scaled else "off",
        }
    )
    try:
        choice = choose(rt.store, table, columns, entity, start or None, end or None, [])
        if not choice.columns:
            raise InvalidInput("choose at least one column to plot")
        if choice.start is None:
            raise NotFound(f"table '{table}' holds no rows yet")
        read = rt.store.read(
            choice.table,
            choice.columns,
            choice.start,
            choice.end,
            rt.config.max_points,
            {choice.entity_column: choice.entity} if choice.entity else None,
        )
    except VigilError as exc:
        return EMPTY_FIGURE, error_alert(exc, id="explore-error"), "", query
    figure = series_figure(read, scaled=scaled, scaler=rt.config.scaler, dragmode=drag_mode(drag))
    how = "downsampled in the store (M4)" if read.downsampled else "every row"
    info = f"{read.points:,} points drawn from {read.rows_in_range:,} rows, {how}."
    return figure, None, info, query
