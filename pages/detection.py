"""Detect: an admin runs a built-in detector over a table, as `python app.py detect` does.

The detector learns a normal period (the training range) and proposes the
anomalies it finds in the range to the review queue; a proposal found by an
earlier run is not written again. The run happens in the request, with the
button held until it answers: long ranges belong to the command line.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from analytics.detect import BEST, DETECTORS
from auth import require
from components.alerts import error_alert
from context import runtime
from data.detection import DetectionRequest, parse_span, run_detection
from data.views import choose, plottable_tables
from errors import InvalidInput, VigilError

dash.register_page(__name__, path="/detect", name="Detect", order=4, min_role="admin")

SPAN_FORMAT = "%Y-%m-%dT%H:%M"
ALL_ENTITIES = "__all__"


def _describe(name: str) -> str:
    doc = (DETECTORS[name].__doc__ or "").strip().splitlines()
    return f"{name}: {doc[0]}" if doc else name


def _defaults(table: str | None) -> dict[str, Any]:
    """Columns, entities and ranges for a table: the first tenth of its time (at most a
    day) to learn from, the rest to look in."""
    rt = runtime()
    choice = choose(rt.store, table, None, None, None, None, rt.config.init_cols_for_plot)
    span = rt.store.time_range(choice.table)
    train = span_text = ""
    if span is not None:
        first, last = span
        cut = first + min((last - first) / 10, timedelta(days=1))
        train = f"{first:{SPAN_FORMAT}}..{cut:{SPAN_FORMAT}}"
        span_text = f"{cut:{SPAN_FORMAT}}..{last + timedelta(minutes=1):{SPAN_FORMAT}}"
    entities = [{"label": "every entity, one model each", "value": ALL_ENTITIES}] + [
        {"label": e, "value": e} for e in choice.entities
    ]
    return {
        "table": choice.table,
        "metrics": choice.metrics,
        "columns": choice.columns,
        "entities": entities,
        "train": train,
        "span": span_text,
    }


def layout(**_: Any) -> html.Div:
    rt = runtime()
    try:
        tables = plottable_tables(rt.store)
        found = _defaults(None)
    except VigilError as exc:
        return html.Div([html.H3("Detect anomalies"), error_alert(exc, id="detect-error")])

    def field(label: str, control: Any, width: int) -> dbc.Col:
        return dbc.Col([dbc.Label(label, html_for=control.id), control], md=width)

    return html.Div(
        [
            html.H3("Detect anomalies"),
            html.P(
                "For admins. The detector learns the training range as normal and proposes "
                "what it finds in the range to the review queue; what an earlier run found "
                "is not proposed again. Long ranges: python app.py detect.",
                className="text-muted small",
            ),
            dbc.Row(
                [
                    field("Table", dcc.Dropdown(tables, found["table"], id="detect-table"), 3),
                    field(
                        "Columns",
                        dcc.Dropdown(
                            found["metrics"], found["columns"], id="detect-columns", multi=True
                        ),
                        3,
                    ),
                    field(
                        "Entity",
                        dcc.Dropdown(
                            found["entities"], ALL_ENTITIES, id="detect-entity", clearable=False
                        ),
                        2,
                    ),
                    field(
                        "Detector",
                        dcc.Dropdown(
                            [{"label": _describe(n), "value": n} for n in DETECTORS],
                            BEST,
                            id="detect-detector",
                            clearable=False,
                        ),
                        4,
                    ),
                ],
                className="g-2 mb-2",
            ),
            dbc.Row(
                [
                    field(
                        "Training range (UTC, START..END)",
                        dbc.Input(id="detect-train", value=found["train"]),
                        5,
                    ),
                    field(
                        "Range to look in (UTC, START..END)",
                        dbc.Input(id="detect-span", value=found["span"]),
                        5,
                    ),
                    dbc.Col(
                        dbc.Button("Run", id="detect-run", color="primary", className="w-100"),
                        md=2,
                        className="d-flex align-items-end",
                    ),
                ],
                className="g-2 mb-3",
            ),
            dcc.Loading(html.Div(id="detect-result", role="status")),
        ]
    )


@callback(
    Output("detect-columns", "options"),
    Output("detect-columns", "value"),
    Output("detect-entity", "options"),
    Output("detect-entity", "value"),
    Output("detect-train", "value"),
    Output("detect-span", "value"),
    Input("detect-table", "value"),
    prevent_initial_call=True,
)
def on_table(table: str | None) -> tuple:
    try:
        found = _defaults(table)
    except VigilError:
        return (no_update,) * 6  # the run reports the problem
    return (
        found["metrics"],
        found["columns"],
        found["entities"],
        ALL_ENTITIES,
        found["train"],
        found["span"],
    )


@callback(
    Output("detect-result", "children"),
    Input("detect-run", "n_clicks"),
    State("detect-table", "value"),
    State("detect-columns", "value"),
    State("detect-entity", "value"),
    State("detect-detector", "value"),
    State("detect-train", "value"),
    State("detect-span", "value"),
    prevent_initial_call=True,
    running=[(Output("detect-run", "disabled"), True, False)],
)
def run(
    clicks: int | None,
    table: Any,
    columns: Any,
    entity: Any,
    detector: Any,
    train: Any,
    span: Any,
) -> Any:
    """Run the detection; what it found, or why it wrote nothing."""
    if not clicks:
        return no_update
    try:
        require("admin")
        if not isinstance(table, str) or not isinstance(detector, str):
            raise InvalidInput("choose a table and a detector")
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise InvalidInput("choose the columns to detect anomalies in")
        if entity is not None and not isinstance(entity, str):
            raise InvalidInput("choose an entity, or every entity")
        request = DetectionRequest(
            table=table,
            columns=tuple(columns),
            train=parse_span(str(train or ""), "training range"),
            span=parse_span(str(span or ""), "range"),
            detector=detector,
            entities=() if entity in (None, ALL_ENTITIES) else (entity,),
        )
        result = run_detection(runtime().store, request)
    except VigilError as exc:
        return error_alert(exc, id="detect-error")
    return dbc.Alert(
        [
            f"{result.found} anomalies found in {result.rows:,} rows of {result.entities} "
            f"entities: {len(result.written)} written, {result.existing} already there. ",
            dcc.Link(
                "Review them", href=f"/anomalies?detector={result.detector}&status=unlabelled"
            ),
        ],
        color="success",
        id="detect-done",
    )
