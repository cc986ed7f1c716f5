"""The review queue's filters: controls built from URL parameters, values to a filter.

Each filter's URL parameter is its name, so `/anomalies?status=unlabelled&sort=highest`
opens that queue, and the page writes the same names back as filters change.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc

from data.store import AnomalyFilter
from data.times import as_utc
from errors import InvalidInput

#: URL parameter names, in the order the controls show them.
FILTERS = (
    "table",
    "entity",
    "status",
    "type",
    "detector",
    "min_score",
    "max_score",
    "start",
    "end",
    "sort",
)
LABELS = {
    "table": "Table",
    "entity": "Entity",
    "status": "Status",
    "type": "Type",
    "detector": "Detector",
    "min_score": "Score ≥",
    "max_score": "Score ≤",
    "start": "From (UTC)",
    "end": "To (UTC)",
    "sort": "Order",
}
PICKED = ("table", "status", "type", "detector", "sort")  # the rest are typed in
SORT_LABELS = {
    "newest": "newest first",
    "oldest": "oldest first",
    "highest": "highest score",
    "lowest": "lowest score",
}


def control_id(name: str) -> str:
    return f"anomalies-filter-{name}"


def filter_controls(params: Mapping[str, Any], choices: Mapping[str, list[str]]) -> dbc.Row:
    """One control per filter, set from the URL; pickers offer the values in the store."""
    cols = []
    for name in FILTERS:
        value = params.get(name)
        if name in PICKED:
            options = list(choices.get(name, []))
            if value and value not in options:
                options.append(value)  # a link naming something gone still shows it
            if name == "sort":
                options = [{"label": SORT_LABELS[o], "value": o} for o in options]
            control = dcc.Dropdown(
                options,
                value or ("newest" if name == "sort" else None),
                id=control_id(name),
                placeholder="any",
                clearable=name != "sort",
            )
        else:
            control = dbc.Input(
                id=control_id(name),
                value=value or "",
                debounce=True,
                placeholder="2026-01-05 13:00" if name in ("start", "end") else "",
                inputMode="decimal" if "score" in name else "text",
            )
        width = 2 if name in ("table", "sort") else 1
        cols.append(
            dbc.Col([dbc.Label(LABELS[name], html_for=control_id(name)), control], md=width)
        )
    return dbc.Row(cols, className="g-2 mb-2")


def _number(name: str, text: str | None) -> float | None:
    if text is None or str(text).strip() == "":
        return None
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise InvalidInput(f"{LABELS[name]} must be a number, not '{text}'") from None
    if not math.isfinite(value):
        raise InvalidInput(f"{LABELS[name]} must be a finite number")
    return value


def parse_filters(values: Mapping[str, Any]) -> AnomalyFilter:
    """The AnomalyFilter the controls' values ask for; InvalidInput names a bad one."""
    text = {k: (v.strip() if isinstance(v, str) else v) or None for k, v in values.items()}
    for name in ("table", "entity", "status", "type", "detector", "sort"):
        if text.get(name) is not None and not isinstance(text[name], str):
            raise InvalidInput(f"{LABELS[name]} must be text")
    start = as_utc(text["start"]) if text.get("start") else None
    end = as_utc(text["end"]) if text.get("end") else None
    if start and end and end < start:
        raise InvalidInput("the end of the time range must come after its start")
    return AnomalyFilter(
        table=text.get("table"),
        entity=text.get("entity"),
        status=text.get("status"),
        detector=text.get("detector"),
        anomaly_type=text.get("type"),
        min_score=_number("min_score", text.get("min_score")),
        max_score=_number("max_score", text.get("max_score")),
        start=start,
        end=end,
        sort=text.get("sort") or "newest",
    )
