"""Marking an anomaly the detector missed: box-select a range on a chart, label it.

A page puts `mark_panel(page)` beside its graph and fills the panel's context
store (table, entity, columns, range) from the graph's `selectedData` with
`mark_context`; the one callback here stores the anomaly with its label. The
idempotency key is the content itself, so a double click stores one anomaly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import MATCH, Input, Output, Patch, State, callback, dcc, html, no_update

from auth import require
from components.alerts import error_alert
from components.label_form import form_key, label_fields
from context import runtime
from data.labels import mark_anomaly
from data.times import as_utc
from errors import InvalidInput, VigilError


def mark_id(part: str, page: str) -> dict[str, str]:
    return {"type": f"mark-{part}", "page": page}


def selection_range(selected: dict[str, Any] | None) -> tuple[datetime, datetime] | None:
    """The time range a box selection on a date axis covers, None for no selection."""
    if not isinstance(selected, dict):
        return None
    box = selected.get("range") or {}
    xs = box.get("x") if isinstance(box, dict) else None
    if not isinstance(xs, list) or len(xs) != 2:
        return None
    first, last = sorted(as_utc(x) for x in xs)
    return (first, last) if last > first else None


def mark_context(
    selected: dict[str, Any] | None, table: str | None, entity: str | None, columns: list[str]
) -> tuple[dict[str, Any] | None, str]:
    """(context for the panel, the panel's className): hidden without a selection."""
    try:
        span = selection_range(selected)
    except VigilError:
        span = None
    if span is None or not table or not columns:
        return None, "d-none"
    context = {
        "table": table,
        "entity": entity,
        "columns": list(columns),
        "start": span[0].isoformat(),
        "end": span[1].isoformat(),
    }
    return context, "mt-2"


def mark_panel(page: str) -> html.Div:
    return html.Div(
        dbc.Card(
            dbc.CardBody(
                [
                    html.H6("Mark the selected range as an anomaly", className="card-title"),
                    html.Div(id=mark_id("summary", page), className="small text-muted mb-2"),
                    dbc.RadioItems(
                        id=mark_id("verified", page),
                        options=[
                            {"label": "Real", "value": "yes"},
                            {"label": "Not real", "value": "no"},
                        ],
                        value="yes",
                        inline=True,
                        className="mb-2",
                    ),
                    dbc.Input(
                        id=mark_id("type", page),
                        placeholder="anomaly type",
                        maxLength=200,
                        className="mb-2",
                    ),
                    dbc.Textarea(
                        id=mark_id("comment", page),
                        placeholder="comment",
                        maxLength=5000,
                        rows=2,
                        className="mb-2",
                    ),
                    dbc.Button("Create anomaly", id=mark_id("create", page), color="primary"),
                    html.Div(id=mark_id("status", page), className="mt-2", role="status"),
                ]
            ),
            color="light",
        ),
        id=mark_id("panel", page),
        className="d-none",
    )


def mark_store(page: str) -> dcc.Store:
    return dcc.Store(id=mark_id("context", page))


def register_drag_choice(page: str, graph_id: str) -> None:
    """Make the page's `drag_choice` switch the graph between zooming and selecting.

    Call once per page, at import. The page's own figures use `drag_mode(value)`
    of the choice, so a redraw keeps the chosen mode."""

    @callback(
        Output(graph_id, "figure", allow_duplicate=True),
        Input(mark_id("drag", page), "value"),
        prevent_initial_call=True,
    )
    def set_drag(value: str | None) -> Patch:
        patch = Patch()
        patch["layout"]["dragmode"] = drag_mode(value)
        return patch


def drag_choice(page: str) -> dbc.RadioItems:
    return dbc.RadioItems(
        id=mark_id("drag", page),
        options=[
            {"label": "Drag to zoom", "value": "zoom"},
            {"label": "Drag to mark an anomaly", "value": "select"},
        ],
        value="zoom",
        inline=True,
        className="small",
    )


def drag_mode(value: str | None) -> str:
    return "select" if value == "select" else "zoom"


@callback(
    Output(mark_id("summary", MATCH), "children"),
    Input(mark_id("context", MATCH), "data"),
)
def summarise(context: dict[str, Any] | None) -> str:
    if not context:
        return ""
    where = context["table"] + (f" / {context['entity']}" if context.get("entity") else "")
    start, end = as_utc(context["start"]), as_utc(context["end"])
    return (
        f"{where}, {', '.join(context['columns'])}: "
        f"{start:%Y-%m-%d %H:%M:%S} to {end:%H:%M:%S} UTC ({(end - start).total_seconds():.0f} s)"
    )


@callback(
    Output(mark_id("status", MATCH), "children"),
    Input(mark_id("create", MATCH), "n_clicks"),
    State(mark_id("context", MATCH), "data"),
    State(mark_id("verified", MATCH), "value"),
    State(mark_id("type", MATCH), "value"),
    State(mark_id("comment", MATCH), "value"),
    prevent_initial_call=True,
    running=[(Output(mark_id("create", MATCH), "disabled"), True, False)],
)
def create(
    clicks: int | None,
    context: dict[str, Any] | None,
    verdict: str | None,
    anomaly_type: str | None,
    comment: str | None,
) -> Any:
    """Store the marked range as an anomaly of detector 'analyst', with its label."""
    if not clicks:
        return no_update
    try:
        if not isinstance(context, dict):
            raise InvalidInput("select a range on the chart first (box select)")
        user = require("labeller")
        verified, kind, note = label_fields(verdict, anomaly_type, comment)
        content = {**context, "verified": verified, "type": kind, "comment": note}
        marked = mark_anomaly(
            runtime().store,
            table=context["table"],
            entity=context.get("entity"),
            columns=context["columns"],
            start=context["start"],
            end=context["end"],
            author=user.name,
            idempotency_key=form_key("mark", None, content, user.name),
            verified=verified,
            anomaly_type=kind,
            comment=note,
        )
    except (VigilError, KeyError, TypeError) as exc:
        if not isinstance(exc, VigilError):
            exc = InvalidInput("the selection could not be read; select the range again")
        return error_alert(exc)
    return html.Span(
        [
            f"Stored as anomaly {marked.id}. ",
            dcc.Link("Open it", href=f"/anomalies?id={marked.id}", className="mark-created"),
        ],
        className="text-success small",
    )
