"""An anomaly's label history: who decided what, when; undos say what they reverted."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from data.store import FeedbackEvent

VERDICT_TEXT = {True: "real", False: "not real", None: "no verdict"}


def label_history(events: list[FeedbackEvent]) -> html.Div:
    """Newest first: the top row is the current label."""
    if not events:
        return html.Div("No label yet.", className="text-muted small")
    when = {e.event_id: e.created for e in events}
    rows = []
    for event in reversed(events):
        what = VERDICT_TEXT[event.verified]
        if event.reverts:
            undone = when.get(event.reverts)
            what = f"undo of {undone:%H:%M:%S}: {what}" if undone else f"undo: {what}"
        rows.append(
            html.Tr(
                [
                    html.Td(f"{event.created:%Y-%m-%d %H:%M:%S}"),
                    html.Td(event.author),
                    html.Td(what),
                    html.Td(event.anomaly_type or ""),
                    html.Td(event.comment or "", className="text-break"),
                ],
                className="anomalies-history-row",
            )
        )
    head = html.Thead(
        html.Tr([html.Th(h) for h in ("when (UTC)", "who", "verdict", "type", "comment")])
    )
    return dbc.Table([head, html.Tbody(rows)], size="sm", className="small mb-0")
