"""What the review page's callbacks do, as plain functions: show one anomaly, save its
label, undo, step through the queue."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import dash_bootstrap_components as dbc
from dash import html, no_update

from auth import require
from components.alerts import error_alert
from components.label_form import form_key, form_verdict, label_fields, type_options
from components.label_history import VERDICT_TEXT, label_history
from components.timeseries import EMPTY_FIGURE, series_figure
from context import runtime
from data.labels import save_label, undo_label
from data.store import Anomaly, Store
from errors import InvalidInput, Unavailable, VigilError

MIN_CONTEXT = timedelta(minutes=5)
#: What show_detail returns when nothing is chosen; see the page's callback outputs.
NOTHING = (None, EMPTY_FIGURE, "", None, None, "", "", [], None, "g-3 d-none", "")


def context_columns(store: Store, anomaly: Anomaly) -> list[str]:
    """The anomaly's metric columns; all the table's metrics if it names none."""
    metrics = [c.name for c in store.columns(anomaly.table_name) if c.role == "metric"]
    return [c for c in anomaly.columns if c in metrics] or metrics


def context_figure(
    store: Store,
    anomaly: Anomaly,
    max_points: int,
    scaled: bool,
    scaler: str,
    dragmode: str = "zoom",
) -> dict[str, Any]:
    """The anomaly's columns around it, its region shaded; as much context again on
    each side as the anomaly lasts."""
    columns = context_columns(store, anomaly)
    pad = max(anomaly.end - anomaly.start, MIN_CONTEXT)
    entity_column = store.entity_column(anomaly.table_name)
    filters = {entity_column: anomaly.entity_id} if entity_column and anomaly.entity_id else None
    read = store.read(
        anomaly.table_name, columns, anomaly.start - pad, anomaly.end + pad, max_points, filters
    )
    return series_figure(
        read,
        scaled=scaled,
        scaler=scaler,
        regions=[(anomaly.start, anomaly.end)],
        height=380,
        dragmode=dragmode,
    )


def facts(anomaly: Anomaly) -> html.Div:
    where = anomaly.table_name + (f" / {anomaly.entity_id}" if anomaly.entity_id else "")
    items = [
        ("Where", where),
        ("From", f"{anomaly.start:%Y-%m-%d %H:%M:%S} UTC"),
        ("To", f"{anomaly.end:%Y-%m-%d %H:%M:%S} UTC"),
        ("Columns", ", ".join(anomaly.columns)),
        ("Detector", f"{anomaly.detector} {anomaly.version or ''}".strip()),
        ("Score", "–" if anomaly.score is None else f"{anomaly.score:.3f}"),
        ("Status", anomaly.status + (f" · {anomaly.anomaly_type}" if anomaly.anomaly_type else "")),
    ]
    return html.Div(
        [
            html.H5(f"Anomaly {anomaly.id}", id="anomalies-detail-title"),
            html.Dl(
                [item for k, v in items for item in (html.Dt(k), html.Dd(v))],
                className="row row-cols-2 small mb-0",
            ),
        ]
    )


def _details_text(details: str | None) -> str:
    if not details:
        return "The detector recorded no details."
    try:
        return json.dumps(json.loads(details), indent=2, sort_keys=True)
    except ValueError:
        return details


def detail_outputs(
    selected: str | None,
    drafts: dict[str, Any],
    order: list[str],
    dragmode: str = "zoom",
    saved_only: bool = False,
) -> tuple:
    """Every output of show_detail (see the page), for the anomaly `selected`.

    After a save of the same anomaly (`saved_only`) the chart and the form stay as
    they are: the analyst may already be changing the form for the next save.
    """
    if not selected:
        return NOTHING
    rt = runtime()
    try:
        anomaly = rt.store.anomaly(selected)
        figure = (
            None
            if saved_only
            else context_figure(
                rt.store,
                anomaly,
                rt.config.max_points,
                rt.config.scale_data,
                rt.config.scaler,
                dragmode,
            )
        )
        types = rt.store.anomaly_types()
    except VigilError as exc:
        return (error_alert(exc, id="anomalies-detail-error"), *NOTHING[1:9], "g-3", "")
    latest = anomaly.history[-1] if anomaly.history else None
    label = {
        "verified": latest.verified if latest else None,
        "anomaly_type": latest.anomaly_type if latest else None,
        "comment": latest.comment if latest else None,
        "base": latest.event_id if latest else None,
    }
    draft = drafts.get(selected) if isinstance(drafts.get(selected), dict) else None
    values = draft or label
    where = f"{order.index(selected) + 1} of {len(order)}" if selected in order else ""
    columns = (
        [c for c in anomaly.columns] if figure is None else [t["name"] for t in figure["data"]]
    )
    form = (
        (no_update,) * 3
        if saved_only
        else (
            form_verdict(values.get("verified")),
            values.get("anomaly_type") or "",
            values.get("comment") or "",
        )
    )
    return (
        facts(anomaly),
        no_update if figure is None else figure,
        _details_text(anomaly.details),
        label_history(anomaly.history),
        *form,
        type_options(types),
        {
            "anomaly_id": selected,
            "label": label,
            "table": anomaly.table_name,
            "entity": anomaly.entity_id,
            "columns": columns,
        },
        "g-3",
        where,
    )


def _summary(verified: bool | None, anomaly_type: str | None) -> str:
    return VERDICT_TEXT[verified] + (f" · {anomaly_type}" if anomaly_type else "")


def save_outputs(
    selected: str | None,
    form: tuple[str | None, str | None, str | None],
    shown: dict[str, Any] | None,
    advance: bool,
) -> tuple:
    """(save result, status, saved event) of a Save or Save & next."""
    if not selected or not shown or shown.get("anomaly_id") != selected:
        return None, error_alert(InvalidInput("choose an anomaly first")), no_update
    base = (shown.get("label") or {}).get("base")
    try:
        user = require("labeller")
        verified, anomaly_type, comment = label_fields(*form)
    except VigilError as exc:
        result = {"anomaly_id": selected, "outcome": "refused", "message": exc.message}
        return result, error_alert(exc, id="anomalies-save-error"), no_update
    content = {"verified": verified, "anomaly_type": anomaly_type, "comment": comment}
    key = form_key(selected, base, content, user.name)
    result = {
        "anomaly_id": selected,
        "key": key,
        "base": base,
        "content": content,
        "advance": advance,
    }
    try:
        event = save_label(
            runtime().store,
            selected,
            author=user.name,
            idempotency_key=key,
            verified=verified,
            anomaly_type=anomaly_type,
            comment=comment,
        )
    except Unavailable as exc:
        result.update(outcome="pending", message=exc.message)
        text = (
            f"Not saved: {exc.message}. The label is kept in this browser and retried "
            "every few seconds; nothing you entered is lost."
        )
        status = dbc.Alert(text, color="warning", id="anomalies-save-pending")
        return result, status, no_update
    except VigilError as exc:
        result.update(outcome="refused", message=exc.message)
        return result, error_alert(exc, id="anomalies-save-error"), no_update
    result["outcome"] = "saved"
    said = f"Saved {event.created:%H:%M:%S} UTC: {_summary(verified, anomaly_type)}."
    status = html.Span(said, id="anomalies-save-ok", className="text-success small")
    return result, status, event.event_id


def undo_outputs(selected: str | None, shown: dict[str, Any] | None) -> tuple:
    """(status, saved event) of an Undo."""
    if not selected or not shown or shown.get("anomaly_id") != selected:
        return error_alert(InvalidInput("choose an anomaly first")), no_update
    base = (shown.get("label") or {}).get("base")
    try:
        user = require("labeller")
        event = undo_label(
            runtime().store,
            selected,
            author=user.name,
            idempotency_key=form_key(selected, base, "undo", user.name),
        )
    except VigilError as exc:
        return error_alert(exc, id="anomalies-save-error"), no_update
    said = f"Undone: the label is back to {_summary(event.verified, event.anomaly_type)}."
    return html.Span(said, id="anomalies-save-ok", className="text-success small"), event.event_id
