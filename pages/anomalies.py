"""Anomalies: the review queue, one anomaly in context, and its label form.

The filters and the chosen anomaly live in the URL, so a link reproduces the
view. Choosing, saving and moving to the next anomaly happen in callbacks,
without reloading the page; the keyboard does all of it (assets/labels.js).
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import (
    ALL,
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
)

from components.alerts import error_alert
from components.anomaly_table import anomaly_table, status_badge
from components.label_drafts import DRAFTS, RETRIED
from components.label_form import label_form, shortcut_legend
from components.mark_anomaly import (
    drag_choice,
    drag_mode,
    mark_context,
    mark_id,
    mark_panel,
    mark_store,
    register_drag_choice,
)
from components.urlstate import query_string, url_sync
from context import runtime
from data.store import SORTS, STATUSES, AnomalyFilter
from errors import VigilError
from pages._anomaly_filters import FILTERS, control_id, filter_controls, parse_filters
from pages._anomaly_review import detail_outputs, save_outputs, undo_outputs

dash.register_page(__name__, path="/anomalies", name="Anomalies", order=2)

QUERY = url_sync("anomalies")
register_drag_choice("anomalies", "anomalies-context-graph")
SELECTED = "anomalies-selected"
POSITION = "anomalies-position"
ORDER = "anomalies-order"
SAVED = "anomalies-saved"
SHOWN = "anomalies-shown"
SAVE_RESULT = "anomalies-save-result"
#: The save the list last showed; set once the anomaly view has caught up with a save.
LISTED = "anomalies-listed"
FILTER_INPUTS = [Input(control_id(name), "value") for name in FILTERS]


def layout(id: str | None = None, **params: Any) -> html.Div:
    rt = runtime()
    try:
        known = rt.store.anomalies(AnomalyFilter(limit=10_000))
        types = rt.store.anomaly_types()
    except VigilError as exc:
        return html.Div([html.H3("Anomalies"), error_alert(exc, id="anomalies-error")])
    choices = {
        "table": sorted({a.table_name for a in known}),
        "status": list(STATUSES),
        "type": types,
        "detector": sorted({a.detector for a in known}),
        "sort": list(SORTS),
    }
    detail = dbc.Card(
        dbc.CardBody(
            [
                html.Div(id="anomalies-facts"),
                drag_choice("anomalies"),
                dcc.Graph(
                    id="anomalies-context-graph",
                    figure={"data": [], "layout": {"height": 380}},
                    config={"displaylogo": False},
                ),
                mark_panel("anomalies"),
                html.Details(
                    [html.Summary("Detector details"), html.Pre(id="anomalies-details")],
                    className="small mt-2",
                ),
            ]
        ),
        className="mb-3",
    )
    form = dbc.Card(
        dbc.CardBody(
            [
                html.Div(
                    [
                        dbc.Button("‹ Previous (k)", id="anomalies-prev", size="sm", outline=True),
                        html.Span(id="anomalies-position-text", className="small text-muted"),
                        dbc.Button("Next (j) ›", id="anomalies-next", size="sm", outline=True),
                    ],
                    className="d-flex justify-content-between align-items-center mb-2",
                ),
                html.Div(id="anomalies-draft-note", role="status"),
                label_form("anomalies"),
                html.Div(id="anomalies-save-status", className="mt-2", role="status"),
                html.H6("Label history", className="mt-3"),
                html.Div(id="anomalies-history"),
            ]
        ),
        className="mb-3",
    )
    return html.Div(
        [
            html.Div(
                [html.H3("Anomalies", className="me-3 mb-0"), shortcut_legend("anomalies-keys")],
                className="d-flex flex-wrap align-items-baseline mb-2",
            ),
            filter_controls(params, choices),
            html.Div(id="anomalies-counts", className="mb-2"),
            dbc.Row(
                [
                    dbc.Col(detail, lg=8),
                    dbc.Col(form, lg=4),
                ],
                id="anomalies-review",
                className="g-3",
            ),
            html.Div(id="anomalies-message"),
            html.Div(
                "Click a row or press j to review it; box-select a range on the chart to mark "
                "an anomaly the detector missed.",
                className="small text-muted mb-1",
            ),
            html.Div(id="anomalies-list", className="anomalies-list"),
            dcc.Store(id=SELECTED, data=id),
            dcc.Store(id=POSITION, data={"index": 0, "prev": 0, "next": 0}),
            dcc.Store(id=ORDER, data=[]),
            dcc.Store(id=SAVED),
            dcc.Store(id=SHOWN),
            dcc.Store(id=SAVE_RESULT),
            dcc.Store(id=LISTED),
            dcc.Store(id=QUERY),
            mark_store("anomalies"),
        ]
    )


@callback(
    Output("anomalies-list", "children"),
    Output("anomalies-counts", "children"),
    Output("anomalies-message", "children"),
    Output(ORDER, "data"),
    *FILTER_INPUTS,
    Input(LISTED, "data"),
    Input(RETRIED, "data"),
    State(DRAFTS, "data"),
)
def show_list(*args: Any) -> tuple:
    """The filtered queue and how many anomalies it holds in each status."""
    values, drafts = args[: len(FILTERS)], args[-1]
    rt = runtime()
    try:
        filters = parse_filters(dict(zip(FILTERS, values, strict=True)))
        found = rt.store.anomalies(filters)
        counts = rt.store.status_counts(filters)
    except VigilError as exc:
        return None, None, error_alert(exc, id="anomalies-error"), []
    badges = [
        status_badge(f"{name}: {n}", className="me-1", id=f"anomalies-count-{name}")
        for name, n in counts.items()
    ]
    if not found:
        empty = dbc.Alert("No anomaly matches these filters.", color="light")
        return empty, badges, None, []
    pending = set(drafts or {})
    table = anomaly_table(found, rt.config.cols_from_anomaly_tab, pending)
    return table, badges, None, [a.id for a in found]


@callback(Output(QUERY, "data"), *FILTER_INPUTS, Input(SELECTED, "data"))
def sync_url(*args: Any) -> str:
    state = dict(zip(FILTERS, args[: len(FILTERS)], strict=True))
    return query_string({**state, "id": args[-1]})


@callback(
    Output("anomalies-facts", "children"),
    Output("anomalies-context-graph", "figure"),
    Output("anomalies-details", "children"),
    Output("anomalies-history", "children"),
    Output("anomalies-verified", "value"),
    Output("anomalies-type", "value"),
    Output("anomalies-comment", "value"),
    Output("anomalies-type-options", "children"),
    Output(SHOWN, "data"),
    Output("anomalies-review", "className"),
    Output("anomalies-position-text", "children"),
    Input(SELECTED, "data"),
    Input(SAVED, "data"),
    State(DRAFTS, "data"),
    State(ORDER, "data"),
    State(mark_id("drag", "anomalies"), "value"),
)
def show_detail(
    selected: str | None, _saved: Any, drafts: dict | None, order: list[str], drag: str | None
) -> tuple:
    """The chosen anomaly in context, its history, and the form with its label (or the
    draft this browser kept of it)."""
    saved_only = list(ctx.triggered_prop_ids) == [f"{SAVED}.data"]
    return detail_outputs(selected, drafts or {}, order or [], drag_mode(drag), saved_only)


@callback(
    Output(SAVE_RESULT, "data"),
    Output("anomalies-save-status", "children"),
    Output(SAVED, "data"),
    Input("anomalies-save", "n_clicks"),
    Input("anomalies-save-next", "n_clicks"),
    State(SELECTED, "data"),
    State("anomalies-verified", "value"),
    State("anomalies-type", "value"),
    State("anomalies-comment", "value"),
    State(SHOWN, "data"),
    prevent_initial_call=True,
    running=[
        (Output("anomalies-save", "disabled"), True, False),
        (Output("anomalies-save-next", "disabled"), True, False),
    ],
)
def save(
    _save: int | None,
    _save_next: int | None,
    selected: str | None,
    verdict: str | None,
    anomaly_type: str | None,
    comment: str | None,
    shown: dict | None,
) -> tuple:
    """Store the label (S: then the browser shows the next anomaly); a failure keeps it
    as a draft."""
    advance = ctx.triggered_id == "anomalies-save-next"
    return save_outputs(selected, (verdict, anomaly_type, comment), shown, advance)


@callback(
    Output("anomalies-save-status", "children", allow_duplicate=True),
    Output(SAVED, "data", allow_duplicate=True),
    Input("anomalies-undo", "n_clicks"),
    State(SELECTED, "data"),
    State(SHOWN, "data"),
    prevent_initial_call=True,
)
def undo(_: int | None, selected: str | None, shown: dict | None) -> tuple:
    """Append an event that reverts the latest one."""
    return undo_outputs(selected, shown)


@callback(
    Output(mark_id("context", "anomalies"), "data"),
    Output(mark_id("panel", "anomalies"), "className"),
    Input("anomalies-context-graph", "selectedData"),
    State(SHOWN, "data"),
)
def on_select_range(selected: dict | None, shown: dict | None) -> tuple:
    """A box selection on the context chart offers to mark it as another anomaly."""
    shown = shown or {}
    return mark_context(selected, shown.get("table"), shown.get("entity"), shown.get("columns"))


clientside_callback(
    ClientsideFunction("vigilLabels", "trackDraft"),
    Output(DRAFTS, "data", allow_duplicate=True),
    Input("anomalies-verified", "value"),
    Input("anomalies-type", "value"),
    Input("anomalies-comment", "value"),
    Input(SHOWN, "data"),
    State(DRAFTS, "data"),
    prevent_initial_call=True,
)

# Stepping through the queue happens in the browser, one key press after the other:
# a server round trip per step would let a quick "jj" read the same position twice.
clientside_callback(
    ClientsideFunction("vigilLabels", "select"),
    Output(SELECTED, "data"),
    Output(POSITION, "data"),
    Input({"type": "anomalies-row", "id": ALL}, "n_clicks"),
    Input("anomalies-prev", "n_clicks"),
    Input("anomalies-next", "n_clicks"),
    Input(SAVE_RESULT, "data"),
    State(ORDER, "data"),
    State(SELECTED, "data"),
    State(POSITION, "data"),
    prevent_initial_call=True,
)

# After a save the list is read again only once the anomaly view (the next one, after
# Save & next) has been drawn: both at once would make the view wait for the list.
clientside_callback(
    ClientsideFunction("vigilLabels", "relist"),
    Output(LISTED, "data"),
    Input(SHOWN, "data"),
    State(SAVED, "data"),
    State(LISTED, "data"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction("vigilLabels", "draftNote"),
    Output("anomalies-draft-note", "children"),
    Output("anomalies-draft-note", "className"),
    Input(DRAFTS, "data"),
    Input(SHOWN, "data"),
)

clientside_callback(
    ClientsideFunction("vigilLabels", "applySave"),
    Output(DRAFTS, "data", allow_duplicate=True),
    Input(SAVE_RESULT, "data"),
    State(DRAFTS, "data"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction("vigilLabels", "markSelected"),
    Output("anomalies-list", "className"),
    Input(SELECTED, "data"),
    Input("anomalies-list", "children"),
)
