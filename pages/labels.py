"""Labels: how far analysts agree with each detector and anomaly type, and the export.

Per detector the precision analysts observed and how its scores fall for
verified and for rejected anomalies; per type the same counts; downloads of
the current labels or of every event, as CSV or Parquet.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Input, Output, callback, dcc, html, no_update

from analytics.agreement import agreement, labelled_scores
from components.alerts import error_alert
from context import runtime
from data.label_export import ALL_ANOMALIES, FORMATS, export_bytes, export_name
from errors import VigilError

dash.register_page(__name__, path="/labels", name="Labels", order=3)

SCORE_COLORS = {"verified": "#e74c3c", "rejected": "#95a5a6"}


def _table(found: pd.DataFrame, by: str, id: str) -> dbc.Table | dbc.Alert:
    if found.empty:
        return dbc.Alert("No anomaly yet.", color="light", id=id)
    head = html.Thead(
        html.Tr(
            [html.Th(h) for h in (by, "anomalies", "labelled", "verified", "rejected", "precision")]
        )
    )
    rows = [
        html.Tr(
            [
                html.Td(row[by]),
                html.Td(row["anomalies"]),
                html.Td(row["labelled"]),
                html.Td(row["verified"]),
                html.Td(row["rejected"]),
                html.Td("–" if pd.isna(row["precision"]) else f"{row['precision']:.0%}"),
            ]
        )
        for row in found.to_dict("records")
    ]
    return dbc.Table([head, html.Tbody(rows)], size="sm", hover=True, id=id)


def score_figure(scores: dict[str, dict[str, list[float]]]) -> dict[str, Any]:
    """Box plots of scores per detector, verified beside rejected."""
    traces = []
    for status in ("verified", "rejected"):
        xs, ys = [], []
        for detector, by_status in scores.items():
            xs += [detector] * len(by_status[status])
            ys += by_status[status]
        traces.append(
            {
                "type": "box",
                "name": status,
                "x": xs,
                "y": ys,
                "boxpoints": "all",
                "jitter": 0.4,
                "pointpos": 0,
                "marker": {"color": SCORE_COLORS[status], "size": 5},
            }
        )
    return {
        "data": traces,
        "layout": {
            "boxmode": "group",
            "height": 320,
            "margin": {"l": 50, "r": 20, "t": 30, "b": 40},
            "yaxis": {"title": {"text": "detector score"}, "gridcolor": "#eee"},
            "plot_bgcolor": "white",
            "legend": {"orientation": "h", "y": 1.1},
        },
    }


def _export_button(fmt: str, history: bool) -> dbc.Button:
    what = "Every label event" if history else "Current labels"
    return dbc.Button(
        f"{what} ({fmt.upper()})",
        id={"type": "labels-export", "key": f"{'history' if history else 'latest'}-{fmt}"},
        color="primary",
        outline=True,
        size="sm",
        className="me-2 mb-2",
    )


def layout(**_: Any) -> html.Div:
    rt = runtime()
    try:
        anomalies = rt.store.anomalies(ALL_ANOMALIES)
    except VigilError as exc:
        return html.Div([html.H3("Labels"), error_alert(exc, id="labels-error")])
    frame = pd.DataFrame(
        {
            "detector": [a.detector for a in anomalies],
            "anomaly_type": [a.anomaly_type for a in anomalies],
            "status": [a.status for a in anomalies],
            "score": [a.score for a in anomalies],
        }
    )
    scores = labelled_scores(frame) if len(frame) else {}
    graph = (
        dcc.Graph(id="labels-scores", figure=score_figure(scores), config={"displaylogo": False})
        if scores
        else dbc.Alert(
            "No labelled anomaly with a score yet.", color="light", id="labels-scores-empty"
        )
    )
    return html.Div(
        [
            html.H3("Labels"),
            html.P(
                "Precision is what analysts observed: verified / labelled. Unlabelled "
                "anomalies count for neither side.",
                className="text-muted small",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.H5("By detector"),
                            _table(agreement(frame, "detector"), "detector", "labels-detectors"),
                            html.H5("Scores of verified and rejected anomalies"),
                            graph,
                        ],
                        lg=7,
                    ),
                    dbc.Col(
                        [
                            html.H5("By anomaly type"),
                            _table(
                                agreement(frame, "anomaly_type"), "anomaly_type", "labels-types"
                            ),
                            html.H5("Export", className="mt-3"),
                            html.Div(
                                [_export_button(f, h) for h in (False, True) for f in FORMATS],
                                id="labels-exports",
                            ),
                            dcc.Download(id="labels-download"),
                            html.Div(id="labels-export-error"),
                        ],
                        lg=5,
                    ),
                ],
                className="g-4",
            ),
        ]
    )


@callback(
    Output("labels-download", "data"),
    Output("labels-export-error", "children"),
    Input({"type": "labels-export", "key": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def download(clicks: list[int | None]) -> tuple:
    """The file, made from the store at the moment of the click."""
    if not any(clicks):
        return no_update, no_update
    which, fmt = dash.ctx.triggered_id["key"].split("-")
    history = which == "history"
    try:
        content = export_bytes(runtime().store, fmt, history)
    except VigilError as exc:
        return no_update, error_alert(exc, id="labels-error")
    return dcc.send_bytes(content, export_name(fmt, history)), None
